import { z } from 'zod';
import type { RefundQueryResult } from '../../client/types.js';
import { QUERY_REFUND_FIELDS, queryRefund } from '../../flow/refund-calls.js';
import { okEnvelope } from '../respond.js';
import { parseBody, type JsonRoute } from '../route-context.js';
import { targetFields } from './schemas.js';

/** The body of `query-refund`. */
export const queryRefundBody = z.object({ ...targetFields, ...QUERY_REFUND_FIELDS });

/** The refund state in the seed's naming (`refund_id` is the merchant's, `wx_refund_id` WeChat's). */
function resultOf(result: RefundQueryResult): Record<string, unknown> {
  return {
    app_id: result.appId,
    mch_id: result.mchId,
    transaction_id: result.transactionId,
    order_id: result.outTradeNo,
    total_fee: result.totalFee,
    settlement_total_fee: result.settlementTotalFee ?? result.totalFee,
    fee_type: result.feeType ?? 'CNY',
    cash_fee: result.cashFee ?? 0,
    total_refund_count: result.totalRefundCount ?? result.refunds.length,
    refund_count: result.refunds.length,
    refunds: result.refunds.map((r) => ({
      refund_id: r.outRefundNo,
      wx_refund_id: r.refundId,
      refund_channel: r.refundChannel ?? '',
      refund_fee: r.refundFee,
      settlement_refund_fee: r.settlementRefundFee ?? r.refundFee,
      refund_status: r.refundStatus,
      refund_account: r.refundAccount ?? '',
      refund_recv_account: r.refundRecvAccount ?? '',
      refund_success_time: r.refundSuccessTime ?? '',
      coupon_refund_fee: r.couponRefundFee ?? 0,
      refund_coupons:
        r.coupons.length === 0
          ? null
          : r.coupons.map((c) => ({ coupon_refund_id: c.id, coupon_type: c.type ?? '', coupon_refund_fee: c.fee })),
    })),
  };
}

/**
 * `POST /query-refund`: `{appId, payApp}` plus one of `refundId`, `wxRefundId`, `orderId`,
 * `transactionId` → `{code: 200, msg: 'OK', result}` with every refund's state. The work is `queryRefund` in
 * `flow/refund-calls.ts`, which `wxpay.queryRefund()` calls too.
 */
export const queryRefundRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/query-refund',
  body: queryRefundBody,
  async handle(ctx, raw) {
    const input = parseBody(queryRefundBody, raw);
    return okEnvelope(resultOf(await queryRefund(ctx, { ...input, app: input.payApp, appField: 'payApp' })));
  },
};
