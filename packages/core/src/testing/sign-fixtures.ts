import { randomBytes } from 'node:crypto';
import { encryptRefundInfo } from '../protocol/v2/refund-crypto.js';
import { sign, type SignType } from '../protocol/v2/sign.js';
import { buildXml, type XmlValue } from '../protocol/v2/xml.js';

/** Wire fields of a test message: names to values; `undefined`, `null` and `''` are left out. */
export type WireFields = Readonly<Record<string, XmlValue>>;

function text(fields: WireFields): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null || value === '') continue;
    out[name] = String(value);
  }
  return out;
}

/**
 * A signed pay notification as WeChat sends it (spec §7): the fields, a `sign` over all of them, and
 * `sign_type` when it is `HMAC-SHA256` (WeChat leaves it out for MD5). A `sign` already in `fields`
 * is replaced; pass `{ sign: 'BAD' }` through {@link buildXml} yourself to test a bad signature.
 *
 * @example
 * const body = signNotifyXml(buildPayNotification({ out_trade_no: 'T1', total_fee: 100 }), apiKey);
 */
export function signNotifyXml(fields: WireFields, apiKey: string, signType: SignType = 'MD5'): string {
  const wire = text(fields);
  delete wire['sign'];
  if (signType === 'HMAC-SHA256') wire['sign_type'] = 'HMAC-SHA256';
  wire['sign'] = sign(wire, apiKey, signType);
  return buildXml(wire);
}

let sequence = 0;

/**
 * The wire fields of a successful pay notification with sensible defaults: a JSAPI payment of
 * 100 fen, fresh `transaction_id` and `nonce_str`. Override any field; set one to `undefined` to drop it.
 */
export function buildPayNotification(partial: WireFields = {}): Record<string, string> {
  sequence += 1;
  const defaults: Record<string, string> = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: 'wxd930ea5d5a258f4f',
    mch_id: '10000100',
    nonce_str: randomBytes(16).toString('hex'),
    result_code: 'SUCCESS',
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    is_subscribe: 'N',
    trade_type: 'JSAPI',
    bank_type: 'OTHERS',
    total_fee: '100',
    fee_type: 'CNY',
    cash_fee: '100',
    transaction_id: `42000000002024${String(Date.now()).slice(-6)}${String(sequence).padStart(8, '0')}`,
    out_trade_no: `T${Date.now()}${sequence}`,
    time_end: '20240101120000',
  };
  const merged: Record<string, XmlValue> = { ...defaults, ...partial };
  return text(merged);
}

/**
 * The decrypted fields of a refund notification (`req_info`) with sensible defaults: a successful
 * refund of 100 fen. Override any field.
 */
export function buildRefundInfo(partial: WireFields = {}): Record<string, string> {
  sequence += 1;
  const defaults: Record<string, string> = {
    transaction_id: '4200000000202401010000000001',
    out_trade_no: 'T20240101000001',
    refund_id: `5000040894202401010000${String(sequence).padStart(7, '0')}`,
    out_refund_no: `R${Date.now()}${sequence}`,
    total_fee: '100',
    refund_fee: '100',
    settlement_refund_fee: '100',
    refund_status: 'SUCCESS',
    success_time: '2024-01-01 12:00:00',
    refund_recv_accout: '支付用户零钱',
    refund_account: 'REFUND_SOURCE_RECHARGE_FUNDS',
    refund_request_source: 'API',
  };
  return text({ ...defaults, ...partial });
}

/**
 * A refund notification as WeChat sends it (spec §8): outer `return_code`, `appid`, `mch_id`,
 * `nonce_str` and `req_info`, the refund fields (`fields`, completed by {@link buildRefundInfo})
 * encrypted with the API key. `outer` overrides or adds outer fields.
 */
export function buildRefundNotifyXml(fields: WireFields, apiKey: string, outer: WireFields = {}): string {
  const info = buildRefundInfo(fields);
  const reqInfo = encryptRefundInfo(buildXml(info, 'root'), apiKey);
  return buildXml({
    return_code: 'SUCCESS',
    appid: 'wxd930ea5d5a258f4f',
    mch_id: '10000100',
    nonce_str: randomBytes(16).toString('hex'),
    req_info: reqInfo,
    ...outer,
  });
}

/**
 * A signed reply as WeChat answers API calls (spec §4): `return_code`/`result_code` SUCCESS, a
 * fresh `nonce_str`, and a signature over everything. For test servers standing in for WeChat.
 */
export function signReplyXml(fields: WireFields, apiKey: string, signType: SignType = 'MD5'): string {
  const wire = text({
    return_code: 'SUCCESS',
    return_msg: 'OK',
    result_code: 'SUCCESS',
    nonce_str: randomBytes(16).toString('hex'),
    ...fields,
  });
  delete wire['sign'];
  wire['sign'] = sign(wire, apiKey, signType);
  return buildXml(wire);
}
