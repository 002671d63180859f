import Fastify, { type RouteHandlerMethod } from 'fastify';
import { wxpayPlugin } from '@wxpay-kit/fastify';
import { defineAdapterSuite } from '../conformance/adapter-suite.js';
import { receivedBodyText } from '../helpers/host-echo.js';

defineAdapterSuite(
  'fastify',
  async (wxpay, { prefix, hostBodyParser }) => {
    const app = Fastify();
    if (hostBodyParser) {
      app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
    }
    await app.register(wxpayPlugin, { instance: wxpay, prefix });
    const echo: RouteHandlerMethod = async (req, reply) => reply.type('text/plain').send(await receivedBodyText(req.body, req.raw));
    app.post('/host-echo', echo);
    if (prefix) app.post(`${prefix}/host-echo`, echo);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    return { url, close: () => app.close() };
  },
  { parsedSignedBody: 'raw' },
);
