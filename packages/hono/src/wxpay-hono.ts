import type { Context, MiddlewareHandler } from 'hono';
import { createWxPay, isWxPay, type WxPay, type WxPayOptions } from '@wxpay-kit/core';
import { handleFetchRequest } from '@wxpay-kit/core/fetch';
import { attachEmitter, type WxPayEmitterFacade } from '@wxpay-kit/core/node';

/** Options of {@link wxpayHono} beyond the core's. */
export interface WxPayHonoMount {
  /** Where the routes are mounted, e.g. `/wxpay` (Hono passes middleware the full path). Default `''`. */
  readonly prefix?: string | undefined;
  /** The client's address; default the Node socket's under `@hono/node-server`, else none. */
  readonly remoteAddress?: ((c: Context) => string | undefined) | undefined;
}

/** A Hono middleware that is also the instance's typed event emitter (`.on('paid', …)`, `.wxpay`). */
export type WxPayHono = MiddlewareHandler & WxPayEmitterFacade;

const nodeAddress = (c: Context): string | undefined =>
  (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;

/**
 * Mounts wxpay-kit's routes in a Hono app: `app.use('*', wxpayHono(options, { prefix: '/wxpay' }))`.
 * Requests that are not ours go to `next()`; ours are served by the core over the exact body
 * bytes (from Hono's body cache when a handler before us read the body).
 */
export function wxpayHono(init: WxPayOptions | WxPay, mount: WxPayHonoMount = {}): WxPayHono {
  const wxpay = isWxPay(init) ? init : createWxPay(init);
  const prefix = (mount.prefix ?? '').replace(/\/+$/, '');
  const remoteAddress = mount.remoteAddress ?? nodeAddress;
  const middleware: MiddlewareHandler = async (c, next) => {
    const full = c.req.path;
    if (prefix !== '' && full !== prefix && !full.startsWith(`${prefix}/`)) return next();
    const path = full.slice(prefix.length) || '/';
    const route = wxpay.match(c.req.method, path);
    if (!route) return next();
    const raw = c.req.raw;
    const request = raw.bodyUsed
      ? new Request(raw.url, { method: raw.method, headers: raw.headers, body: await c.req.arrayBuffer() })
      : raw;
    return handleFetchRequest(wxpay, request, { path, route, remoteAddress: remoteAddress(c) });
  };
  return attachEmitter(middleware, wxpay);
}
