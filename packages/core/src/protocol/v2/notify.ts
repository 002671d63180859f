/**
 * WeChat's asynchronous notifications (spec §7, §8): verify a pay notification, decrypt a refund
 * notification, and write the XML reply.
 */
import { DecryptError, SignatureError, WxPayError } from '../../errors.js';
import { toPayNotification, toRefundNotification, type PayNotification, type RefundNotification } from './fields.js';
import { decryptRefundInfo } from './refund-crypto.js';
import { signTypeOf, verifySign, type SignType } from './sign.js';
import { parseXml, type ParseXmlOptions, type XmlRecord } from './xml.js';

export interface ParsePayNotificationOptions extends ParseXmlOptions {
  /** The key the notification is signed with: the API key (sandbox: the sandbox sign key). */
  readonly apiKey: string;
  /** Algorithms accepted. Default both: WeChat has sent MD5 notifications for HMAC orders (spec §2.2). */
  readonly accept?: readonly SignType[];
}

/** A verified pay notification. */
export interface VerifiedPayNotification {
  /** Every wire field, snake_case, including ones this version does not map. */
  readonly raw: Readonly<XmlRecord>;
  readonly payment: PayNotification;
  /** The algorithm the signature was made with. */
  readonly signType: SignType;
}

/**
 * Parses and verifies a pay notification from the exact bytes received (spec §7.2): the signature
 * covers every field, known or not, and is compared in constant time.
 *
 * Throws `XmlError` for malformed or hostile XML and missing or malformed fields,
 * {@link SignatureError} (`missing` or `mismatch`) for a bad signature, and {@link WxPayError} for a
 * verified notification whose `return_code` or `result_code` is not `SUCCESS`.
 *
 * @example
 * const { payment } = parsePayNotification(request.rawBody, { apiKey: merchant.apiKey });
 * payment.totalFee; // fen
 */
export function parsePayNotification(body: string | Uint8Array, options: ParsePayNotificationOptions): VerifiedPayNotification {
  const record = parseXml(body, options);
  const given = record['sign'];
  if (given === undefined || given === '') {
    throw new SignatureError('missing', 'pay notification carries no signature');
  }
  const signType = signTypeOf(record);
  if (signType === undefined) throw new SignatureError('unsupported-type', 'pay notification names an unknown sign_type');
  const verifyOptions = options.accept === undefined ? {} : { accept: options.accept };
  if (!verifySign(record, options.apiKey, verifyOptions)) {
    throw new SignatureError('mismatch', 'pay notification signature does not match');
  }
  checkCodes(record);
  // `record` is this call's own fresh object: freeze it in place instead of copying it.
  return Object.freeze({ raw: Object.freeze(record), payment: toPayNotification(record), signType });
}

/** A decrypted refund notification. */
export interface DecryptedRefundNotification {
  /** The outer wire fields (`appid`, `mch_id`, `req_info`, …). */
  readonly outer: Readonly<XmlRecord>;
  /** The decrypted `<root>` fields. */
  readonly info: Readonly<XmlRecord>;
  readonly refund: RefundNotification;
}

/**
 * Parses a refund notification and decrypts its `req_info` with the API key (spec §8). It carries
 * no signature: a successful decryption with the merchant's key is what authenticates it.
 *
 * Throws `XmlError` for malformed XML (outer or decrypted) or missing fields,
 * {@link DecryptError} for a missing or undecryptable `req_info`, and {@link WxPayError} when
 * `return_code` is not `SUCCESS`.
 */
export function parseRefundNotification(
  body: string | Uint8Array,
  apiKey: string,
  options: ParseXmlOptions = {},
): DecryptedRefundNotification {
  const outer = parseXml(body, options);
  checkReturnCode(outer);
  const reqInfo = outer['req_info'];
  if (reqInfo === undefined || reqInfo === '') throw new DecryptError('refund notification carries no req_info');
  const plain = decryptRefundInfo(reqInfo, apiKey);
  let info: XmlRecord;
  try {
    info = parseXml(plain, options);
  } catch (cause) {
    throw new DecryptError('req_info did not decrypt to a WeChat XML record', { cause });
  }
  return Object.freeze({ outer: Object.freeze(outer), info: Object.freeze(info), refund: toRefundNotification(outer, info) });
}

function checkReturnCode(record: Readonly<XmlRecord>): void {
  if (record['return_code'] !== 'SUCCESS') {
    throw new WxPayError({ layer: 'return', errCode: record['return_code'] || 'FAIL', returnMsg: record['return_msg'] });
  }
}

function checkCodes(record: Readonly<XmlRecord>): void {
  checkReturnCode(record);
  if (record['result_code'] !== 'SUCCESS') {
    throw new WxPayError({
      layer: 'result',
      errCode: record['err_code'] || record['result_code'] || 'FAIL',
      errCodeDes: record['err_code_des'],
    });
  }
}

const CDATA_END = /]]>/g;

/**
 * The XML answer to a notification (spec §7.3): `SUCCESS`/`OK`, or `FAIL` and a short reason, so
 * WeChat delivers again. Never put payload content or secrets in `message`.
 *
 * @example
 * notifyReply(true);  // '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>'
 */
export function notifyReply(ok: boolean, message?: string): string {
  const code = ok ? 'SUCCESS' : 'FAIL';
  // eslint-disable-next-line no-control-regex
  const text = (message ?? (ok ? 'OK' : 'FAIL'))
    .replace(/[\u0000-\u0008\u000B-\u001F\uFFFE\uFFFF]/g, '')
    .replace(CDATA_END, ']]]]><![CDATA[>');
  return `<xml><return_code><![CDATA[${code}]]></return_code><return_msg><![CDATA[${text}]]></return_msg></xml>`;
}
