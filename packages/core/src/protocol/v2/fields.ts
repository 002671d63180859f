/**
 * Where API v2's snake_case XML records meet the protocol-neutral model: strict parsing of amounts
 * and counts (never `parseFloat`, never a parser's number guess), and the mapping of each verified
 * reply or notification record to its model type. `raw` is the record itself.
 */
import { XmlError } from '../../errors.js';
import type { OrderQueryResult, RefundQueryItem, RefundQueryResult, RefundResult, ReplyBase } from '../../model/contract.js';
import type { Coupon, PayNotification } from '../../model/payment.js';
import type { CouponRefund, RefundNotification } from '../../model/refund.js';
import type { XmlRecord } from './xml.js';

/** Largest amount accepted from the wire, in fen: far above any real payment, below 2^53. */
export const MAX_WIRE_FEN = 1e15;
/** Largest indexed-list size accepted (coupons, refunds): WeChat allows at most 50 refunds per order. */
export const MAX_WIRE_COUNT = 1000;

const DIGITS = /^\d{1,16}$/;

/**
 * Parses a wire integer strictly: decimal digits only (no sign, point, exponent, spaces or hex),
 * within `[0, max]`. Throws {@link XmlError} naming the field, never echoing the value.
 */
export function parseWireInt(text: string, field: string, max: number = MAX_WIRE_FEN): number {
  if (!DIGITS.test(text)) throw new XmlError(`field '${field}' is not a whole number`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value > max) throw new XmlError(`field '${field}' is out of range`);
  return value;
}

