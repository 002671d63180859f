import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { SimulatorMerchant } from '../types.js';

/** The scheme token of a v3 `Authorization` header (spec v3 §2.2). */
export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';

/** The five parameters of an `Authorization` header. */
export interface AuthParams {
  readonly mchid: string;
  readonly nonceStr: string;
  readonly timestamp: string;
  readonly serialNo: string;
  readonly signature: string;
}

/** Parses `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",…`; undefined when malformed. */
export function parseAuthorization(header: string | undefined): AuthParams | undefined {
  if (header === undefined || !header.startsWith(`${AUTH_SCHEME} `)) return undefined;
  const fields = new Map<string, string>();
  const rest = header.slice(AUTH_SCHEME.length + 1).trim();
  const pair = /\s*([a-z_]+)="([^"]*)"\s*(?:,|$)/y;
  let at = 0;
  while (at < rest.length) {
    pair.lastIndex = at;
    const m = pair.exec(rest);
    if (!m || fields.has(m[1]!)) return undefined;
    fields.set(m[1]!, m[2]!);
    at = pair.lastIndex;
  }
  const mchid = fields.get('mchid');
  const nonceStr = fields.get('nonce_str');
  const timestamp = fields.get('timestamp');
  const serialNo = fields.get('serial_no');
  const signature = fields.get('signature');
  if (!mchid || !nonceStr || !timestamp || !serialNo || !signature) return undefined;
  return { mchid, nonceStr, timestamp, serialNo, signature };
}

/** The string a merchant signs (spec v3 §2.1). */
export function requestMessage(method: string, url: string, timestamp: string, nonce: string, body: string): string {
  return `${method}\n${url}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** Why a request's signature was refused. */
export type AuthFailure = 'malformed' | 'unknown-merchant' | 'not-v3' | 'wrong-serial' | 'stale-timestamp' | 'bad-signature';

/** What the reply to a refused signature tells (spec v3 §1: `detail.sign_information`). */
export interface SignInformation {
  readonly method: string;
  readonly url: string;
  readonly truncated_sign_message: string;
  readonly sign_message_length: number;
}

export type AuthResult =
  | { readonly ok: true; readonly merchant: SimulatorMerchant; readonly auth: AuthParams; readonly url: string }
  | { readonly ok: false; readonly reason: AuthFailure; readonly merchant?: SimulatorMerchant; readonly info?: SignInformation };

const keyCache = new WeakMap<SimulatorMerchant, KeyObject>();

function merchantKey(merchant: SimulatorMerchant): KeyObject {
  let key = keyCache.get(merchant);
  if (!key) {
    key = createPublicKey(merchant.v3!.publicKey);
    keyCache.set(merchant, key);
  }
  return key;
}

/**
 * Verifies a v3 call's `Authorization`: known v3 merchant, its certificate serial, timestamp within
 * `windowS` of `nowS`, and the SHA256withRSA signature over the rebuilt message. The URL is tried
 * as received, then relative to the simulator's base path (clients differ in which they sign).
 */
export function verifyRequest(input: {
  readonly header: string | undefined;
  readonly method: string;
  readonly urls: readonly string[];
  readonly body: string;
  readonly merchants: ReadonlyMap<string, SimulatorMerchant>;
  readonly nowS: number;
  readonly windowS: number;
}): AuthResult {
  const auth = parseAuthorization(input.header);
  if (!auth || !/^\d{1,12}$/.test(auth.timestamp)) return { ok: false, reason: 'malformed' };
  const merchant = input.merchants.get(auth.mchid);
  if (!merchant) return { ok: false, reason: 'unknown-merchant' };
  if (!merchant.v3) return { ok: false, reason: 'not-v3', merchant };
  if (auth.serialNo.toUpperCase() !== merchant.v3.serialNo) return { ok: false, reason: 'wrong-serial', merchant };
  const signature = Buffer.from(auth.signature, 'base64');
  const key = merchantKey(merchant);
  for (const url of input.urls) {
    const message = requestMessage(input.method, url, auth.timestamp, auth.nonceStr, input.body);
    if (verify('sha256', Buffer.from(message, 'utf8'), key, signature)) {
      if (Math.abs(input.nowS - Number(auth.timestamp)) > input.windowS) return { ok: false, reason: 'stale-timestamp', merchant };
      return { ok: true, merchant, auth, url };
    }
  }
  const message = requestMessage(input.method, input.urls[0]!, auth.timestamp, auth.nonceStr, input.body);
  return {
    ok: false,
    reason: 'bad-signature',
    merchant,
    info: {
      method: input.method,
      url: input.urls[0]!,
      truncated_sign_message: message.length > 100 ? `${message.slice(0, 100)}...` : message,
      sign_message_length: Buffer.byteLength(message, 'utf8'),
    },
  };
}
