import { AmountMismatchError, DecryptError } from '../../errors.js';
import { decryptRefundInfo } from '../../protocol/v2/refund-crypto.js';
import { parseXml } from '../../protocol/v2/xml.js';
import { fenField, refundFromNotification, textField } from '../event-payloads.js';
import { notifyReply } from '../respond.js';
import { orderKey, refundKey, storeCall, type NotifyRoute } from '../route-context.js';
import { assertBelongsToApp, notifyTarget } from './notify-common.js';

/**
 * `POST /notify-refund/:app`: WeChat's refund notification (spec §8). It has no `sign`: `req_info`
 * is decrypted with the key of the app's merchant, which is what proves it came from WeChat.
 * `appid` and `mch_id` must belong to the app in the URL; when the order was recorded at
 * create-pay, its amount must match `total_fee`. Then `refunded` (status SUCCESS) or
 * `refund-failed` (CHANGE, REFUNDCLOSE) fires once per `<mchId>:refund:<refund_id>`, with every
 * listener awaited. Any failure answers FAIL and raises an `error` event.
 */
export const notifyRefundRoute: NotifyRoute = {
  kind: 'notify',
  method: 'POST',
  path: '/notify-refund/:app',
  async handle(ctx, request, params) {
    const { app, merchant } = notifyTarget(ctx, params);
    const outer = parseXml(request.rawBody, { maxBytes: ctx.config.bodyLimit });
    if (outer['return_code'] !== 'SUCCESS') {
      ctx.logger.info({ route: notifyRefundRoute.path, app: app.name }, 'refund notification without return_code SUCCESS ignored');
      return notifyReply(true);
    }
    const reqInfo = outer['req_info'];
    if (reqInfo === undefined || reqInfo === '') throw new DecryptError('the refund notification carries no req_info');
    const inner = parseXml(decryptRefundInfo(reqInfo, merchant.apiKey), { maxBytes: ctx.config.bodyLimit });
    assertBelongsToApp(outer, app, merchant);
    const outTradeNo = textField(inner, 'out_trade_no');
    const totalFee = fenField(inner, 'total_fee');
    const order = await storeCall('read an order', () => ctx.store.getOrder(orderKey(merchant.mchId, outTradeNo)));
    if (order !== undefined && order.totalFee !== totalFee) {
      throw new AmountMismatchError(
        `order ${outTradeNo} was created for ${order.totalFee} fen but the refund notification says ${totalFee} fen`,
      );
    }
    const probe = refundFromNotification(outer, inner, app.name, false);
    if (probe === undefined) {
      ctx.logger.warn(
        { route: notifyRefundRoute.path, app: app.name, refundStatus: inner['refund_status'] },
        'refund notification with a non-final refund_status acknowledged without an event',
      );
      return notifyReply(true);
    }
    await ctx.once.run(refundKey(merchant.mchId, probe.wxRefundId), async (redelivery) => {
      const event = refundFromNotification(outer, inner, app.name, redelivery)!;
      if (event.refundStatus === 'SUCCESS') await ctx.emitter.emitAndWait('refunded', event);
      else await ctx.emitter.emitAndWait('refund-failed', event);
    });
    return notifyReply(true);
  },
};
