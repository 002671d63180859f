/**
 * Child process: one notify-route server, `--variant <framework>-<kind>`:
 * - `*-ceiling`: read the body, fixed XML reply (no parsing): the framework's ceiling (F3);
 * - `*-hand`: a hand-written route: our `parseXml` + `verifySign` + an in-memory dedup + reply;
 * - `*-wxpay-kit`: the wxpay-kit adapter's notify route (parse, verify, app check, dedup, events, reply);
 * - `express-tenpay`: tenpay's `middlewareForExpress('pay')` after `express.text()`.
 * Every route is `POST /wxpay/notify-pay/shop`. Prints `{"port":N}` once listening.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createWxPay } from '@wxpay-kit/core';
import { parseXml, verifySign } from '@wxpay-kit/core/protocol';
import { createNodeListener } from '@wxpay-kit/core/node';
import { API_KEY, NOTIFY_SUCCESS_XML } from './fixtures.js';
import { WXPAY_OPTIONS } from './fw-options.js';

const args = process.argv.slice(2);
const variant = args[args.indexOf('--variant') + 1] ?? 'raw-ceiling';
const ROUTE = '/wxpay/notify-pay/shop';
const LIMIT = 64 * 1024;

/** The hand-written route's work: parse, verify, dedup by transaction, answer. */
const seen = new Map<string, true>();
function handNotify(body: string | Uint8Array): { status: number; body: string } {
  let record;
  try {
    record = parseXml(body, { maxBytes: LIMIT });
  } catch {
    return { status: 400, body: '<xml><return_code><![CDATA[FAIL]]></return_code></xml>' };
  }
  if (!verifySign(record, API_KEY)) return { status: 400, body: '<xml><return_code><![CDATA[FAIL]]></return_code></xml>' };
  const id = `${record['mch_id']}:${record['transaction_id']}`;
  if (!seen.has(id)) {
    if (seen.size >= 100_000) seen.delete(seen.keys().next().value as string);
    seen.set(id, true);
  }
  return { status: 200, body: NOTIFY_SUCCESS_XML };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= LIMIT) chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const XML = 'text/xml; charset=utf-8';

async function start(): Promise<{ address: () => unknown }> {
  const [framework, ...rest] = variant.split('-');
  const kind = rest.join('-');
  if (framework === 'raw') {
    let listener: (req: IncomingMessage, res: ServerResponse) => void;
    if (kind === 'wxpay-kit') {
      listener = createNodeListener(createWxPay(WXPAY_OPTIONS), { prefix: '/wxpay' });
    } else {
      listener = (req, res) => {
        void readBody(req).then((body) => {
          const out = kind === 'hand' ? handNotify(body) : { status: 200, body: NOTIFY_SUCCESS_XML };
          res.writeHead(out.status, { 'content-type': XML, 'content-length': Buffer.byteLength(out.body) }).end(out.body);
        });
      };
    }
    const server = createServer(listener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return server;
  }
  if (framework === 'express') {
    // Each framework is loaded only by its own variants.
    const { default: express } = await import('express');
    const { wxpayExpress } = await import('@wxpay-kit/express');
    const app = express();
    app.set('etag', false);
    app.disable('x-powered-by');
    if (kind === 'wxpay-kit') {
      app.use('/wxpay', wxpayExpress(WXPAY_OPTIONS));
    } else if (kind === 'tenpay') {
      const { tenpay } = await import('./peers.js');
      const pay = tenpay();
      app.post(
        ROUTE,
        express.text({ type: '*/*', limit: LIMIT }),
        pay.middlewareForExpress('pay') as Parameters<typeof app.post>[1],
        (_req, res) => {
          (res as unknown as { reply: () => void }).reply();
        },
      );
    } else {
      app.post(ROUTE, express.text({ type: '*/*', limit: LIMIT }), (req, res) => {
        const out = kind === 'hand' ? handNotify(req.body as string) : { status: 200, body: NOTIFY_SUCCESS_XML };
        res.status(out.status).type(XML).send(out.body);
      });
    }
    return await new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
  }
  if (framework === 'koa') {
    const { default: Koa } = await import('koa');
    const { wxpayKoa } = await import('@wxpay-kit/koa');
    const app = new Koa();
    if (kind === 'wxpay-kit') {
      app.use(wxpayKoa(WXPAY_OPTIONS, { prefix: '/wxpay' }));
    } else {
      app.use(async (ctx) => {
        if (ctx.method !== 'POST' || ctx.path !== ROUTE) return;
        const body = await readBody(ctx.req);
        const out = kind === 'hand' ? handNotify(body) : { status: 200, body: NOTIFY_SUCCESS_XML };
        ctx.status = out.status;
        ctx.type = XML;
        ctx.body = out.body;
      });
    }
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', r));
    return server;
  }
  if (framework === 'fastify') {
    const { default: Fastify } = await import('fastify');
    const { wxpayPlugin } = await import('@wxpay-kit/fastify');
    const app = Fastify({ logger: false });
    if (kind === 'wxpay-kit') {
      await app.register(wxpayPlugin, { ...WXPAY_OPTIONS, prefix: '/wxpay' });
    } else {
      app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string', bodyLimit: LIMIT }, (_req, body, done) =>
        done(null, body),
      );
      app.post(ROUTE, async (req, reply) => {
        const out = kind === 'hand' ? handNotify(req.body as string) : { status: 200, body: NOTIFY_SUCCESS_XML };
        return reply.code(out.status).type(XML).send(out.body);
      });
    }
    await app.listen({ host: '127.0.0.1', port: 0 });
    return app.server;
  }
  throw new Error(`unknown variant ${variant}`);
}

const server = await start();
const address = server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? (address as { port: number }).port : 0 })}\n`);
process.on('SIGTERM', () => process.exit(0));
