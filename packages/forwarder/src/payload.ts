import type { PaidEvent, RefundedEvent, RefundFailedEvent, TransferEvent } from '@wxpay-kit/core';

/** One coupon in a pay callback body. */
export interface CallbackCoupon {
  readonly coupon_id: string;
  readonly coupon_type: string;
  /** Fen. */
  readonly coupon_fee: number;
}

/**
 * The JSON POSTed to an app's pay callback: the go-wxpay-gateway `notify-pay-callback` body
 * (snake_case, amounts in fen).
 */
export interface PayCallbackBody {
  readonly result_code: string;
  readonly err_code: string;
  readonly err_code_des: string;
  readonly mch_id: string;
  readonly device_info: string;
  readonly trade_type: string;
  readonly attach: string;
  readonly bank_type: string;
  readonly fee_type: string;
  readonly total_fee: number;
  readonly settlement_total_fee: number;
  readonly cash_fee_type: string;
  readonly cash_fee: number;
  readonly coupon_count: number;
  readonly coupons: readonly CallbackCoupon[] | null;
  readonly is_subscribe: boolean;
  readonly open_id: string;
  readonly order_id: string;
  readonly time_end: string;
  readonly transaction_id: string;
  /**
   * True when the result was checked against the order (create-pay) or refund (create-refund) this
   * service recorded; false when there was no record (placed or refunded elsewhere, or older than
   * the store keeps records): WeChat's signature vouches for it, but check its amounts against your
   * own order before acting.
   */
  readonly record_checked: boolean;
}

/**
 * The JSON POSTed to an app's refund callback: the go-wxpay-gateway create-refund `result` shape
 * (snake_case, amounts in fen), plus the refund notification's outcome fields.
 */
export interface RefundCallbackBody {
  readonly app_id: string;
  readonly mch_id: string;
  /** `SUCCESS` for a successful refund, `FAIL` for a closed or abnormal one. */
  readonly result_code: string;
  /** The refund status: `SUCCESS`, `CHANGE` or `REFUNDCLOSE`. */
  readonly err_code: string;
  readonly err_code_des: string;
  readonly transaction_id: string;
  readonly order_id: string;
  readonly wx_refund_id: string;
  readonly refund_id: string;
  readonly total_fee: number;
  readonly settlement_total_fee: number;
  readonly refund_fee: number;
  readonly settlement_refund_fee: number;
  readonly fee_type: string;
  readonly cash_fee: number;
  readonly cash_fee_type: string;
  readonly cash_refund_fee: number;
  readonly coupon_refund_fee: number;
  readonly coupon_refund_count: number;
  readonly refund_coupons: null;
  readonly refund_status: 'SUCCESS' | 'CHANGE' | 'REFUNDCLOSE';
  /** `yyyy-MM-dd HH:mm:ss`, Beijing time; empty unless successful. */
  readonly success_time: string;
  readonly refund_recv_account: string;
  readonly refund_account: string;
  readonly refund_request_source: string;
  /**
   * True when the result was checked against the order (create-pay) or refund (create-refund) this
   * service recorded; false when there was no record (placed or refunded elsewhere, or older than
   * the store keeps records): WeChat's signature vouches for it, but check its amounts against your
   * own order before acting.
   */
  readonly record_checked: boolean;
}

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || !/^\d+$/.test(value)) return fallback;
  return Number(value);
}

/**
 * A text field of the event's wire payload (`raw`): a v2 record's field by its wire name. A v3
 * payload (JSON) has none of these names, so the fallbacks apply, as they did before.
 */
function wire(raw: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = raw[name];
  return typeof value === 'string' ? value : undefined;
}

