import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createWxPay, isWxPay, type WxPay, type WxPayOptions } from '@wxpay-kit/core';
import { attachEmitter, serveNodeRequest, writeResponse, type WxPayEmitterFacade } from '@wxpay-kit/core/node';

/** What `wxpayExpress()` accepts: options for a new instance, or an existing `WxPay`. */
export type WxPayExpressOptions = WxPayOptions | WxPay;

/** An express middleware that is also the instance's typed event emitter (`.on('paid', …)`, `.wxpay`). */
export type WxPayExpress = RequestHandler & WxPayEmitterFacade;

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
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const path = req.path;
    const route = wxpay.match(req.method, path);
    if (!route) return next();
    serveNodeRequest(
      wxpay,
      req,
      { path, route, parsedBody: req.body as unknown, remoteAddress: req.ip },
      (out) => writeResponse(res, out),
      next,
    );
  };
  return attachEmitter(middleware, wxpay);
}
