import { WxPayError } from '../../errors.js';
import { parseRefundNotification } from '../../protocol/v2/notify.js';
import { refundFromNotification } from '../event-payloads.js';
import { assertRecordedTotal, fireRefund, recordedOrder, recordedRefund } from '../paid-flow.js';
import { notifyReply } from '../respond.js';
import type { NotifyRoute } from '../route-context.js';
import { assertBelongsToApp, isV3Request, notifyTarget } from './notify-common.js';
import { handleV3RefundNotification } from './notify-v3.js';

/**
 * `POST /notify-refund/:app`: WeChat's refund notification (spec §8). It has no `sign`: `req_info`
 * is decrypted with the key of the app's merchant (a sandbox merchant's sandbox sign key), which is what proves it came from WeChat.
 * `appid` and `mch_id` must belong to the app in the URL; when the order was recorded at
 * create-pay, it must be this app's and its amount must match `total_fee`; when the refund was
 * recorded at create-refund, it must be this app's, for this order, and of this `refund_fee`.
 * Without those records (refunds started in the merchant console, orders placed elsewhere or older
 * than the store keeps them) the verified result is delivered with `recordChecked: false` and a
 * warning. Then `refunded` (status SUCCESS) or `refund-failed` (CHANGE, REFUNDCLOSE) fires once per
 * `<mchId>:refund:<refund_id>`, with every listener awaited. Any failure answers FAIL and raises an
 * `error` event.
 */
export const notifyRefundRoute: NotifyRoute = {
  kind: 'notify',
  method: 'POST',
  path: '/notify-refund/:app',
  async handle(ctx, request, params) {
    const { app, merchant } = notifyTarget(ctx, params);
    if (isV3Request(request)) return handleV3RefundNotification(ctx, request, app, merchant, notifyRefundRoute.path);
    const apiKey = await ctx.signKey(merchant.name);
    let decrypted;
    try {
      decrypted = parseRefundNotification(request.rawBody, apiKey, { maxBytes: ctx.config.bodyLimit });
    } catch (error) {
      if (!(error instanceof WxPayError)) throw error;
      ctx.logger.info({ route: notifyRefundRoute.path, app: app.name }, 'refund notification without return_code SUCCESS acknowledged');
      return notifyReply(true);
    }
    assertBelongsToApp(decrypted.outer, app, merchant);
    const refund = decrypted.refund;
    const order = await recordedOrder(ctx, app.name, merchant.mchId, refund.outTradeNo);
    assertRecordedTotal(order, refund.outTradeNo, refund.totalFee, 'the refund notification');
    const recorded = await recordedRefund(ctx, app.name, merchant.mchId, refund.outRefundNo);
    await fireRefund(ctx, { app: app.name, mchId: merchant.mchId, refund, recorded }, (redelivery, checked) =>
      refundFromNotification(decrypted, app.name, redelivery, checked),
    );
    return notifyReply(true);
  },
};
