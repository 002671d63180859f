/**
 * @module @wxpay-kit/express
 *
 * WeChat Pay for express 4 and 5: `app.use('/wxpay', wxpayExpress(options))`.
 */
export {
  wxpayExpress,
  type ExpressRequestLike,
  type WxPayExpress,
  type WxPayExpressHandler,
  type WxPayExpressOptions,
} from './wxpay-express.js';
