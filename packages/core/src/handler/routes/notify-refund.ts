import { ANY_APP_ID } from '../../config/app-ids.js';
import type { ResolvedApp, ResolvedMerchant } from '../../config/types.js';
import { refundFromNotification, type VerifiedRefund } from '../../flow/event-payloads.js';
import { assertRecordedTotal, fireRefund, recordedOrder, recordedRefund, type RefundFacts } from '../../flow/paid-flow.js';
import type { Decoded } from '../notify-codec.js';
import type { HandlerContext, NotifyRoute } from '../route-context.js';
import { assertBelongsToApp, assertBelongsToMerchant, notifyTarget } from './notify-common.js';

/**
 * `POST /notify-refund/:app`: WeChat's refund notification, v2 (spec §8) or v3, the codec chosen
 * per request. v2's has no `sign`: `req_info` is decrypted with the key of the app's merchant (a
 * sandbox merchant's sandbox sign key), which is what proves it came from WeChat; v3's is signed
 * and its `resource` encrypted with the APIv3 key.
 *
 * The merchant (and, for v2, `appid`) must belong to the app in the URL; when the order was
 * recorded at create-pay, it must be this app's and its amount must match `total_fee`; when the
 * refund was recorded at create-refund, it must be this app's, for this order, and of this
 * `refund_fee`. Without those records (refunds started in the merchant console, orders placed
 * elsewhere or older than the store keeps them) the verified result is delivered with
 * `recordChecked: false` and a warning. Then `refunded` (status SUCCESS) or `refund-failed`
 * (CHANGE, REFUNDCLOSE, v3 ABNORMAL/CLOSED) fires once per `<mchId>:refund:<refund_id>`, with
 * every listener awaited. Any failure answers FAIL and raises an `error` event.
 */
export const notifyRefundRoute: NotifyRoute = {
  kind: 'notify',
  method: 'POST',
  path: '/notify-refund/:app',
  async handle(ctx, request, params, codec) {
    const { app, merchant } = notifyTarget(ctx, params);
    const step = await refundStep(ctx, await codec.refund(ctx, request, merchant), app, merchant);
    if ('ignored' in step) {
      ctx.logger.info({ route: notifyRefundRoute.path, app: app.name, ...step.detail }, step.ignored);
      return codec.ack();
    }
    const { facts, verified } = step;
    await fireRefund(ctx, facts, (redelivery, checked) => refundFromNotification(verified, app.name, redelivery, checked));
    return codec.ack();
  },
};

/** What a decoded refund notification asks of the flow: nothing (acknowledge it), or the refund event for these facts. */
export type RefundStep =
  | { readonly ignored: string; readonly detail?: Readonly<Record<string, unknown>> }
  | { readonly facts: RefundFacts; readonly verified: VerifiedRefund };

/**
 * Checks a decoded refund notification against the app and the records, and says what the flow
 * does with it. Shared by the route and `verifyNotification`.
 */
export async function refundStep(
  ctx: HandlerContext,
  decoded: Decoded<VerifiedRefund>,
  app: ResolvedApp,
  merchant: ResolvedMerchant,
): Promise<RefundStep> {
  if ('ignored' in decoded) return decoded;
  let { refund } = decoded.verified;
  if (decoded.namesAppId) assertBelongsToApp(refund, app, merchant);
  else assertBelongsToMerchant(refund, app, merchant);
  const [recorded, order] = await Promise.all([
    recordedRefund(ctx, app.name, merchant.mchId, refund.outRefundNo),
    recordedOrder(ctx, app.name, merchant.mchId, refund.outTradeNo),
  ]);
  if (!decoded.namesAppId) {
    // The message names no app id: the app is the one in the notify URL, the merchant was checked
    // above and the signature vouches for both. The app id the event carries is the one
    // create-refund recorded, else the one create-pay recorded, else the app's first listed id,
    // else '' (the app lists none and nothing was recorded).
    const appId = recorded?.appId ?? order?.appId ?? app.appIds.find((id) => id !== ANY_APP_ID) ?? '';
    refund = Object.freeze({ ...refund, appId });
  }
  assertRecordedTotal(order, refund.outTradeNo, refund.totalFee, 'the refund notification');
  return { facts: { app: app.name, mchId: merchant.mchId, refund, recorded }, verified: { raw: decoded.verified.raw, refund } };
}
