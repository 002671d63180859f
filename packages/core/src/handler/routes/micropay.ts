import { z } from 'zod';
import { micropay, type MicropayOutcome } from '../../flow/micropay-flow.js';
import { okEnvelope } from '../respond.js';
import { parseBody, resolveTarget, type JsonRoute } from '../route-context.js';
import { orderStateOf } from './query-order.js';
import { fen, optionalText, targetFields, text } from './schemas.js';

/** The body of `micropay`. */
export const micropayBody = z.object({
  ...targetFields,
  orderId: text,
  fee: fen,
  goods: text,
  authCode: text,
  ip: text,
  udd: optionalText,
  deviceInfo: optionalText,
  storeId: optionalText,
  /** How long this caller waits for the final state, in ms; then it gets `pending` and the payment goes on. */
  waitMs: z.number().int('must be whole milliseconds').min(0, 'must be at least 0').max(600_000, 'must be at most 600000').optional(),
});

/** The route's `result`: the final state in query-order's flat shape, the reversal, the refusal, or `pending` with a hint. */
export function micropayResult(outcome: MicropayOutcome): Record<string, unknown> {
  switch (outcome.state) {
    case 'paid':
      return { state: 'paid', ...orderStateOf(outcome.payment) };
    case 'reversed':
    case 'failed': {
      const e = outcome.event;
      return {
        state: outcome.state,
        order_id: e.orderId,
        trade_state: outcome.state === 'reversed' ? 'REVOKED' : 'PAYERROR',
        total_fee: e.totalFee,
        reason: e.reason,
        err_code: e.errCode,
        err_code_des: e.errCodeDes ?? '',
      };
    }
    case 'pending':
      return {
        state: 'pending',
        order_id: outcome.orderId,
        trade_state: outcome.tradeState ?? '',
        reverse_failed: outcome.reverseFailed,
        retry_after_ms: outcome.retryAfterMs,
        query_hint:
          'not final yet: POST micropay again with the same body (the payment is never submitted twice) or POST confirm with the orderId to follow it to the end',
      };
  }
}

/**
 * `POST /micropay`: a payment-code payment run to its end (see `flow/micropay-flow.ts`):
 * `{appId, payApp, orderId, fee, goods, authCode, ip, udd?, deviceInfo?, storeId?, waitMs?}` →
 * `{code: 200, msg: 'OK', result: {state: 'paid' | 'reversed' | 'failed' | 'pending', trade_state, …}}`.
 * Calling it again for the same order follows the same payment; it is never submitted twice.
 */
export const micropayRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/micropay',
  body: micropayBody,
  async handle(ctx, raw) {
    const input = parseBody(micropayBody, raw);
    const { app, merchant, appId } = resolveTarget(ctx, input.payApp, input.appId);
    const outcome = await micropay(
      ctx,
      {
        app,
        merchant,
        appId,
        orderId: input.orderId,
        fee: input.fee,
        goods: input.goods,
        authCode: input.authCode,
        ip: input.ip,
        attach: input.udd,
        deviceInfo: input.deviceInfo,
        storeId: input.storeId,
      },
      input.waitMs,
    );
    return okEnvelope(micropayResult(outcome));
  },
};
