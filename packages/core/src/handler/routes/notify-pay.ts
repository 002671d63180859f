import type { ResolvedApp, ResolvedMerchant } from '../../config/types.js';
import { WxPayError } from '../../errors.js';
import { parsePayNotification, type VerifiedPayNotification } from '../../protocol/v2/notify.js';
import { paidFromNotification } from '../event-payloads.js';
import { isPromiseLike, type MaybePromise } from '../maybe-promise.js';
import { firePaid } from '../paid-flow.js';
import { notifyReply, notifySuccess } from '../respond.js';
import type { HandlerContext, NotifyRoute } from '../route-context.js';
import type { WxPayRequest, WxPayResponse } from '../types.js';
import { assertBelongsToApp, isV3Request, notifyTarget } from './notify-common.js';
import { handleV3PayNotification } from './notify-v3.js';

/**
 * `POST /notify-pay/:app`: WeChat's payment notification (spec §7), in this order:
 *
 * 1. size and content type were checked by the handler (413 / 415);
 * 2. hostile XML (DOCTYPE, ENTITY, deep or repeated elements) is refused, then the body is parsed
 *    into strings only;
 * 3. `sign` is verified in constant time over every field received, with the algorithm the
 *    message names: `sign_type` when present, else by the signature's length. Both MD5 and
 *    HMAC-SHA256 are accepted whatever the merchant's own `signType`, because WeChat has been seen
 *    signing notifications with MD5 for HMAC-SHA256 merchants (spec §2.2). This opens no
 *    downgrade an attacker can use: both algorithms are keyed with the same merchant API key, a
 *    message that declares `HMAC-SHA256` is only ever checked with HMAC-SHA256, and an unknown
 *    `sign_type` fails;
 * 4. `appid` and `mch_id` must belong to the app in the URL ({@link AppMismatchError});
 * 5. the amount must equal the order recorded at create-pay, when there is one;
 * 6. `paid` fires once per `<mchId>:<transaction_id>` with every listener awaited;
 * 7. SUCCESS, or FAIL with an `error` event for any failure above, so WeChat delivers again.
 *
 * A verified notification whose `result_code` is not SUCCESS reports no payment: it is
 * acknowledged and nothing fires.
 */
export const notifyPayRoute: NotifyRoute = {
  kind: 'notify',
  method: 'POST',
  path: '/notify-pay/:app',
  handle(ctx, request, params) {
    const { app, merchant } = notifyTarget(ctx, params);
    if (isV3Request(request)) return handleV3PayNotification(ctx, request, app, merchant, notifyPayRoute.path);
    const apiKey = ctx.signKey(merchant.name);
    if (isPromiseLike(apiKey)) return apiKey.then((key) => handleV2(ctx, request, app, merchant, key));
    return handleV2(ctx, request, app, merchant, apiKey);
  },
};

/** Steps 2 to 7 for a v2 notification, synchronously as far as the store and listeners allow. */
function handleV2(
  ctx: HandlerContext,
  request: WxPayRequest,
  app: ResolvedApp,
  merchant: ResolvedMerchant,
  apiKey: string,
): MaybePromise<WxPayResponse> {
  let verified: VerifiedPayNotification;
  try {
    verified = parsePayNotification(request.rawBody, { apiKey, maxBytes: ctx.config.bodyLimit });
  } catch (error) {
    if (!(error instanceof WxPayError)) throw error;
    ctx.logger.info(
      { route: notifyPayRoute.path, app: app.name, errCode: error.errCode },
      'pay notification reporting no payment acknowledged',
    );
    return notifyReply(true);
  }
  assertBelongsToApp(verified.payment, app, merchant);
  const payment = verified.payment;
  const facts = {
    app: app.name,
    mchId: merchant.mchId,
    outTradeNo: payment.outTradeNo,
    totalFee: payment.totalFee,
    transactionId: payment.transactionId,
  };
  const fired = firePaid(ctx, facts, (redelivery, checked) => paidFromNotification(verified, app.name, redelivery, checked));
  return isPromiseLike(fired) ? fired.then(notifySuccess) : notifySuccess();
}
