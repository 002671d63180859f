/**
 * Builds the camelCase event payloads from verified notifications (wire fields) and from
 * orderquery results. Amounts are parsed explicitly, never guessed by an XML parser.
 */
import type { OrderQueryResult } from '../client/types.js';
import { ValidationError } from '../errors.js';
import type {
  Coupon,
  EventSource,
  PaidEvent,
  RefundFailedEvent,
  RefundedEvent,
} from '../events/event-map.js';
import type { XmlRecord } from '../protocol/v2/xml.js';

/** A required decimal amount in fen from a wire field. */
export function fenField(record: Readonly<XmlRecord>, name: string): number {
  const value = optionalFenField(record, name);
  if (value === undefined) throw new ValidationError(`notification field '${name}' is missing`, { field: name });
  return value;
}

/** An optional decimal amount in fen; malformed text throws {@link ValidationError}. */
export function optionalFenField(record: Readonly<XmlRecord>, name: string): number | undefined {
  const text = record[name];
  if (text === undefined || text === '') return undefined;
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new ValidationError(`notification field '${name}' is not an amount in fen`, { field: name });
  }
  return value;
}

/** A required text field. */
export function textField(record: Readonly<XmlRecord>, name: string): string {
  const value = record[name];
  if (value === undefined || value === '') {
    throw new ValidationError(`notification field '${name}' is missing`, { field: name });
  }
  return value;
}

function optionalText(record: Readonly<XmlRecord>, name: string): string | undefined {
  const value = record[name];
  return value === undefined || value === '' ? undefined : value;
}

function yesNo(value: string | undefined): boolean | undefined {
  return value === 'Y' ? true : value === 'N' ? false : undefined;
}

/** `coupon_id_$n`, `coupon_type_$n`, `coupon_fee_$n` for n below `coupon_count`. */
export function couponsOf(record: Readonly<XmlRecord>): Coupon[] {
  const count = optionalFenField(record, 'coupon_count') ?? 0;
  const coupons: Coupon[] = [];
  for (let n = 0; n < Math.min(count, 100); n++) {
    const id = record[`coupon_id_${n}`];
    if (id === undefined) continue;
    coupons.push(Object.freeze({ id, type: optionalText(record, `coupon_type_${n}`), fee: optionalFenField(record, `coupon_fee_${n}`) ?? 0 }));
  }
  return coupons;
}

/** The `paid` payload of a verified pay notification. */
export function paidFromNotification(
  record: Readonly<XmlRecord>,
  app: string,
  redelivery: boolean,
): PaidEvent {
  const totalFee = fenField(record, 'total_fee');
  return Object.freeze({
    app,
    appId: textField(record, 'appid'),
    mchId: textField(record, 'mch_id'),
    subAppId: optionalText(record, 'sub_appid'),
    subMchId: optionalText(record, 'sub_mch_id'),
    orderId: textField(record, 'out_trade_no'),
    transactionId: textField(record, 'transaction_id'),
    totalFee,
    cashFee: optionalFenField(record, 'cash_fee') ?? totalFee,
    settlementTotalFee: optionalFenField(record, 'settlement_total_fee'),
    feeType: optionalText(record, 'fee_type') ?? 'CNY',
    openId: record['openid'] ?? record['sub_openid'] ?? '',
    tradeType: record['trade_type'] ?? '',
    bankType: record['bank_type'] ?? '',
    timeEnd: record['time_end'] ?? '',
    attach: optionalText(record, 'attach'),
    isSubscribe: yesNo(record['is_subscribe']),
    deviceInfo: optionalText(record, 'device_info'),
    coupons: Object.freeze(couponsOf(record)),
    source: 'notify' as EventSource,
    redelivery,
    raw: Object.freeze({ ...record }),
  });
}

/** The `paid` payload of an order that orderquery reports as `SUCCESS`. */
export function paidFromQuery(result: OrderQueryResult, app: string, redelivery: boolean): PaidEvent {
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
    settlementTotalFee: result.settlementTotalFee,
    feeType: result.feeType ?? 'CNY',
    openId: result.openId ?? result.subOpenId ?? '',
    tradeType: result.tradeType ?? '',
    bankType: result.bankType ?? '',
    timeEnd: result.timeEnd ?? '',
    attach: result.attach,
    isSubscribe: result.isSubscribe,
    deviceInfo: result.deviceInfo,
    coupons: Object.freeze([...result.coupons]),
    source: 'confirm' as EventSource,
    redelivery,
    raw: Object.freeze({ ...result.raw }),
  });
}

/**
 * The `refunded` or `refund-failed` payload of a refund notification: `outer` is the envelope
 * (appid, mch_id), `inner` the decrypted `req_info`. Undefined for a status that is not terminal.
 */
export function refundFromNotification(
  outer: Readonly<XmlRecord>,
  inner: Readonly<XmlRecord>,
  app: string,
  redelivery: boolean,
): RefundedEvent | RefundFailedEvent | undefined {
  const status = inner['refund_status'];
  const base = {
    app,
    appId: textField(outer, 'appid'),
    mchId: textField(outer, 'mch_id'),
    subMchId: optionalText(outer, 'sub_mch_id'),
    orderId: textField(inner, 'out_trade_no'),
    transactionId: textField(inner, 'transaction_id'),
    refundId: textField(inner, 'out_refund_no'),
    wxRefundId: textField(inner, 'refund_id'),
    totalFee: fenField(inner, 'total_fee'),
    refundFee: fenField(inner, 'refund_fee'),
    settlementTotalFee: optionalFenField(inner, 'settlement_total_fee'),
    settlementRefundFee: optionalFenField(inner, 'settlement_refund_fee'),
    refundRecvAccount: optionalText(inner, 'refund_recv_accout'),
    refundAccount: optionalText(inner, 'refund_account'),
    refundRequestSource: optionalText(inner, 'refund_request_source'),
    source: 'notify' as EventSource,
    redelivery,
    raw: Object.freeze({ ...inner }),
  };
  if (status === 'SUCCESS') {
    return Object.freeze({ ...base, refundStatus: 'SUCCESS', successTime: optionalText(inner, 'success_time') });
  }
  if (status === 'CHANGE' || status === 'REFUNDCLOSE') return Object.freeze({ ...base, refundStatus: status });
  return undefined;
}
