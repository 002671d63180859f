import { z } from 'zod';
import { InternalError, isWxPayKitError } from '../../errors.js';
import { paidFromQuery } from '../../flow/event-payloads.js';
import { finishMicropay } from '../../flow/micropay-flow.js';
import { firePaid, recordedOrder } from '../../flow/paid-flow.js';
import { jsonResponse } from '../respond.js';
import { parseBody, resolveTarget, type JsonRoute } from '../route-context.js';
import { orderStateOf } from './query-order.js';
import { orderIdFields, orderRef, targetFields } from './schemas.js';

const body = z.object({ ...targetFields, ...orderIdFields });

/**
 * `POST /confirm`: the front end calls it after the user paid. `{appId, payApp}` and exactly one
 * of `orderId` and `transactionId` →
 * queries WeChat; when the order is paid and `paid` has not fired for it yet, fires `paid` with
 * `source: 'confirm'` through the same once-per-transaction path as the notification (so a
 * notification racing it still gives one `paid`). Answers the order state in query-order's shape.
 *
 * A payment-code order (recorded by `micropay`) that is not final yet is followed to its end here
 * (queried, and reversed once its deadline passed), as `micropay` would; the answer is then the
 * order's state after that (`SUCCESS` or `REVOKED`).
 *
 * When the recorded order disagrees with WeChat's answer, or a listener rejects, no `paid` counts
 * as delivered: the failure goes to the `error` event and the caller gets the error (calling
 * confirm again retries).
 */
export const confirmRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/confirm',
  async handle(ctx, raw) {
    const input = parseBody(body, raw);
    const { app, merchant, appId } = resolveTarget(ctx, input.payApp, input.appId);
    let result = await ctx.client.queryOrder({ merchant: merchant.name, appId, ...orderRef(input) });
    const orderId = input.orderId ?? result.outTradeNo;
    if (result.tradeState === 'USERPAYING' || result.tradeState === 'PAYERROR' || result.tradeState === 'NOTPAY') {
      const recorded = await recordedOrder(ctx, app.name, merchant.mchId, orderId);
      if (recorded?.kind === 'micropay') {
        const target = { app, merchant, appId, orderId, fee: recorded.totalFee };
        const outcome = await finishMicropay(ctx, target, recorded.createdAt);
        if (outcome.state !== 'pending') result = await ctx.client.queryOrder({ merchant: merchant.name, appId, outTradeNo: orderId });
      }
    }
    if (result.tradeState === 'SUCCESS' && result.transactionId) {
      const transactionId = result.transactionId;
      try {
        const facts = {
          app: app.name,
          mchId: merchant.mchId,
          outTradeNo: result.outTradeNo,
          totalFee: result.totalFee ?? 0,
          transactionId,
        };
        await firePaid(ctx, facts, (redelivery, checked) => paidFromQuery(result, app.name, redelivery, checked));
      } catch (cause) {
        const error = isWxPayKitError(cause) ? cause : new InternalError('confirming the payment failed', { cause });
        ctx.emitter.emitError({ error, route: confirmRoute.path, app: app.name });
        throw error;
      }
    }
    return jsonResponse(200, orderStateOf(result));
  },
};
