/**
 * @module @wxpay-kit/koa
 *
 * WeChat Pay for koa 2 and 3: `app.use(wxpayKoa(options, { prefix: '/wxpay' }))`.
 */
export { wxpayKoa, type KoaContextLike, type WxPayKoa, type WxPayKoaMiddleware, type WxPayKoaOptions } from './wxpay-koa.js';
