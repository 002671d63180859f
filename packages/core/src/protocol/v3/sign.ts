/**
 * API v3 request signing (spec §2): the five-line message, its SHA256withRSA signature with the
 * merchant API private key, and the `WECHATPAY2-SHA256-RSA2048` Authorization header.
 */
import { KeyObject, createPrivateKey, createSign, randomBytes } from 'node:crypto';

/** The Authorization scheme of API v3 requests. */
export const V3_AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';

/** A private key as PEM text, DER/PEM bytes, or an already imported `KeyObject`. */
export type PrivateKeyInput = string | Uint8Array | KeyObject;

/** Imports a private key once; `KeyObject`s pass through. */
export function toPrivateKey(key: PrivateKeyInput): KeyObject {
  if (key instanceof KeyObject) return key;
  return createPrivateKey(typeof key === 'string' ? key : Buffer.from(key));
}

/**
 * The string a v3 request signature covers (spec §2.1): method, path with query, timestamp, nonce
 * and body, each line ending in `\n`, the last one too.
 *
 * @example
 * buildRequestMessage('GET', '/v3/certificates', 1554208460, '593BEC0C930BF1AFEB40B4A08C8FB242', '');
 * // 'GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n'
 */
export function buildRequestMessage(
  method: string,
  urlPathWithQuery: string,
  timestamp: number | string,
  nonce: string,
  body: string,
): string {
  return `${method.toUpperCase()}\n${urlPathWithQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** Base64 SHA256withRSA (PKCS#1 v1.5) of `message` with `privateKey`. */
export function rsaSign(message: string | Uint8Array, privateKey: PrivateKeyInput): string {
  return createSign('RSA-SHA256').update(message).sign(toPrivateKey(privateKey), 'base64');
}

/** Input of {@link buildAuthorization}. */
export interface AuthorizationInput {
  /** The calling merchant (`mchid`). */
  readonly mchId: string;
  /** Serial number of the merchant API certificate (hex). */
  readonly serialNo: string;
  readonly privateKey: PrivateKeyInput;
  readonly method: string;
  /** Path and query exactly as sent, e.g. `/v3/pay/transactions/id/4200…?mchid=1230000109`. */
  readonly urlPathWithQuery: string;
  /** The exact body sent; empty for GET. */
  readonly body: string;
  /** Unix seconds; default now. */
  readonly timestamp?: number | undefined;
  /** Default 32 random hex characters, upper-case. */
  readonly nonce?: string | undefined;
}

/**
 * The `Authorization` header value of a v3 request (spec §2.2):
 * `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`.
 *
 * @example
 * const authorization = buildAuthorization({ mchId, serialNo, privateKey, method: 'POST', urlPathWithQuery: '/v3/pay/transactions/native', body });
 */
export function buildAuthorization(input: AuthorizationInput): string {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = input.nonce ?? randomBytes(16).toString('hex').toUpperCase();
  for (const [name, value] of [
    ['mchId', input.mchId],
    ['serialNo', input.serialNo],
    ['nonce', nonce],
  ] as const) {
    if (!/^[\x21-\x7e]+$/.test(value) || value.includes('"')) throw new RangeError(`${name} must be printable ASCII without quotes`);
  }
  const signature = rsaSign(buildRequestMessage(input.method, input.urlPathWithQuery, timestamp, nonce, input.body), input.privateKey);
  return `${V3_AUTH_SCHEME} mchid="${input.mchId}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${input.serialNo}"`;
}

/** The parts of a v3 Authorization header. */
export interface ParsedAuthorization {
  readonly mchId: string;
  readonly nonce: string;
  readonly timestamp: string;
  readonly serialNo: string;
  readonly signature: string;
}

/**
 * Splits a v3 Authorization header into its five parts (in any order), or returns undefined when
 * the scheme is not `WECHATPAY2-SHA256-RSA2048`, a part is missing, or one is repeated. For
 * servers that verify merchants' requests, such as the simulator.
 */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  if (header === undefined) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== V3_AUTH_SCHEME) return undefined;
  const parts = new Map<string, string>();
  const pattern = /\s*([a-z_]+)="([^"]*)"\s*(?:,|$)/gy;
  const rest = header.slice(space + 1);
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = pattern.exec(rest)) !== null) {
    const [, key, value] = match;
    if (key === undefined || value === undefined || parts.has(key)) return undefined;
    parts.set(key, value);
    end = pattern.lastIndex;
    if (end >= rest.length) break;
  }
  if (end !== rest.length) return undefined;
  const mchId = parts.get('mchid');
  const nonce = parts.get('nonce_str');
  const timestamp = parts.get('timestamp');
  const serialNo = parts.get('serial_no');
  const signature = parts.get('signature');
  if (!mchId || !nonce || !timestamp || !serialNo || !signature) return undefined;
  return { mchId, nonce, timestamp, serialNo, signature };
}
