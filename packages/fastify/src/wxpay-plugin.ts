import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createWxPay, isWxPay, type Logger, type WxPay, type WxPayOptions, type WxPayResponse } from '@wxpay-kit/core';
import { normalizePrefix, pathOf, serveNodeRequest, stripPrefix } from '@wxpay-kit/core/node';

/** Options of {@link wxpayPlugin}: `WxPayOptions` for a new instance, or an existing `instance`. */
export type WxPayFastifyOptions = ((WxPayOptions & { readonly instance?: undefined }) | { readonly instance: WxPay }) & {
  /** Path the routes live under, e.g. `/wxpay`; default the root. */
  readonly prefix?: string;
};

interface RoutesOptions {
  readonly wxpay: WxPay;
}

/** The route path of a request inside the scope registered at `prefix`. */
const pathIn = (request: FastifyRequest, prefix: string): string | undefined => stripPrefix(pathOf(request.url), prefix);

function send(reply: FastifyReply, out: WxPayResponse): FastifyReply {
  const body = typeof out.body === 'string' ? out.body : Buffer.from(out.body.buffer, out.body.byteOffset, out.body.byteLength);
  return reply.code(out.status).headers(out.headers).send(body);
}

/** The encapsulated scope: our own body handling and one wildcard route, under the prefix. */
const routes: FastifyPluginAsync<RoutesOptions> = async (scope, { wxpay }) => {
  const prefix = normalizePrefix(scope.prefix); // the full prefix, parents' included
  // Host parsers stay untouched outside this scope. Here the stream is left unread for the shared
  // raw-body reader, which enforces each route's limit, answers 413 through the core and keeps
  // the exact bytes signatures are checked on.
  scope.removeAllContentTypeParsers();
  const leaveUnread = (_request: FastifyRequest, _payload: unknown, done: (error: Error | null, body?: unknown) => void): void =>
    done(null, undefined);
  // The same parser under the types WeChat and the internal routes send, besides the catch-all:
  // fastify remembers the parser found for a named type, and parses the header of every request
  // again for the catch-all alone.
  scope.addContentTypeParser(['text/xml', 'application/xml', 'application/json'], leaveUnread);
  scope.addContentTypeParser('*', leaveUnread);
  // Not async: the answer is sent from the callback, within the request's `end` event when the
  // core answered synchronously, and fastify needs no promise for it.
  const serve = (request: FastifyRequest, reply: FastifyReply): void => {
    const path = pathIn(request, prefix);
    const route = path === undefined ? undefined : wxpay.match(request.method, path);
    if (path === undefined || route === undefined) {
      reply.callNotFound();
      return;
    }
    serveNodeRequest(
      wxpay,
      request.raw,
      { path, route, remoteAddress: request.ip },
      (out) => void send(reply, out),
      (error) => void reply.send(error),
    );
  };
  scope.all('/', serve);
  scope.all('/*', serve);
};

/**
 * The logger an instance built by the plugin writes to: `fastify.log` when the server has a logger
 * (`Fastify({ logger: true })`, or a `loggerInstance`), else the core's default (warnings and
 * errors on stderr). Fastify without a logger hands out a null logger whose methods are all one
 * no-op and which has no `level`.
 */
export function fastifyLogger(log: FastifyBaseLogger): Logger | undefined {
  const l = log as unknown as Record<string, unknown>;
  const isNull = typeof l['level'] !== 'string' && l['warn'] === l['error'] && l['warn'] === l['info'];
  return isNull ? undefined : (log as unknown as Logger);
}

async function plugin(fastify: FastifyInstance, options: WxPayFastifyOptions): Promise<void> {
  const owned = !isWxPay(options.instance);
  const viaFastify = fastifyLogger(fastify.log);
  const wxpay = isWxPay(options.instance)
    ? options.instance
    : createWxPay({
        ...(options as WxPayOptions),
        ...((options as WxPayOptions).logger === undefined && viaFastify !== undefined ? { logger: viaFastify } : {}),
      });
  fastify.decorate('wxpay', wxpay);
  fastify.addHook('onListen', async function onListen() {
    wxpay.warnIfUnprotected(this.server.address());
  });
  if (owned) fastify.addHook('onClose', () => wxpay.close());
  await fastify.register(routes, { prefix: normalizePrefix(options.prefix), wxpay });
}

/**
 * Fastify plugin serving wxpay-kit's routes and decorating `fastify.wxpay` (typed through
 * declaration merging). Host content-type parsers are left alone; the routes get their own.
 * An instance built from options is closed with the server; a passed `instance` is the caller's.
 *
 * @example
 * await fastify.register(wxpayPlugin, { ...options, prefix: '/wxpay' });
 * fastify.wxpay.on('paid', async (event) => markPaid(event.orderId, event.totalFee));
 */
export const wxpayPlugin = fp<WxPayFastifyOptions>(plugin, { name: '@wxpay-kit/fastify', fastify: '5.x' });
