import type { IncomingMessage, ServerResponse } from 'node:http';
import { createWxPay, isWxPay, type WxPay, type WxPayOptions } from '@wxpay-kit/core';
import { attachEmitter, serveNodeRequest, writeResponse, type WxPayEmitterFacade } from '@wxpay-kit/core/node';

/** What `wxpayExpress()` accepts: options for a new instance, or an existing `WxPay`. */
export type WxPayExpressOptions = WxPayOptions | WxPay;

/** The parts of express's `Request` the middleware reads (express 4 and 5 requests have them). */
export interface ExpressRequestLike extends IncomingMessage {
  /** The path below the mount point. */
  readonly path: string;
  readonly ip?: string | undefined;
  /** What a host body parser left, if one ran. */
  readonly body?: unknown;
}

/**
 * An express middleware, written without express's own types so that it keeps its type when
 * `@types/express` is not installed (express 5 ships none); express's `app.use()` takes it.
 */
export type WxPayExpressHandler = (req: ExpressRequestLike, res: ServerResponse, next: (error?: unknown) => void) => void;

/** An express middleware that is also the instance's typed event emitter (`.on('paid', …)`, `.wxpay`). */
export type WxPayExpress = WxPayExpressHandler & WxPayEmitterFacade;

/**
 * Mounts wxpay-kit's routes in an express app. Requests that are not ours go to `next()` with
 * their stream untouched; ours are read raw (whether or not `express.json()`, `express.text()` or
 * `express.raw()` ran first) and served by the core.
 *
 * @example
 * const wxpay = wxpayExpress(options);
 * wxpay.on('paid', async (event) => markPaid(event.orderId, event.totalFee));
 * app.use('/wxpay', wxpay);
 */
export function wxpayExpress(init: WxPayExpressOptions): WxPayExpress {
  const wxpay = isWxPay(init) ? init : createWxPay(init);
  const middleware: WxPayExpressHandler = (req, res, next) => {
    const path = req.path;
    const route = wxpay.match(req.method ?? 'GET', path);
    if (!route) return next();
    serveNodeRequest(wxpay, req, { path, route, parsedBody: req.body, remoteAddress: req.ip }, (out) => writeResponse(res, out), next);
  };
  return attachEmitter(middleware, wxpay);
}
