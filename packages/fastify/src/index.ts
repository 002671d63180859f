/**
 * @module @wxpay-kit/fastify
 *
 * WeChat Pay for fastify 5: `await fastify.register(wxpayPlugin, { ...options, prefix: '/wxpay' })`,
 * then `fastify.wxpay.on('paid', …)`.
 */
import './augment.js';
import { wxpayPlugin } from './wxpay-plugin.js';

export { wxpayPlugin, type WxPayFastifyOptions } from './wxpay-plugin.js';
export default wxpayPlugin;
