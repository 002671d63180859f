import { createHmac, createSecretKey, hash, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { SignType } from '../../model/wire.js';

export type { SignType };

/** Parameters as WeChat sees them: names to text. Empty and absent values are not signed. */
export type SignableParams = Readonly<Record<string, string | number | bigint | boolean | null | undefined>>;

export function isSignType(value: unknown): value is SignType {
  return value === 'MD5' || value === 'HMAC-SHA256';
}

/**
 * WeChat's `stringSignTemp` (spec §2.1): every non-empty parameter except `sign`, names sorted by
 * byte order, joined as `name=value` with `&`, then `&key=<apiKey>`.
 */
export function stringToSign(params: SignableParams, key: string): string {
  const names = Object.keys(params).sort();
  let out = '';
  for (const name of names) {
    if (name === 'sign') continue;
    const value = params[name];
    if (value === undefined || value === null || value === '') continue;
    out += `${name}=${String(value)}&`;
  }
  return `${out}key=${key}`;
}

/**
 * Signs v2 parameters: upper-case hex MD5, or HMAC-SHA256 keyed with the API key, over
 * {@link stringToSign}.
 *
 * @example
 * sign({ appid: 'wxd930ea5d5a258f4f', mch_id: '10000100', body: 'test' }, apiKey); // 'A1B2…'
 */
export function sign(params: SignableParams, key: string, signType: SignType = 'MD5'): string {
  const text = stringToSign(params, key);
  if (signType === 'HMAC-SHA256') return createHmac('sha256', hmacKey(key)).update(text, 'utf8').digest('hex').toUpperCase();
  // One-shot hash (Node 20.12+, inside our engines range): no hasher object per call.
  return hash('md5', text, 'hex').toUpperCase();
}

/** HMAC keys imported once per API key (merchants have few keys); bounded so rotation cannot grow it. */
const hmacKeys = new Map<string, KeyObject>();
const MAX_HMAC_KEYS = 64;

function hmacKey(key: string): KeyObject {
  let object = hmacKeys.get(key);
  if (object === undefined) {
    if (hmacKeys.size >= MAX_HMAC_KEYS) hmacKeys.clear();
    object = createSecretKey(Buffer.from(key, 'utf8'));
    hmacKeys.set(key, object);
  }
  return object;
}

export interface VerifySignOptions {
  /**
   * Algorithms accepted. A `sign_type` outside this list fails (guards against a downgrade to MD5
   * for merchants that sign with HMAC-SHA256). Default: both.
   */
  readonly accept?: readonly SignType[];
}

/** Which algorithm a signed message claims: `sign_type` when present, else by `sign` length. */
export function signTypeOf(params: Readonly<Record<string, string | undefined>>): SignType | undefined {
  const declared = params['sign_type'];
  if (declared !== undefined && declared !== '') return isSignType(declared) ? declared : undefined;
  const given = params['sign'];
  return given !== undefined && given.length === 64 ? 'HMAC-SHA256' : 'MD5';
}

/**
 * Checks `params.sign` in constant time. The algorithm is the one named by `sign_type` (MD5 when
 * absent, HMAC-SHA256 when absent but the signature has 64 hex digits, as WeChat sometimes sends).
 * Returns false for a missing signature, an unknown `sign_type` or one not in `accept`.
 */
export function verifySign(params: Readonly<Record<string, string | undefined>>, key: string, options: VerifySignOptions = {}): boolean {
  const given = params['sign'];
  if (given === undefined || given === '') return false;
  const signType = signTypeOf(params);
  if (signType === undefined) return false;
  if (options.accept && !options.accept.includes(signType)) return false;
  const expected = sign(params, key, signType);
  return safeEqual(given.toUpperCase(), expected);
}

/** Constant-time comparison of two ASCII strings (length is not secret). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
