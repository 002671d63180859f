import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { wxpayHono } from '@wxpay-kit/hono';
import { defineAdapterSuite } from '../conformance/adapter-suite.js';
import { listenLoopback } from '../helpers/loopback.js';

defineAdapterSuite(
  'hono',
  async (wxpay, { prefix, hostBodyParser }) => {
    const app = new Hono();
    if (hostBodyParser) {
      // Hono has no global body parser; a host middleware that reads the body first is the case.
      app.use('*', async (c, next) => {
        const type = c.req.header('content-type') ?? '';
        if (type.includes('json')) await c.req.json().catch(() => undefined);
        else if (type.includes('xml')) await c.req.text();
        await next();
      });
    }
    app.use('*', wxpayHono(wxpay, { prefix }));
    const echo = async (c: import('hono').Context) => c.text(await c.req.text());
    app.post('/host-echo', echo);
    if (prefix) app.post(`${prefix}/host-echo`, echo);
    return listenLoopback(createAdaptorServer({ fetch: app.fetch }) as import('node:http').Server);
  },
  { parsedSignedBody: 'raw' },
);
