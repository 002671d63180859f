/**
 * @module @wxpay-kit/hono
 *
 * WeChat Pay for Hono 4: `app.use('*', wxpayHono(options, { prefix: '/wxpay' }))`.
 */
export { wxpayHono, type WxPayHono, type WxPayHonoMount } from './wxpay-hono.js';
