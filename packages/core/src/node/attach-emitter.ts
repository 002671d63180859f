import type { WxPay, WxPayEvents } from '../handler/wxpay.js';

/** What {@link attachEmitter} adds: the instance's typed `on`/`once`/`off`, and the instance. */
export type WxPayEmitterFacade = WxPayEvents & {
  /** The `WxPay` instance behind this middleware or listener. */
  readonly wxpay: WxPay;
};

/**
 * Makes `target` (a middleware function, a listener) the face of `wxpay`'s events:
 * `target.on('paid', …)` registers on the instance and returns `target` for chaining, and
 * `target.wxpay` is the instance. There is only one emitter: two targets made from the same
 * instance share their listeners.
 *
 * @example
 * const middleware = attachEmitter((req, res, next) => { … }, wxpay);
 * middleware.on('paid', (event) => markPaid(event.orderId));
 */
export function attachEmitter<T extends object>(target: T, wxpay: WxPay): T & WxPayEmitterFacade {
  const forward = (method: 'on' | 'once' | 'off') =>
    function (event: never, listener: never): T {
      wxpay[method](event, listener);
      return target;
    };
  Object.defineProperties(target, {
    on: { value: forward('on'), configurable: true },
    once: { value: forward('once'), configurable: true },
    off: { value: forward('off'), configurable: true },
    wxpay: { value: wxpay, enumerable: true, configurable: true },
  });
  return target as T & WxPayEmitterFacade;
}