/** A field's text, or undefined when absent or empty. */
export function optionalText(record: Readonly<XmlRecord>, name: string): string | undefined {
  const value = record[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A field's text; absent or empty throws {@link XmlError}. */
export function requiredText(record: Readonly<XmlRecord>, name: string): string {
  const value = record[name];
  if (value === undefined || value === '') throw new XmlError(`field '${name}' is missing`);
  return value;
}

/** An amount in fen, or undefined when absent or empty. */
export function optionalFen(record: Readonly<XmlRecord>, name: string): number | undefined {
  const value = optionalText(record, name);
  return value === undefined ? undefined : parseWireInt(value, name);
}

/** An amount in fen; absent throws {@link XmlError}. */
export function requiredFen(record: Readonly<XmlRecord>, name: string): number {
  return parseWireInt(requiredText(record, name), name);
}

/** A list size (`coupon_count`, `refund_count`), or undefined when absent. */
export function optionalCount(record: Readonly<XmlRecord>, name: string): number | undefined {
  const value = optionalText(record, name);
  return value === undefined ? undefined : parseWireInt(value, name, MAX_WIRE_COUNT);
}

/** `Y` → true, `N` → false, anything else → undefined. */
export function yesNo(value: string | undefined): boolean | undefined {
  return value === 'Y' ? true : value === 'N' ? false : undefined;
}

/**
 * Indexed coupons (`coupon_id_$n`, `coupon_type_$n`, `coupon_fee_$n` for n below
 * `<countField>`; spec §7.1). Every announced coupon must have an id and a fee.
 */
export function parseCoupons(
  record: Readonly<XmlRecord>,
  names: { count: string; id: (n: number) => string; type: (n: number) => string; fee: (n: number) => string } = PAY_COUPONS,
): Coupon[] {
  const count = optionalCount(record, names.count) ?? 0;
  const coupons: Coupon[] = [];
  for (let n = 0; n < count; n++) {
    coupons.push(
      Object.freeze({
        id: requiredText(record, names.id(n)),
        type: optionalText(record, names.type(n)),
        fee: requiredFen(record, names.fee(n)),
      }),
    );
  }
  return coupons;
}

const PAY_COUPONS = {
  count: 'coupon_count',
  id: (n: number) => `coupon_id_${n}`,
  type: (n: number) => `coupon_type_${n}`,
  fee: (n: number) => `coupon_fee_${n}`,
};

/** A frozen null-prototype copy of a record, for `raw`. */
export function freezeRecord(record: Readonly<XmlRecord>): Readonly<XmlRecord> {
  // A plain loop: Object.assign from a null-prototype (dictionary) record is several times slower.
  const copy = Object.create(null) as XmlRecord;
  for (const name of Object.keys(record)) copy[name] = record[name]!;
  return Object.freeze(copy);
}

/** The identity fields every business reply carries. */
export function replyBase(record: Readonly<XmlRecord>): ReplyBase {
  return {
    appId: optionalText(record, 'appid') ?? '',
    mchId: optionalText(record, 'mch_id') ?? '',
    subAppId: optionalText(record, 'sub_appid'),
    subMchId: optionalText(record, 'sub_mch_id'),
    raw: freezeRecord(record),
  };
}

export type { PayNotification, RefundNotification };

/** Maps a verified, successful pay notification record. Throws {@link XmlError} for missing or malformed fields. */
export function toPayNotification(record: Readonly<XmlRecord>): PayNotification {
  const totalFee = requiredFen(record, 'total_fee');
  return Object.freeze({
    appId: requiredText(record, 'appid'),
    mchId: requiredText(record, 'mch_id'),
    subAppId: optionalText(record, 'sub_appid'),
    subMchId: optionalText(record, 'sub_mch_id'),
    outTradeNo: requiredText(record, 'out_trade_no'),
    transactionId: requiredText(record, 'transaction_id'),
    totalFee,
    cashFee: optionalFen(record, 'cash_fee') ?? totalFee,
    settlementTotalFee: optionalFen(record, 'settlement_total_fee'),
    feeType: optionalText(record, 'fee_type') ?? 'CNY',
    cashFeeType: optionalText(record, 'cash_fee_type'),
    couponFee: optionalFen(record, 'coupon_fee'),
    coupons: Object.freeze(parseCoupons(record)),
    openId: optionalText(record, 'openid') ?? optionalText(record, 'sub_openid') ?? '',
    subOpenId: optionalText(record, 'sub_openid'),
    isSubscribe: yesNo(record['is_subscribe']),
    subIsSubscribe: yesNo(record['sub_is_subscribe']),
    tradeType: optionalText(record, 'trade_type') ?? '',
    bankType: optionalText(record, 'bank_type') ?? '',
    timeEnd: optionalText(record, 'time_end') ?? '',
    attach: optionalText(record, 'attach'),
    deviceInfo: optionalText(record, 'device_info'),
  });
}

const REFUND_STATUSES = new Set(['SUCCESS', 'CHANGE', 'REFUNDCLOSE']);

/** Maps the outer fields and the decrypted `<root>` record of a refund notification. */
export function toRefundNotification(outer: Readonly<XmlRecord>, info: Readonly<XmlRecord>): RefundNotification {
  const status = requiredText(info, 'refund_status');
  if (!REFUND_STATUSES.has(status)) throw new XmlError(`field 'refund_status' has an unknown value`);
  return Object.freeze({
    appId: requiredText(outer, 'appid'),
    mchId: requiredText(outer, 'mch_id'),
    subAppId: optionalText(outer, 'sub_appid'),
    subMchId: optionalText(outer, 'sub_mch_id'),
    transactionId: requiredText(info, 'transaction_id'),
    outTradeNo: requiredText(info, 'out_trade_no'),
    refundId: requiredText(info, 'refund_id'),
    outRefundNo: requiredText(info, 'out_refund_no'),
    totalFee: requiredFen(info, 'total_fee'),
    settlementTotalFee: optionalFen(info, 'settlement_total_fee'),
    refundFee: requiredFen(info, 'refund_fee'),
    settlementRefundFee: optionalFen(info, 'settlement_refund_fee'),
    refundStatus: status as RefundNotification['refundStatus'],
    successTime: optionalText(info, 'success_time'),
    refundRecvAccount: optionalText(info, 'refund_recv_accout'),
    refundAccount: optionalText(info, 'refund_account'),
    refundRequestSource: optionalText(info, 'refund_request_source'),
  });
}

/** Maps a successful orderquery reply (spec §5.2). */
export function toOrderQueryResult(record: Readonly<XmlRecord>): OrderQueryResult {
  return Object.freeze(
    Object.assign(replyBase(record), {
      tradeState: requiredText(record, 'trade_state'),
      tradeStateDesc: optionalText(record, 'trade_state_desc'),
      outTradeNo: requiredText(record, 'out_trade_no'),
      transactionId: optionalText(record, 'transaction_id'),
      openId: optionalText(record, 'openid'),
      subOpenId: optionalText(record, 'sub_openid'),
      isSubscribe: yesNo(record['is_subscribe']),
      tradeType: optionalText(record, 'trade_type'),
      bankType: optionalText(record, 'bank_type'),
      totalFee: optionalFen(record, 'total_fee'),
      settlementTotalFee: optionalFen(record, 'settlement_total_fee'),
      feeType: optionalText(record, 'fee_type'),
      cashFee: optionalFen(record, 'cash_fee'),
      cashFeeType: optionalText(record, 'cash_fee_type'),
      couponFee: optionalFen(record, 'coupon_fee'),
      coupons: Object.freeze(parseCoupons(record)),
      attach: optionalText(record, 'attach'),
      timeEnd: optionalText(record, 'time_end'),
      deviceInfo: optionalText(record, 'device_info'),
      promotionDetail: optionalText(record, 'promotion_detail'),
    }),
  );
}

/** Maps a successful refund reply (spec §5.4). */
export function toRefundResult(record: Readonly<XmlRecord>): RefundResult {
  const couponRefunds: CouponRefund[] = parseCoupons(record, {
    count: 'coupon_refund_count',
    id: (n) => `coupon_refund_id_${n}`,
    type: (n) => `coupon_type_${n}`,
    fee: (n) => `coupon_refund_fee_${n}`,
  });
  return Object.freeze(
    Object.assign(replyBase(record), {
      transactionId: requiredText(record, 'transaction_id'),
      outTradeNo: requiredText(record, 'out_trade_no'),
      outRefundNo: requiredText(record, 'out_refund_no'),
      refundId: requiredText(record, 'refund_id'),
      refundFee: requiredFen(record, 'refund_fee'),
      settlementRefundFee: optionalFen(record, 'settlement_refund_fee'),
      totalFee: requiredFen(record, 'total_fee'),
      settlementTotalFee: optionalFen(record, 'settlement_total_fee'),
      feeType: optionalText(record, 'fee_type'),
      cashFee: optionalFen(record, 'cash_fee'),
      cashFeeType: optionalText(record, 'cash_fee_type'),
      cashRefundFee: optionalFen(record, 'cash_refund_fee'),
      couponRefundFee: optionalFen(record, 'coupon_refund_fee'),
      couponRefunds: Object.freeze(couponRefunds),
    }),
  );
}

/** Maps a successful refundquery reply (spec §5.5) with its `*_$n` refunds and `*_$n_$m` coupons. */
export function toRefundQueryResult(record: Readonly<XmlRecord>): RefundQueryResult {
  const count = optionalCount(record, 'refund_count') ?? 0;
  const refunds: RefundQueryItem[] = [];
  for (let n = 0; n < count; n++) {
    const coupons = parseCoupons(record, {
      count: `coupon_refund_count_${n}`,
      id: (m) => `coupon_refund_id_${n}_${m}`,
      type: (m) => `coupon_type_${n}_${m}`,
      fee: (m) => `coupon_refund_fee_${n}_${m}`,
    });
    refunds.push(
      Object.freeze({
        outRefundNo: requiredText(record, `out_refund_no_${n}`),
        refundId: requiredText(record, `refund_id_${n}`),
        refundChannel: optionalText(record, `refund_channel_${n}`),
        refundFee: requiredFen(record, `refund_fee_${n}`),
        settlementRefundFee: optionalFen(record, `settlement_refund_fee_${n}`),
        refundStatus: requiredText(record, `refund_status_${n}`),
        refundAccount: optionalText(record, `refund_account_${n}`),
        refundRecvAccount: optionalText(record, `refund_recv_accout_${n}`),
        refundSuccessTime: optionalText(record, `refund_success_time_${n}`),
        couponRefundFee: optionalFen(record, `coupon_refund_fee_${n}`),
        coupons: Object.freeze(coupons),
      }),
    );
  }
  return Object.freeze(
    Object.assign(replyBase(record), {
      transactionId: requiredText(record, 'transaction_id'),
      outTradeNo: requiredText(record, 'out_trade_no'),
      totalFee: requiredFen(record, 'total_fee'),
      settlementTotalFee: optionalFen(record, 'settlement_total_fee'),
      feeType: optionalText(record, 'fee_type'),
      cashFee: optionalFen(record, 'cash_fee'),
      totalRefundCount: optionalCount(record, 'total_refund_count'),
      refunds: Object.freeze(refunds),
    }),
  );
}
