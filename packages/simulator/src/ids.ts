import { randomBytes, randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const OPENID_CHARS = `${ALNUM}_-`;
const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

/** `count` characters drawn uniformly from `alphabet`. */
export function randomString(count: number, alphabet: string = ALNUM): string {
  let out = '';
  for (let i = 0; i < count; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

function digits(count: number): string {
  return randomString(count, '0123456789');
}

function beijingParts(ms: number): { y: string; mo: string; d: string; h: string; mi: string; s: string } {
  const t = new Date(ms + BEIJING_OFFSET_MS);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return {
    y: p(t.getUTCFullYear(), 4),
    mo: p(t.getUTCMonth() + 1),
    d: p(t.getUTCDate()),
    h: p(t.getUTCHours()),
    mi: p(t.getUTCMinutes()),
    s: p(t.getUTCSeconds()),
  };
}

/** `yyyyMMddHHmmss` in Beijing time (`time_end`, `time_expire`). */
export function compactTime(ms: number): string {
  const { y, mo, d, h, mi, s } = beijingParts(ms);
  return `${y}${mo}${d}${h}${mi}${s}`;
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (`success_time`, bill rows). */
export function readableTime(ms: number): string {
  const { y, mo, d, h, mi, s } = beijingParts(ms);
  return `${y}-${mo}-${d} ${h}:${mi}:${s}`;
}

/** `yyyyMMdd` in Beijing time (`bill_date`). */
export function compactDate(ms: number): string {
  const { y, mo, d } = beijingParts(ms);
  return `${y}${mo}${d}`;
}

/** Parses `yyyyMMddHHmmss` Beijing time to epoch ms; undefined when it is not a valid time. */
export function parseCompactTime(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - BEIJING_OFFSET_MS;
  return compactTime(ms) === text ? ms : undefined;
}

/** WeChat's random `nonce_str`: 32 alphanumerics. */
export function nonceStr(): string {
  return randomString(32);
}

/** `prepay_id`: `wx` + 14-digit timestamp + 20 lower-case hex characters (spec §10). */
export function prepayId(ms: number): string {
  return `wx${compactTime(ms)}${randomBytes(10).toString('hex')}`;
}

/** `transaction_id`: 28 digits, `42000` + 5 digits + date + 10 digits. */
export function transactionId(ms: number): string {
  return `42000${digits(5)}${compactDate(ms)}${digits(10)}`;
}

/** `refund_id`: 29 digits, `50000` + 5 digits + date + 11 digits. */
export function refundId(ms: number): string {
  return `50000${digits(5)}${compactDate(ms)}${digits(11)}`;
}

/** An `openid`: 28 characters starting with `o`. */
export function openId(): string {
  return `o${randomString(27, OPENID_CHARS)}`;
}

/** NATIVE `code_url`. */
export function codeUrl(): string {
  return `weixin://wxpay/bizpayurl?pr=${randomString(7)}`;
}

/** MWEB `mweb_url` for a prepay id. */
export function mwebUrl(prepay: string): string {
  return `https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=${prepay}&package=${digits(10)}`;
}

/** `transfer_bill_no`: 40 digits, `1330000` + 5 digits + date + 20 digits (samples are 34–40 digits). */
export function transferBillNo(ms: number): string {
  return `1330000${digits(5)}${compactDate(ms)}${digits(20)}`;
}

/** An opaque `package_info` for `wx.requestMerchantTransfer`: Base64, about 156 characters, as WeChat's. */
export function packageInfo(): string {
  return `ABBQO+oYAAAB${randomBytes(108).toString('base64')}`;
}

/** `payment_no` of a v2 企业付款: 32 digits. */
export function paymentNo(ms: number): string {
  return `10100${digits(5)}${compactDate(ms)}${digits(14)}`;
}

/** `batch_id` of a transfer batch: 40 digits, `1030000` + 5 digits + date + 20 digits (as WeChat's samples). */
export function batchId(ms: number): string {
  return `1030000${digits(5)}${compactDate(ms)}${digits(20)}`;
}

/** `detail_id` of a batch detail: 40 digits, `1040000` + 5 digits + date + 20 digits. */
export function batchDetailId(ms: number): string {
  return `1040000${digits(5)}${compactDate(ms)}${digits(20)}`;
}
