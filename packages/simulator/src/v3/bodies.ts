import type { OrderRecord, RefundRecord } from '../state.js';
import type { SimRefundStatus } from '../types.js';
import { rfc3339 } from './time.js';

type Json = Record<string, unknown>;

const isPaid = (order: OrderRecord): boolean => order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND';

/** Drops `undefined` members, as WeChat omits absent fields. */
function compact<T extends Json>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The transaction object of query replies and decrypted payment notifications (spec v3 §5). */
export function transactionObject(order: OrderRecord): Json {
  const paid = isPaid(order);
  return compact({
    appid: order.appId,
    mchid: order.mchId,
    out_trade_no: order.outTradeNo,
    transaction_id: order.transactionId,
    trade_type: paid ? order.tradeType : undefined,
    trade_state: order.tradeState,
    trade_state_desc: order.tradeStateDesc,
    bank_type: order.bankType,
    attach: order.attach ?? '',
    success_time: paid && order.paidAt !== undefined ? rfc3339(order.paidAt) : undefined,
    payer: paid ? { openid: order.openId } : undefined,
    amount: paid
      ? { total: order.totalFee, payer_total: order.cashFee, currency: order.feeType, payer_currency: order.feeType }
      : { total: order.totalFee, currency: order.feeType, payer_currency: order.feeType },
    promotion_detail:
      paid && order.coupons.length > 0
        ? order.coupons.map((c) => ({
            coupon_id: c.id,
            scope: 'GLOBAL',
            type: c.type === 'CASH' ? 'CASH' : 'NOCASH',
            amount: c.fee,
            currency: order.feeType,
          }))
        : undefined,
  });
}

/** v2 refund states as API v3 names them. */
export const V3_REFUND_STATUS: Readonly<Record<SimRefundStatus, string>> = {
  PROCESSING: 'PROCESSING',
  SUCCESS: 'SUCCESS',
  REFUNDCLOSE: 'CLOSED',
  CHANGE: 'ABNORMAL',
};

/** `funds_account` of a refund from its v2 `refund_account`. */
const fundsAccount = (refund: RefundRecord): string =>
  refund.refundAccount === 'REFUND_SOURCE_RECHARGE_FUNDS' ? 'AVAILABLE' : 'UNSETTLED';

/** `yyyy-MM-dd HH:mm:ss` Beijing time (as refunds keep it) to RFC 3339. */
const fromReadable = (text: string | undefined): string | undefined => (text ? `${text.replace(' ', 'T')}+08:00` : undefined);

/** The refund object of refund and refund-query replies (spec v3 §5). */
export function refundObject(refund: RefundRecord, order: OrderRecord): Json {
  const settlementTotal = order.settlementTotalFee ?? order.totalFee;
  return compact({
    refund_id: refund.refundId,
    out_refund_no: refund.outRefundNo,
    transaction_id: refund.transactionId,
    out_trade_no: refund.outTradeNo,
    channel: 'ORIGINAL',
    user_received_account: refund.recvAccount,
    success_time: refund.status === 'SUCCESS' ? fromReadable(refund.successTime) : undefined,
    create_time: rfc3339(refund.createdAt),
    status: V3_REFUND_STATUS[refund.status],
    funds_account: fundsAccount(refund),
    amount: {
      total: order.totalFee,
      refund: refund.refundFee,
      from: [],
      payer_total: order.cashFee ?? order.totalFee,
      payer_refund: refund.cashRefundFee,
      settlement_refund: refund.settlementRefundFee,
      settlement_total: settlementTotal,
      discount_refund: refund.couponRefundFee,
      currency: refund.refundFeeType,
      refund_fee: 0,
    },
    promotion_detail: refund.couponRefunds.map((c) => ({
      promotion_id: c.id,
      scope: 'GLOBAL',
      type: c.type === 'CASH' ? 'CASH' : 'NOCASH',
      amount: order.coupons.find((o) => o.id === c.id)?.fee ?? c.fee,
      refund_amount: c.fee,
      goods_detail: [],
    })),
  });
}

/** The decrypted resource of a refund notification (spec v3 §7.1). */
export function refundResource(refund: RefundRecord, order: OrderRecord): Json {
  return compact({
    mchid: refund.mchId,
    transaction_id: refund.transactionId,
    out_trade_no: refund.outTradeNo,
    refund_id: refund.refundId,
    out_refund_no: refund.outRefundNo,
    refund_status: V3_REFUND_STATUS[refund.status],
    success_time: refund.status === 'SUCCESS' ? fromReadable(refund.successTime) : undefined,
    user_received_account: refund.recvAccount,
    amount: {
      total: order.totalFee,
      refund: refund.refundFee,
      payer_total: order.cashFee ?? order.totalFee,
      payer_refund: refund.cashRefundFee,
    },
  });
}

/** `event_type` and `summary` of a refund notification. */
export function refundEvent(refund: RefundRecord): { eventType: string; summary: string } {
  switch (refund.status) {
    case 'SUCCESS':
      return { eventType: 'REFUND.SUCCESS', summary: '退款成功' };
    case 'REFUNDCLOSE':
      return { eventType: 'REFUND.CLOSED', summary: '退款关闭' };
    default:
      return { eventType: 'REFUND.ABNORMAL', summary: '退款异常' };
  }
}
