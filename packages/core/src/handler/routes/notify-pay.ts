import type { ResolvedApp, ResolvedMerchant } from '../../config/types.js';
import { paidFromNotification, type VerifiedPayment } from '../../flow/event-payloads.js';
import { firePaid, type PaidFacts } from '../../flow/paid-flow.js';
import { isPromiseLike, type MaybePromise } from '../../util/maybe-promise.js';
import type { Decoded, NotifyCodec } from '../notify-codec.js';
import type { HandlerContext, NotifyRoute } from '../route-context.js';
import type { WxPayResponse } from '../types.js';
import { assertBelongsToApp, notifyTarget } from './notify-common.js';

/**
 * `POST /notify-pay/:app`: WeChat's payment notification, v2 (spec §7) or v3 (one route, the
 * codec chosen per request), in this order:
 *
 * 1. size and content type were checked by the handler (413 / 415);
 * 2. the codec verifies the message: v2 refuses hostile XML (DOCTYPE, ENTITY, deep or repeated
 *    elements), parses into strings only and checks `sign` in constant time over every field
 *    received, with the algorithm the message names (`sign_type`, else by the signature's length).
 *    Both MD5 and HMAC-SHA256 are accepted whatever the merchant's own `signType`, because WeChat
 *    has been seen signing notifications with MD5 for HMAC-SHA256 merchants (spec §2.2); this
 *    opens no downgrade: both are keyed with the same API key, a message that declares
 *    `HMAC-SHA256` is only checked with HMAC-SHA256, and an unknown `sign_type` fails. v3 checks
 *    the `Wechatpay-*` signature over the exact body (±5 minutes) and decrypts the `resource`;
 * 3. `appid` and `mch_id` must belong to the app in the URL ({@link AppMismatchError});
 * 4. the amount must equal the order recorded at create-pay, when there is one;
 * 5. `paid` fires once per `<mchId>:<transaction_id>` with every listener awaited;
 * 6. the codec's acknowledgement, or FAIL with an `error` event for any failure above, so WeChat
 *    delivers again.
 *
 * A verified notification that reports no payment (v2 `result_code` not SUCCESS, v3 another event
 * type or `trade_state`) is acknowledged and nothing fires. A v2 notification is answered
 * synchronously when the store and listeners are.
 */
export const notifyPayRoute: NotifyRoute = {
  kind: 'notify',
  method: 'POST',
  path: '/notify-pay/:app',
  handle(ctx, request, params, codec) {
    const { app, merchant } = notifyTarget(ctx, params);
    const decoded = codec.payment(ctx, request, merchant);
    if (isPromiseLike(decoded)) return decoded.then((d) => settle(ctx, codec, d, app, merchant));
    return settle(ctx, codec, decoded, app, merchant);
  },
};

/** What a decoded pay notification asks of the flow: nothing (acknowledge it), or `paid` for these facts. */
export type PaymentStep =
  | { readonly ignored: string; readonly detail?: Readonly<Record<string, unknown>> }
  | { readonly facts: PaidFacts; readonly verified: VerifiedPayment };

/**
 * Step 3 for a decoded notification: checks it belongs to the app, and says what the flow does
 * with it. Shared by the route and `verifyNotification`.
 */
export function paymentStep(decoded: Decoded<VerifiedPayment>, app: ResolvedApp, merchant: ResolvedMerchant): PaymentStep {
  if ('ignored' in decoded) return decoded;
  const verified = decoded.verified;
  const payment = verified.payment;
  assertBelongsToApp(payment, app, merchant);
  if (!decoded.final) {
    return { ignored: 'v3 pay notification reporting no payment acknowledged', detail: { tradeState: verified.raw['trade_state'] } };
  }
  const facts = {
    app: app.name,
    mchId: merchant.mchId,
    outTradeNo: payment.outTradeNo,
    totalFee: payment.totalFee,
    transactionId: payment.transactionId,
  };
  return { facts, verified };
}

/** Steps 3 to 6 for a decoded notification. */
function settle(
  ctx: HandlerContext,
  codec: NotifyCodec,
  decoded: Decoded<VerifiedPayment>,
  app: ResolvedApp,
  merchant: ResolvedMerchant,
): MaybePromise<WxPayResponse> {
  const step = paymentStep(decoded, app, merchant);
  if ('ignored' in step) {
    ctx.logger.info({ route: notifyPayRoute.path, app: app.name, ...step.detail }, step.ignored);
    return codec.ack();
  }
  const { facts, verified } = step;
  const fired = firePaid(ctx, facts, (redelivery, checked) => paidFromNotification(verified, app.name, redelivery, checked));
  return isPromiseLike(fired) ? fired.then(() => codec.ack()) : codec.ack();
}