/** The pay callback body of a `paid` event. */
export function payCallbackBody(e: PaidEvent): PayCallbackBody {
  const raw = e.raw;
  return {
    result_code: wire(raw, 'result_code') || 'SUCCESS',
    err_code: wire(raw, 'err_code') || 'SUCCESS',
    err_code_des: wire(raw, 'err_code_des') || 'SUCCESS',
    mch_id: e.mchId,
    device_info: e.deviceInfo ?? '',
    trade_type: e.tradeType,
    attach: e.attach ?? '',
    bank_type: e.bankType,
    fee_type: e.feeType,
    total_fee: e.totalFee,
    settlement_total_fee: e.settlementTotalFee ?? e.totalFee,
    cash_fee_type: e.cashFeeType || 'CNY',
    cash_fee: e.cashFee,
    coupon_count: e.coupons.length,
    coupons: e.coupons.length === 0 ? null : e.coupons.map((c) => ({ coupon_id: c.id, coupon_type: c.type ?? '', coupon_fee: c.fee })),
    is_subscribe: e.isSubscribe ?? false,
    open_id: e.openId,
    order_id: e.orderId,
    time_end: e.timeEnd,
    transaction_id: e.transactionId,
    record_checked: e.recordChecked,
  };
}

/** The refund callback body of a `refunded` or `refund-failed` event. */
export function refundCallbackBody(e: RefundedEvent | RefundFailedEvent): RefundCallbackBody {
  const raw = e.raw;
  const cashRefund = int(wire(raw, 'cash_refund_fee'), e.settlementRefundFee ?? e.refundFee);
  const couponRefund = int(wire(raw, 'coupon_refund_fee'), 0);
  return {
    app_id: e.appId,
    mch_id: e.mchId,
    result_code: e.refundStatus === 'SUCCESS' ? 'SUCCESS' : 'FAIL',
    err_code: e.refundStatus,
    err_code_des: e.refundStatus === 'SUCCESS' ? '' : e.refundStatus === 'CHANGE' ? 'refund abnormal' : 'refund closed',
    transaction_id: e.transactionId,
    order_id: e.orderId,
    wx_refund_id: e.wxRefundId,
    refund_id: e.refundId,
    total_fee: e.totalFee,
    settlement_total_fee: e.settlementTotalFee ?? 0,
    refund_fee: e.refundFee,
    settlement_refund_fee: e.settlementRefundFee ?? 0,
    fee_type: wire(raw, 'fee_type') || 'CNY',
    cash_fee: int(wire(raw, 'cash_fee'), e.totalFee),
    cash_fee_type: wire(raw, 'cash_fee_type') || 'CNY',
    cash_refund_fee: cashRefund,
    coupon_refund_fee: couponRefund,
    coupon_refund_count: int(wire(raw, 'coupon_refund_count'), 0),
    refund_coupons: null,
    refund_status: e.refundStatus,
    success_time: e.refundStatus === 'SUCCESS' ? ((e as RefundedEvent).successTime ?? '') : '',
    refund_recv_account: e.refundRecvAccount ?? '',
    refund_account: e.refundAccount ?? '',
    refund_request_source: e.refundRequestSource ?? '',
    record_checked: e.recordChecked,
  };
}

/**
 * The JSON POSTed to an app's transfer callback for `transferred`, `transfer-failed` and
 * `transfer-cancelled` (snake_case like the other callbacks, amounts in fen).
 */
export interface TransferCallbackBody {
  readonly app_id: string;
  readonly mch_id: string;
  /** `transferred`, `transfer-failed` or `transfer-cancelled`. */
  readonly event: string;
  /** `SUCCESS`, `FAIL` or `CANCELLED`. */
  readonly state: string;
  readonly out_bill_no: string;
  readonly transfer_bill_no: string;
  readonly transfer_amount: number;
  readonly openid: string;
  readonly fail_reason: string;
  readonly create_time: string;
  readonly update_time: string;
  readonly record_checked: boolean;
}

const TRANSFER_EVENT_NAMES = { SUCCESS: 'transferred', FAIL: 'transfer-failed', CANCELLED: 'transfer-cancelled' } as const;

/** The transfer callback body of a transfer event. */
export function transferCallbackBody(e: TransferEvent): TransferCallbackBody {
  return {
    app_id: e.appId,
    mch_id: e.mchId,
    event: TRANSFER_EVENT_NAMES[e.state],
    state: e.state,
    out_bill_no: e.outBillNo,
    transfer_bill_no: e.transferBillNo,
    transfer_amount: e.transferAmount,
    openid: e.openId ?? '',
    fail_reason: e.failReason ?? '',
    create_time: e.createTime ?? '',
    update_time: e.updateTime ?? '',
    record_checked: e.recordChecked,
  };
}
