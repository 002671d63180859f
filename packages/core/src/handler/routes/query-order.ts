import { z } from 'zod';
import type { OrderQueryResult } from '../../client/types.js';
import { jsonResponse } from '../respond.js';
import { queryOrder } from '../../flow/order-calls.js';
import { parseBody, type JsonRoute } from '../route-context.js';
import { orderIdFields, targetFields } from './schemas.js';

/** The body of `query-order`, `close-order` and `confirm`. */
export const orderBody = z.object({ ...targetFields, ...orderIdFields });

/**
 * The seed gateway's flat, snake_case order state (its `query-order` answer), plus `trade_state`
 * and `trade_state_desc` so unpaid and closed orders can be told apart.
 */
export function orderStateOf(result: OrderQueryResult): Record<string, unknown> {
  const raw = result.raw;
  return {
    app_id: result.appId,
    mch_id: result.mchId,
    device_info: result.deviceInfo ?? '',
    trade_state: result.tradeState,
    trade_state_desc: result.tradeStateDesc ?? '',
    result_code: raw['result_code'] ?? 'SUCCESS',
    err_code: raw['err_code'] ?? 'SUCCESS',
    err_code_des: raw['err_code_des'] ?? 'SUCCESS',
    open_id: result.openId ?? result.subOpenId ?? '',
    is_subscribe: result.isSubscribe ?? false,
    trade_type: result.tradeType ?? '',
    bank_type: result.bankType ?? '',
    total_fee: result.totalFee ?? 0,
    settlement_total_fee: result.settlementTotalFee ?? result.totalFee ?? 0,
    fee_type: result.feeType ?? 'CNY',
    cash_fee: result.cashFee ?? 0,
    cash_fee_type: result.cashFeeType ?? 'CNY',
    coupon_fee: result.couponFee ?? 0,
    coupon_count: result.coupons.length,
    coupons:
      result.coupons.length === 0 ? null : result.coupons.map((c) => ({ coupon_id: c.id, coupon_type: c.type ?? '', coupon_fee: c.fee })),
    transaction_id: result.transactionId ?? '',
    order_id: result.outTradeNo,
    attach: result.attach ?? '',
    time_end: result.timeEnd ?? '',
  };
}

/**
 * `POST /query-order`: `{appId, payApp}` and exactly one of `orderId` (the merchant's order number)
 * and `transactionId` (WeChat's) → the flat order state of the seed gateway.
 */
export const queryOrderRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/query-order',
  body: orderBody,
  async handle(ctx, raw) {
    const input = parseBody(orderBody, raw);
    const result = await queryOrder(ctx, { ...input, app: input.payApp, appField: 'payApp' });
    return jsonResponse(200, orderStateOf(result));
  },
};
