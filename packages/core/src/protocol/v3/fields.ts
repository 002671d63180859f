/**
 * Where API v3's JSON objects meet the protocol-neutral model: each verified v3 object
 * (transaction, refund, refund notification resource) maps straight to its model type, and the
 * object itself is the result's `raw`. Times become the model's Beijing formats (`timeEnd`
 * `yyyyMMddHHmmss`, refund `successTime` `yyyy-MM-dd HH:mm:ss`) and refund states the model's
 * names (`CLOSED` → `REFUNDCLOSE`, `ABNORMAL` → `CHANGE`). Amounts must be whole numbers of fen;
 * anything else is refused, never rounded.
 */
import { XmlError } from '../../errors.js';
import type { OrderQueryResult, RefundQueryItem, RefundQueryResult, RefundResult } from '../../model/contract.js';
import type { Coupon, PayNotification } from '../../model/payment.js';
import type { RefundNotification } from '../../model/refund.js';

/** Largest amount accepted from the wire, in fen: far above any real payment, below 2^53. */
const MAX_WIRE_FEN = 1e15;
/** Largest list accepted (promotions). */
const MAX_WIRE_COUNT = 1000;

/** A parsed v3 JSON object. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** Parses a v3 JSON body that must be an object; `what` names it in errors. */
export function parseJsonObject(body: Uint8Array | string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch (cause) {
    throw new XmlError(`${what} is not JSON`, { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new XmlError(`${what} is not a JSON object`);
  return value as JsonObject;
}

function object(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** A wire string: absent, null or empty → undefined; any other type → {@link XmlError} naming the field. */
export function text(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new XmlError(`field '${field}' is not a string`);
  return value;
}

/** A wire count or amount: a whole number from 0 up; anything else is refused, never rounded. */
export function whole(value: unknown, field: string, what = 'amount in fen'): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_WIRE_FEN) {
    throw new XmlError(`field '${field}' is not a whole ${what}`);
  }
  return value;
}

const fen = (value: unknown, field: string): number | undefined => whole(value, field);

/** A value the model requires: absent → {@link XmlError} naming the field. */
export function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new XmlError(`field '${field}' is missing`);
  return value;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Beijing wall-clock parts of an RFC 3339 time. */
function beijing(value: string, field: string): Date {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new XmlError(`field '${field}' is not an RFC 3339 time`);
  return new Date(ms + 8 * 3600_000);
}

/** RFC 3339 → `yyyyMMddHHmmss` in Beijing time (v2's `time_end`). */
export function toBeijingCompact(value: string, field = 'success_time'): string {
  const d = beijing(value, field);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/** RFC 3339 → `yyyy-MM-dd HH:mm:ss` in Beijing time (v2's refund `success_time`). */
export function toBeijingDateTime(value: string, field = 'success_time'): string {
  const d = beijing(value, field);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Date → RFC 3339 with the +08:00 offset WeChat uses (for `time_expire`). */
export function toRfc3339Beijing(date: Date): string {
  const d = new Date(date.getTime() + 8 * 3600_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+08:00`;
}

/** `yyyyMMddHHmmss` (Beijing, v2's format) → RFC 3339 with +08:00. */
export function compactToRfc3339(value: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (!m) throw new XmlError('time is not yyyyMMddHHmmss');
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`;
}

/** v3 refund `status` / `refund_status` → the model's refund status names (v2's). */
export function refundStatusToV2(status: string): string {
  switch (status) {
    case 'CLOSED':
      return 'REFUNDCLOSE';
    case 'ABNORMAL':
      return 'CHANGE';
    default:
      return status;
  }
}

/** Who a call was made for: v3 refund objects name neither app id nor merchant. */
export interface CallIdentity {
  readonly appId: string;
  readonly mchId: string;
}

/** Identity fields, direct merchant (`appid`, `mchid`) or service provider (`sp_appid`, `sp_mchid`, `sub_…`). */
function identity(json: JsonObject) {
  return {
    appId: text(json['appid'], 'appid') ?? text(json['sp_appid'], 'sp_appid'),
    mchId: text(json['mchid'], 'mchid') ?? text(json['sp_mchid'], 'sp_mchid'),
    subAppId: text(json['sub_appid'], 'sub_appid'),
    subMchId: text(json['sub_mchid'], 'sub_mchid'),
  };
}

/** The payment fields of a v3 transaction object, shared by the query result and the notification. */
function transactionFields(json: JsonObject) {
  const amount = object(json['amount']) ?? {};
  const payer = object(json['payer']) ?? {};
  const scene = object(json['scene_info']) ?? {};
  const successTime = text(json['success_time'], 'success_time');
  const promotions = json['promotion_detail'];
  let coupons: Coupon[] = [];
  let couponFee: number | undefined;
  let promotionDetail: string | undefined;
  if (Array.isArray(promotions) && promotions.length > 0) {
    if (promotions.length > MAX_WIRE_COUNT) throw new XmlError("field 'promotion_detail' is out of range");
    promotionDetail = JSON.stringify(promotions);
    couponFee = 0;
    coupons = promotions.map((p: unknown, n) => {
      const promo = object(p) ?? {};
      const fee = fen(promo['amount'], `promotion_detail[${n}].amount`) ?? 0;
      couponFee! += fee;
      const type = text(promo['type'], `promotion_detail[${n}].type`);
      return Object.freeze({
        id: text(promo['coupon_id'], `promotion_detail[${n}].coupon_id`) ?? `${n}`,
        type: type === 'NOCASH' ? 'NO_CASH' : type,
        fee,
      });
    });
    if (couponFee > MAX_WIRE_FEN) throw new XmlError("field 'promotion_detail' is out of range");
  }
  return {
    ...identity(json),
    outTradeNo: text(json['out_trade_no'], 'out_trade_no'),
    transactionId: text(json['transaction_id'], 'transaction_id'),
    tradeType: text(json['trade_type'], 'trade_type'),
    tradeState: text(json['trade_state'], 'trade_state'),
    tradeStateDesc: text(json['trade_state_desc'], 'trade_state_desc'),
    bankType: text(json['bank_type'], 'bank_type'),
    attach: text(json['attach'], 'attach'),
    timeEnd: successTime === undefined ? undefined : toBeijingCompact(successTime),
    openId: text(payer['openid'], 'payer.openid') ?? text(payer['sp_openid'], 'payer.sp_openid'),
    subOpenId: text(payer['sub_openid'], 'payer.sub_openid'),
    totalFee: fen(amount['total'], 'amount.total'),
    cashFee: fen(amount['payer_total'], 'amount.payer_total'),
    feeType: text(amount['currency'], 'amount.currency'),
    cashFeeType: text(amount['payer_currency'], 'amount.payer_currency'),
    deviceInfo: text(scene['device_id'], 'scene_info.device_id'),
    couponFee,
    coupons: Object.freeze(coupons),
    promotionDetail,
  };
}

/**
 * A v3 transaction object (query reply) as the model's order state. v3 replies of a direct
 * merchant may leave out `appid`/`mchid`: the call's own identity fills them.
 */
export function toOrderQueryResult(json: JsonObject, call: CallIdentity): OrderQueryResult {
  const t = transactionFields(json);
  return Object.freeze({
    appId: t.appId ?? call.appId,
    mchId: t.mchId ?? call.mchId,
    subAppId: t.subAppId,
    subMchId: t.subMchId,
    raw: Object.freeze(json),
    tradeState: required(t.tradeState, 'trade_state'),
    tradeStateDesc: t.tradeStateDesc,
    outTradeNo: required(t.outTradeNo, 'out_trade_no'),
    transactionId: t.transactionId,
    openId: t.openId,
    subOpenId: t.subOpenId,
    isSubscribe: undefined,
    tradeType: t.tradeType,
    bankType: t.bankType,
    totalFee: t.totalFee,
    settlementTotalFee: undefined,
    feeType: t.feeType,
    cashFee: t.cashFee,
    cashFeeType: t.cashFeeType,
    couponFee: t.couponFee,
    coupons: t.coupons,
    attach: t.attach,
    timeEnd: t.timeEnd,
    deviceInfo: t.deviceInfo,
    promotionDetail: t.promotionDetail,
  });
}

/** A decrypted `TRANSACTION.*` resource as the model's payment. Throws {@link XmlError} for missing or malformed fields. */
export function toPayNotification(resource: JsonObject): PayNotification {
  const t = transactionFields(resource);
  const totalFee = required(t.totalFee, 'amount.total');
  return Object.freeze({
    appId: required(t.appId, 'appid'),
    mchId: required(t.mchId, 'mchid'),
    subAppId: t.subAppId,
    subMchId: t.subMchId,
    outTradeNo: required(t.outTradeNo, 'out_trade_no'),
    transactionId: required(t.transactionId, 'transaction_id'),
    totalFee,
    cashFee: t.cashFee ?? totalFee,
    settlementTotalFee: undefined,
    feeType: t.feeType ?? 'CNY',
    cashFeeType: t.cashFeeType,
    couponFee: t.couponFee,
    coupons: t.coupons,
    openId: t.openId ?? t.subOpenId ?? '',
    subOpenId: t.subOpenId,
    isSubscribe: undefined,
    subIsSubscribe: undefined,
    tradeType: t.tradeType ?? '',
    bankType: t.bankType ?? '',
    timeEnd: t.timeEnd ?? '',
    attach: t.attach,
    deviceInfo: t.deviceInfo,
  });
}

/** The fields of a v3 refund object (refund reply, refund query reply). */
function refundFields(json: JsonObject) {
  const amount = object(json['amount']) ?? {};
  const status = text(json['status'], 'status');
  const successTime = text(json['success_time'], 'success_time');
  return {
    subMchId: text(json['sub_mchid'], 'sub_mchid'),
    transactionId: required(text(json['transaction_id'], 'transaction_id'), 'transaction_id'),
    outTradeNo: required(text(json['out_trade_no'], 'out_trade_no'), 'out_trade_no'),
    outRefundNo: required(text(json['out_refund_no'], 'out_refund_no'), 'out_refund_no'),
    refundId: required(text(json['refund_id'], 'refund_id'), 'refund_id'),
    channel: text(json['channel'], 'channel'),
    refundFee: required(fen(amount['refund'], 'amount.refund'), 'amount.refund'),
    settlementRefundFee: fen(amount['settlement_refund'], 'amount.settlement_refund'),
    totalFee: required(fen(amount['total'], 'amount.total'), 'amount.total'),
    settlementTotalFee: fen(amount['settlement_total'], 'amount.settlement_total'),
    feeType: text(amount['currency'], 'amount.currency'),
    cashFee: fen(amount['payer_total'], 'amount.payer_total'),
    cashRefundFee: fen(amount['payer_refund'], 'amount.payer_refund'),
    couponRefundFee: fen(amount['discount_refund'], 'amount.discount_refund'),
    status: status === undefined ? undefined : refundStatusToV2(status),
    successTime: successTime === undefined ? undefined : toBeijingDateTime(successTime),
    fundsAccount: text(json['funds_account'], 'funds_account'),
    receivedAccount: text(json['user_received_account'], 'user_received_account'),
  };
}

/** A v3 refund reply as the model's accepted refund. `appId` and `mchId` come from the call. */
export function toRefundResult(json: JsonObject, call: CallIdentity): RefundResult {
  const r = refundFields(json);
  return Object.freeze({
    appId: call.appId,
    mchId: call.mchId,
    subAppId: undefined,
    subMchId: r.subMchId,
    raw: Object.freeze(json),
    transactionId: r.transactionId,
    outTradeNo: r.outTradeNo,
    outRefundNo: r.outRefundNo,
    refundId: r.refundId,
    refundFee: r.refundFee,
    settlementRefundFee: r.settlementRefundFee,
    totalFee: r.totalFee,
    settlementTotalFee: r.settlementTotalFee,
    feeType: r.feeType,
    cashFee: r.cashFee,
    cashFeeType: undefined,
    cashRefundFee: r.cashRefundFee,
    couponRefundFee: r.couponRefundFee,
    couponRefunds: Object.freeze([]),
  });
}

/** A v3 refund query reply (one refund) as the model's refund query result. */
export function toRefundQueryResult(json: JsonObject, call: CallIdentity): RefundQueryResult {
  const r = refundFields(json);
  const item: RefundQueryItem = Object.freeze({
    outRefundNo: r.outRefundNo,
    refundId: r.refundId,
    refundChannel: r.channel,
    refundFee: r.refundFee,
    settlementRefundFee: r.settlementRefundFee,
    refundStatus: required(r.status, 'status'),
    refundAccount: r.fundsAccount,
    refundRecvAccount: r.receivedAccount,
    refundSuccessTime: r.successTime,
    couponRefundFee: r.couponRefundFee,
    coupons: Object.freeze([]),
  });
  return Object.freeze({
    appId: call.appId,
    mchId: call.mchId,
    subAppId: undefined,
    subMchId: r.subMchId,
    raw: Object.freeze(json),
    transactionId: r.transactionId,
    outTradeNo: r.outTradeNo,
    totalFee: r.totalFee,
    settlementTotalFee: r.settlementTotalFee,
    feeType: r.feeType,
    cashFee: r.cashFee,
    totalRefundCount: undefined,
    refunds: Object.freeze([item]),
  });
}

const REFUND_STATUSES = new Set(['SUCCESS', 'CHANGE', 'REFUNDCLOSE']);

/**
 * A decrypted `REFUND.*` resource as the model's refund outcome. v3 refund resources carry no app
 * id: `appId` is the one the caller knows for the refund or its order (`''` when it knows none).
 */
export function toRefundNotification(resource: JsonObject, appId: string): RefundNotification {
  const amount = object(resource['amount']) ?? {};
  const status = text(resource['refund_status'], 'refund_status');
  const mapped = required(status === undefined ? undefined : refundStatusToV2(status), 'refund_status');
  if (!REFUND_STATUSES.has(mapped)) throw new XmlError(`field 'refund_status' has an unknown value`);
  const successTime = text(resource['success_time'], 'success_time');
  return Object.freeze({
    appId,
    mchId: required(text(resource['mchid'], 'mchid') ?? text(resource['sp_mchid'], 'sp_mchid'), 'mchid'),
    subAppId: undefined,
    subMchId: text(resource['sub_mchid'], 'sub_mchid'),
    transactionId: required(text(resource['transaction_id'], 'transaction_id'), 'transaction_id'),
    outTradeNo: required(text(resource['out_trade_no'], 'out_trade_no'), 'out_trade_no'),
    refundId: required(text(resource['refund_id'], 'refund_id'), 'refund_id'),
    outRefundNo: required(text(resource['out_refund_no'], 'out_refund_no'), 'out_refund_no'),
    totalFee: required(fen(amount['total'], 'amount.total'), 'amount.total'),
    settlementTotalFee: undefined,
    refundFee: required(fen(amount['refund'], 'amount.refund'), 'amount.refund'),
    settlementRefundFee: undefined,
    refundStatus: mapped as RefundNotification['refundStatus'],
    successTime: successTime === undefined ? undefined : toBeijingDateTime(successTime),
    refundRecvAccount: text(resource['user_received_account'], 'user_received_account'),
    refundAccount: undefined,
    refundRequestSource: undefined,
  });
}
