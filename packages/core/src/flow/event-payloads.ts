/**
 * Builds the event payloads from the model: verified notifications and orderquery results, of
 * either API version (each version maps its wire format to the model in its own `fields.ts`).
 * This adds what the handler knows (the app, the source, whether it is a redelivery).
 */
import type { OrderQueryResult } from '../model/contract.js';
import type { PayNotification } from '../model/payment.js';
import type { RefundNotification } from '../model/refund.js';
import type { WirePayload } from '../model/wire.js';
import type { EventSource, PaidEvent, RefundFailedEvent, RefundedEvent } from '../events/event-map.js';
import type { RefundQueryItem, RefundQueryResult } from '../model/contract.js';

/** A verified payment and the wire payload it was mapped from. */
export interface VerifiedPayment {
  readonly raw: WirePayload;
  readonly payment: PayNotification;
}

/** A verified refund outcome and the (decrypted) wire payload it was mapped from. */
export interface VerifiedRefund {
  readonly raw: WirePayload;
  readonly refund: RefundNotification;
}

/** The `paid` payload of a verified pay notification. */
export function paidFromNotification(verified: VerifiedPayment, app: string, redelivery: boolean, recordChecked: boolean): PaidEvent {
  const p = verified.payment;
  return Object.freeze({
    app,
    appId: p.appId,
    mchId: p.mchId,
    subAppId: p.subAppId,
    subMchId: p.subMchId,
    orderId: p.outTradeNo,
    transactionId: p.transactionId,
    totalFee: p.totalFee,
    cashFee: p.cashFee,
    cashFeeType: p.cashFeeType,
    settlementTotalFee: p.settlementTotalFee,
    feeType: p.feeType,
    openId: p.openId,
    tradeType: p.tradeType,
    bankType: p.bankType,
    timeEnd: p.timeEnd,
    attach: p.attach,
    isSubscribe: p.isSubscribe,
    deviceInfo: p.deviceInfo,
    coupons: p.coupons,
    source: 'notify',
    redelivery,
    recordChecked,
    raw: verified.raw,
  });
}

/** The `paid` payload of an order that orderquery reports as `SUCCESS` (`confirm`, the sweeper, reconciliation). */
export function paidFromQuery(
  result: OrderQueryResult,
  app: string,
  redelivery: boolean,
  recordChecked: boolean,
  source: EventSource = 'confirm',
): PaidEvent {
  const totalFee = result.totalFee ?? 0;
  return Object.freeze({
    app,
    appId: result.appId,
    mchId: result.mchId,
    subAppId: result.subAppId,
    subMchId: result.subMchId,
    orderId: result.outTradeNo,
    transactionId: result.transactionId ?? '',
    totalFee,
    cashFee: result.cashFee ?? totalFee,
    cashFeeType: result.cashFeeType,
    settlementTotalFee: result.settlementTotalFee,
    feeType: result.feeType ?? 'CNY',
    openId: result.openId ?? result.subOpenId ?? '',
    tradeType: result.tradeType ?? '',
    bankType: result.bankType ?? '',
    timeEnd: result.timeEnd ?? '',
    attach: result.attach,
    isSubscribe: result.isSubscribe,
    deviceInfo: result.deviceInfo,
    coupons: result.coupons,
    source,
    redelivery,
    recordChecked,
    raw: result.raw,
  });
}

/** The `refunded` (SUCCESS) or `refund-failed` (CHANGE, REFUNDCLOSE) payload of a refund notification. */
export function refundFromNotification(
  decrypted: VerifiedRefund,
  app: string,
  redelivery: boolean,
  recordChecked: boolean,
): RefundedEvent | RefundFailedEvent {
  const r = decrypted.refund;
  const base = {
    app,
    appId: r.appId,
    mchId: r.mchId,
    subMchId: r.subMchId,
    orderId: r.outTradeNo,
    transactionId: r.transactionId,
    refundId: r.outRefundNo,
    wxRefundId: r.refundId,
    totalFee: r.totalFee,
    refundFee: r.refundFee,
    settlementTotalFee: r.settlementTotalFee,
    settlementRefundFee: r.settlementRefundFee,
    refundRecvAccount: r.refundRecvAccount,
    refundAccount: r.refundAccount,
    refundRequestSource: r.refundRequestSource,
    source: 'notify' as const,
    redelivery,
    recordChecked,
    raw: decrypted.raw,
  };
  return r.refundStatus === 'SUCCESS'
    ? Object.freeze({ ...base, refundStatus: 'SUCCESS' as const, successTime: r.successTime })
    : Object.freeze({ ...base, refundStatus: r.refundStatus });
}

/** The `refunded` / `refund-failed` payload of a refund that refundquery reports finished (the sweeper). */
export function refundFromQuery(
  result: RefundQueryResult,
  item: RefundQueryItem,
  app: string,
  redelivery: boolean,
  recordChecked: boolean,
): RefundedEvent | RefundFailedEvent {
  const base = {
    app,
    appId: result.appId,
    mchId: result.mchId,
    subMchId: result.subMchId,
    orderId: result.outTradeNo,
    transactionId: result.transactionId,
    refundId: item.outRefundNo,
    wxRefundId: item.refundId,
    totalFee: result.totalFee,
    refundFee: item.refundFee,
    settlementTotalFee: result.settlementTotalFee,
    settlementRefundFee: item.settlementRefundFee,
    refundRecvAccount: item.refundRecvAccount,
    refundAccount: item.refundAccount,
    refundRequestSource: undefined,
    source: 'sweep' as const,
    redelivery,
    recordChecked,
    raw: result.raw,
  };
  return item.refundStatus === 'SUCCESS'
    ? Object.freeze({ ...base, refundStatus: 'SUCCESS' as const, successTime: item.refundSuccessTime })
    : Object.freeze({ ...base, refundStatus: item.refundStatus as 'CHANGE' | 'REFUNDCLOSE' });
}
