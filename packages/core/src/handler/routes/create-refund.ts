import { z } from 'zod';
import type { RefundResult } from '../../client/types.js';
import { ValidationError } from '../../errors.js';
import { recordRefund } from '../../flow/paid-flow.js';
import { okEnvelope } from '../respond.js';
import { notifyUrlFor, parseBody, resolveTarget, type JsonRoute } from '../route-context.js';
import { fen, notifyUrlField, optionalText, orderIdFields, orderRef, targetFields, text } from './schemas.js';

const body = z.object({
  ...targetFields,
  ...orderIdFields,
  refundId: text,
  totalFee: fen,
  refundFee: fen,
  refundReason: optionalText,
  notifyUrl: notifyUrlField,
});

/** The seed gateway's `result` of create-refund. */
function resultOf(refund: RefundResult): Record<string, unknown> {
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
  async handle(ctx, raw) {
    const input = parseBody(body, raw);
    if (input.refundFee > input.totalFee) {
      throw new ValidationError('refundFee: must not exceed totalFee', { field: 'refundFee' });
    }
    const ref = orderRef(input);
    const { app, merchant, appId } = resolveTarget(ctx, input.payApp, input.appId);
    const refund = await ctx.client.refund({
      merchant: merchant.name,
      appId,
      ...ref,
      outRefundNo: input.refundId,
      totalFee: input.totalFee,
      refundFee: input.refundFee,
      refundDesc: input.refundReason,
      notifyUrl: input.notifyUrl ?? notifyUrlFor(ctx.config.notifyRefundUrl, app.name),
    });
    await recordRefund(ctx, {
      app: app.name,
      appId,
      mchId: merchant.mchId,
      // By transactionId, WeChat's answer names the order.
      outTradeNo: ref.outTradeNo ?? refund.outTradeNo,
      outRefundNo: input.refundId,
      totalFee: input.totalFee,
      refundFee: input.refundFee,
    });
    return okEnvelope(resultOf(refund));
  },
};
