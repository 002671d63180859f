import { z } from 'zod';
import { REFUND_FIELDS, createRefund, type CreateRefundResult } from '../../flow/refund-calls.js';
import { okEnvelope } from '../respond.js';
import { parseBody, type JsonRoute } from '../route-context.js';
import { targetFields } from './schemas.js';

/** The body of `create-refund`. */
export const createRefundBody = z.object({ ...targetFields, ...REFUND_FIELDS });

/** The seed gateway's `result` of create-refund. */
function resultOf(refund: CreateRefundResult): Record<string, unknown> {
  const raw = refund.raw;
  return {
    app_id: refund.appId,
    mch_id: refund.mchId,
    result_code: raw['result_code'] ?? 'SUCCESS',
    err_code: raw['err_code'] ?? 'SUCCESS',
    err_code_des: raw['err_code_des'] ?? '',
    transaction_id: refund.transactionId,
    order_id: refund.outTradeNo,
    wx_refund_id: refund.refundId,
    refund_id: refund.outRefundNo,
    total_fee: refund.totalFee,
    settlement_total_fee: refund.settlementTotalFee ?? 0,
    refund_fee: refund.refundFee,
    settlement_refund_fee: refund.settlementRefundFee ?? 0,
    fee_type: refund.feeType ?? 'CNY',
    cash_fee: refund.cashFee ?? 0,
    cash_fee_type: refund.cashFeeType ?? 'CNY',
    cash_refund_fee: refund.cashRefundFee ?? 0,
    coupon_refund_fee: refund.couponRefundFee ?? 0,
    coupon_refund_count: refund.couponRefunds.length,
    refund_coupons:
      refund.couponRefunds.length === 0
        ? null
        : refund.couponRefunds.map((c) => ({ coupon_refund_id: c.id, coupon_type: c.type ?? '', coupon_refund_fee: c.fee })),
  };
}

/**
 * `POST /create-refund`: `{appId, payApp, orderId | transactionId, refundId, totalFee, refundFee,
 * refundReason, notifyUrl?}` → `{code: 200, msg: 'OK', result}`. Exactly one of `orderId` and
 * `transactionId` names the order; `notifyUrl` sends the refund's notification there instead of
 * the app's refund notify URL (the app then passes it to `verifyNotification`). The refund is accepted, not finished: its outcome arrives as a
 * `refunded` or `refund-failed` event through the app's refund notify URL. Once WeChat accepts it,
 * the refund is recorded in the dedup store, and a refund notification whose `refund_fee`,
 * `out_trade_no` or `total_fee` disagrees with it is refused.
 */
export const createRefundRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/create-refund',
  body: createRefundBody,
  async handle(ctx, raw) {
    const input = parseBody(createRefundBody, raw);
    const refund = await createRefund(ctx, { ...input, app: input.payApp, appField: 'payApp' });
    return okEnvelope(resultOf(refund));
  },
};
