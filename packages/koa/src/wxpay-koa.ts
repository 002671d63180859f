import type { IncomingMessage } from 'node:http';
import { createWxPay, isWxPay, type WxPay, type WxPayOptions } from '@wxpay-kit/core';
import { attachEmitter, normalizePrefix, serveNodeRequest, stripPrefix, type WxPayEmitterFacade } from '@wxpay-kit/core/node';

/** Options of the koa middleware itself. */
export interface WxPayKoaOptions {
  /** Path the routes live under, e.g. `/wxpay`; default the root (or wherever koa-mount put us). */
  readonly prefix?: string;
}

/** The parts of koa's context the middleware uses (koa 2 and 3 contexts have them). */
export interface KoaContextLike {
  readonly path: string;
  readonly method: string;
  readonly ip: string;
  readonly req: IncomingMessage;
  /** koa's request, with what a body parser (`rawBody`, `body`) left on it. */
  readonly request: object;
  status: number;
  body: unknown;
  set(fields: { [key: string]: string }): void;
}

/**
 * A koa middleware, written without koa's own types so that it keeps its type when `@types/koa`
 * is not installed; `app.use()` takes it.
 */
export type WxPayKoaMiddleware = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<unknown>;

/** A koa middleware that is also the instance's typed event emitter (`.on('paid', …)`, `.wxpay`). */
export type WxPayKoa = WxPayKoaMiddleware & WxPayEmitterFacade;

/** What koa-bodyparser and similar parsers leave on `ctx.request`. */
interface ParsedRequest {
  readonly rawBody?: unknown;
  readonly body?: unknown;
}

/**
 * Mounts wxpay-kit's routes in a koa app. Requests that are not ours go to `next()` with their
 * stream untouched; ours are read raw (koa-bodyparser's `ctx.request.rawBody` is honoured when
 * it ran first) and served by the core.
 *
 * @example
 * const wxpay = wxpayKoa(options, { prefix: '/wxpay' });
 * wxpay.on('paid', async (event) => markPaid(event.orderId, event.totalFee));
 * app.use(wxpay);
 */
export function wxpayKoa(init: WxPayOptions | WxPay, options: WxPayKoaOptions = {}): WxPayKoa {
  const wxpay = isWxPay(init) ? init : createWxPay(init);
  const prefix = normalizePrefix(options.prefix);
  // Not async: the one promise koa needs settles as soon as the core answered.
  const middleware: WxPayKoaMiddleware = (ctx, next) => {
    const path = stripPrefix(ctx.path, prefix);
    const route = path === undefined ? undefined : wxpay.match(ctx.method, path);
    if (path === undefined || route === undefined) return next();
    const parsed = ctx.request as ParsedRequest;
    const init = { path, route, parsedBody: parsed.rawBody ?? parsed.body, remoteAddress: ctx.ip };
    return new Promise<void>((resolve, reject) => {
      serveNodeRequest(
        wxpay,
        ctx.req,
        init,
        (out) => {
          ctx.status = out.status;
          ctx.set(out.headers);
          // A string goes out in the same write as the headers; koa keeps the content-type set above.
          ctx.body = typeof out.body === 'string' ? out.body : Buffer.from(out.body);
          resolve();
        },
        reject,
      );
    });
  };
  return attachEmitter(middleware, wxpay);
}
