/**
 * Where v3's JSON objects meet the v2-shaped results: each verified v3 object (transaction,
 * refund, refund notification resource) becomes a flat record with the v2 wire names
 * (`mch_id`, `total_fee`, `time_end` in Beijing time, `refund_status` `REFUNDCLOSE`/`CHANGE`, …),
 * so the same mapping, the same result types and the same events serve both versions. v3-only
 * fields are kept in the record under their own names (`success_time`, `payer_total`, …).
 * Amounts must be whole numbers of fen; anything else is refused, never rounded.
 */
import { XmlError } from '../../errors.js';
import { MAX_WIRE_FEN } from '../v2/fields.js';
import type { XmlRecord } from '../v2/xml.js';

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

function text(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new XmlError(`field '${field}' is not a string`);
  return value;
}

function fen(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_WIRE_FEN) {
    throw new XmlError(`field '${field}' is not a whole amount in fen`);
  }
  return String(value);
}

/** A record with a null prototype, only defined values. */
function record(fields: Readonly<Record<string, string | undefined>>): XmlRecord {
  const out = Object.create(null) as XmlRecord;
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out;
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

/** v3 refund `status` / `refund_status` → v2 `refund_status`. */
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

/** Identity fields, direct merchant (`appid`, `mchid`) or service provider (`sp_appid`, `sp_mchid`, `sub_…`). */
function identity(json: JsonObject): Record<string, string | undefined> {
  return {
    appid: text(json['appid'], 'appid') ?? text(json['sp_appid'], 'sp_appid'),
    mch_id: text(json['mchid'], 'mchid') ?? text(json['sp_mchid'], 'sp_mchid'),
    sub_appid: text(json['sub_appid'], 'sub_appid'),
    sub_mch_id: text(json['sub_mchid'], 'sub_mchid'),
  };
}

/**
 * A v3 transaction object (query reply, decrypted `TRANSACTION.*` resource) as a v2-named record:
 * `total_fee`, `cash_fee` (= `payer_total`), `fee_type`, `openid`, `time_end` (Beijing), coupons
 * from `promotion_detail` as `coupon_*_$n`.
 */
export function transactionRecord(json: JsonObject): XmlRecord {
  const amount = object(json['amount']) ?? {};
  const payer = object(json['payer']) ?? {};
  const scene = object(json['scene_info']) ?? {};
  const successTime = text(json['success_time'], 'success_time');
  const fields: Record<string, string | undefined> = {
    ...identity(json),
    out_trade_no: text(json['out_trade_no'], 'out_trade_no'),
    transaction_id: text(json['transaction_id'], 'transaction_id'),
    trade_type: text(json['trade_type'], 'trade_type'),
    trade_state: text(json['trade_state'], 'trade_state'),
    trade_state_desc: text(json['trade_state_desc'], 'trade_state_desc'),
    bank_type: text(json['bank_type'], 'bank_type'),
    attach: text(json['attach'], 'attach'),
    success_time: successTime,
    time_end: successTime === undefined ? undefined : toBeijingCompact(successTime),
    openid: text(payer['openid'], 'payer.openid') ?? text(payer['sp_openid'], 'payer.sp_openid'),
    sub_openid: text(payer['sub_openid'], 'payer.sub_openid'),
    total_fee: fen(amount['total'], 'amount.total'),
    cash_fee: fen(amount['payer_total'], 'amount.payer_total'),
    payer_total: fen(amount['payer_total'], 'amount.payer_total'),
    fee_type: text(amount['currency'], 'amount.currency'),
    cash_fee_type: text(amount['payer_currency'], 'amount.payer_currency'),
    device_info: text(scene['device_id'], 'scene_info.device_id'),
  };
  const promotions = json['promotion_detail'];
  if (Array.isArray(promotions) && promotions.length > 0) {
    fields['promotion_detail'] = JSON.stringify(promotions);
    let total = 0;
    promotions.forEach((p: unknown, n) => {
      const promo = object(p) ?? {};
      const fee = fen(promo['amount'], `promotion_detail[${n}].amount`) ?? '0';
      total += Number(fee);
      fields[`coupon_id_${n}`] = text(promo['coupon_id'], `promotion_detail[${n}].coupon_id`) ?? `${n}`;
      const type = text(promo['type'], `promotion_detail[${n}].type`);
      fields[`coupon_type_${n}`] = type === 'NOCASH' ? 'NO_CASH' : type;
      fields[`coupon_fee_${n}`] = fee;
    });
    fields['coupon_count'] = String(promotions.length);
    fields['coupon_fee'] = String(total);
  }
  return record(fields);
}

/**
 * A v3 refund object (refund reply, refund query reply) as a v2-named record for a refund reply
 * (`refund_fee`, `total_fee`, `cash_refund_fee`, …) that also carries the v2 refundquery fields
 * of its one refund (`out_refund_no_0`, `refund_status_0`, …, `refund_count` 1). `appid` and
 * `mch_id` come from the call, since v3 refund objects do not carry them.
 */
export function refundRecord(json: JsonObject, call: { readonly appId: string; readonly mchId: string }): XmlRecord {
  const amount = object(json['amount']) ?? {};
  const status = text(json['status'], 'status');
  const successTime = text(json['success_time'], 'success_time');
  const refundFee = fen(amount['refund'], 'amount.refund');
  const settlementRefund = fen(amount['settlement_refund'], 'amount.settlement_refund');
  const discountRefund = fen(amount['discount_refund'], 'amount.discount_refund');
  const fields: Record<string, string | undefined> = {
    appid: call.appId,
    mch_id: call.mchId,
    sub_mch_id: text(json['sub_mchid'], 'sub_mchid'),
    transaction_id: text(json['transaction_id'], 'transaction_id'),
    out_trade_no: text(json['out_trade_no'], 'out_trade_no'),
    out_refund_no: text(json['out_refund_no'], 'out_refund_no'),
    refund_id: text(json['refund_id'], 'refund_id'),
    refund_fee: refundFee,
    settlement_refund_fee: settlementRefund,
    total_fee: fen(amount['total'], 'amount.total'),
    settlement_total_fee: fen(amount['settlement_total'], 'amount.settlement_total'),
    fee_type: text(amount['currency'], 'amount.currency'),
    cash_fee: fen(amount['payer_total'], 'amount.payer_total'),
    cash_refund_fee: fen(amount['payer_refund'], 'amount.payer_refund'),
    coupon_refund_fee: discountRefund,
    status,
    channel: text(json['channel'], 'channel'),
    create_time: text(json['create_time'], 'create_time'),
    success_time: successTime,
    user_received_account: text(json['user_received_account'], 'user_received_account'),
    funds_account: text(json['funds_account'], 'funds_account'),
    refund_count: '1',
    out_refund_no_0: text(json['out_refund_no'], 'out_refund_no'),
    refund_id_0: text(json['refund_id'], 'refund_id'),
    refund_channel_0: text(json['channel'], 'channel'),
    refund_fee_0: refundFee,
    settlement_refund_fee_0: settlementRefund,
    refund_status_0: status === undefined ? undefined : refundStatusToV2(status),
    refund_account_0: text(json['funds_account'], 'funds_account'),
    refund_recv_accout_0: text(json['user_received_account'], 'user_received_account'),
    refund_success_time_0: successTime === undefined ? undefined : toBeijingDateTime(successTime),
    coupon_refund_fee_0: discountRefund,
  };
  return record(fields);
}

/**
 * A decrypted v3 refund notification resource (`REFUND.*`) as the v2 `req_info` record:
 * `refund_status` mapped (`CLOSED` → `REFUNDCLOSE`, `ABNORMAL` → `CHANGE`), `success_time` in
 * Beijing `yyyy-MM-dd HH:mm:ss`, `refund_recv_accout` (sic) from `user_received_account`.
 */
export function refundNotificationRecord(json: JsonObject): XmlRecord {
  const amount = object(json['amount']) ?? {};
  const status = text(json['refund_status'], 'refund_status');
  const successTime = text(json['success_time'], 'success_time');
  return record({
    mch_id: text(json['mchid'], 'mchid') ?? text(json['sp_mchid'], 'sp_mchid'),
    sub_mch_id: text(json['sub_mchid'], 'sub_mchid'),
    transaction_id: text(json['transaction_id'], 'transaction_id'),
    out_trade_no: text(json['out_trade_no'], 'out_trade_no'),
    refund_id: text(json['refund_id'], 'refund_id'),
    out_refund_no: text(json['out_refund_no'], 'out_refund_no'),
    refund_status: status === undefined ? undefined : refundStatusToV2(status),
    success_time: successTime === undefined ? undefined : toBeijingDateTime(successTime),
    total_fee: fen(amount['total'], 'amount.total'),
    refund_fee: fen(amount['refund'], 'amount.refund'),
    payer_total: fen(amount['payer_total'], 'amount.payer_total'),
    payer_refund: fen(amount['payer_refund'], 'amount.payer_refund'),
    refund_recv_accout: text(json['user_received_account'], 'user_received_account'),
    funds_account: text(json['funds_account'], 'funds_account'),
  });
}
