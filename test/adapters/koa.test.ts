import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import { wxpayKoa } from '@wxpay-kit/koa';
import { defineAdapterSuite } from '../conformance/adapter-suite.js';
import { receivedBodyText } from '../helpers/host-echo.js';
import { listenLoopback } from '../helpers/loopback.js';

defineAdapterSuite(
  'koa',
  async (wxpay, { prefix, hostBodyParser }) => {
    const app = new Koa();
    if (hostBodyParser) app.use(bodyParser({ enableTypes: ['json', 'text', 'xml'] }));
    app.use(wxpayKoa(wxpay, { prefix }));
    app.use(async (ctx, next) => {
      if (ctx.method !== 'POST' || (ctx.path !== '/host-echo' && ctx.path !== `${prefix}/host-echo`)) return next();
      ctx.type = 'text/plain';
      ctx.body = await receivedBodyText((ctx.request as { body?: unknown }).body, ctx.req);
    });
    return listenLoopback(app.callback());
  },
  { parsedSignedBody: 'raw' },
);
