/**
 * Verifying WeChat's v3 signatures on replies and notifications (spec §3): the three-line message
 * over the raw body, the key chosen by `Wechatpay-Serial` (a WeChat Pay public key id
 * `PUB_KEY_ID_…` or a platform certificate serial), and the ±5 minute timestamp window.
 */
import { KeyObject, createPublicKey, createVerify, X509Certificate } from 'node:crypto';
import { SignatureError } from '../../errors.js';
import { V3_AUTH_SCHEME } from './sign.js';

/** A public key as PEM text (public key or certificate), bytes, or an imported `KeyObject`. */
export type PublicKeyInput = string | Uint8Array | KeyObject;

/** Prefix of a WeChat Pay public key id. */
export const PUBLIC_KEY_ID_PREFIX = 'PUB_KEY_ID_';

/** Prefix of the deliberately wrong signatures WeChat sends to check that merchants verify. */
export const SIGNATURE_PROBE_PREFIX = 'WECHATPAY/SIGNTEST/';

/** Default tolerance of `Wechatpay-Timestamp` against the local clock, in seconds. */
export const DEFAULT_TOLERANCE_SEC = 300;

/** Public keys by `Wechatpay-Serial`: WeChat Pay public key ids and/or platform certificate serials. */
export interface V3Keyring {
  /** The key for this serial, or undefined when it is unknown. */
  key(serial: string): KeyObject | undefined;
  /** Every serial held now. */
  serials(): readonly string[];
}

/**
 * The lookup form of a serial: public key ids as given, certificate serials (hex) upper-case
 * without leading zeros, so `0a1b` and `0A1B` name the same certificate.
 */
export function normalizeSerial(serial: string): string {
  if (serial.startsWith(PUBLIC_KEY_ID_PREFIX)) return serial;
  return /^[0-9a-fA-F]+$/.test(serial) ? serial.toUpperCase().replace(/^0+(?=.)/, '') : serial;
}

/** Imports a public key from a PEM public key, a PEM certificate, bytes, or a `KeyObject`. */
export function toPublicKey(input: PublicKeyInput): KeyObject {
  if (input instanceof KeyObject) return input.type === 'private' ? createPublicKey(input) : input;
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  if (text.includes('-----BEGIN CERTIFICATE-----')) return new X509Certificate(text).publicKey;
  return createPublicKey(typeof input === 'string' ? input : Buffer.from(input));
}

/**
 * A fixed keyring: e.g. the WeChat Pay public key under its `PUB_KEY_ID_…`, and during a
 * migration also platform certificates under their serials.
 *
 * @example
 * const keyring = createV3Keyring([[publicKeyId, publicKeyPem]]);
 */
export function createV3Keyring(entries: Iterable<readonly [serial: string, key: PublicKeyInput]>): V3Keyring {
  const keys = new Map<string, KeyObject>();
  for (const [serial, key] of entries) keys.set(normalizeSerial(serial), toPublicKey(key));
  return Object.freeze({
    key: (serial: string) => keys.get(normalizeSerial(serial)),
    serials: () => Object.freeze([...keys.keys()]),
  });
}

/** Looks a serial up in each keyring in turn. */
export function combineKeyrings(...keyrings: readonly V3Keyring[]): V3Keyring {
  return Object.freeze({
    key(serial: string) {
      for (const ring of keyrings) {
        const key = ring.key(serial);
        if (key !== undefined) return key;
      }
      return undefined;
    },
    serials: () => Object.freeze([...new Set(keyrings.flatMap((ring) => ring.serials()))]),
  });
}

/** The signed parts of a v3 reply or notification. */
export interface V3SignedMessage {
  /** `Wechatpay-Timestamp`, Unix seconds. */
  readonly timestamp: string | undefined;
  /** `Wechatpay-Nonce`. */
  readonly nonce: string | undefined;
  /** The raw body, exactly as received. */
  readonly body: string | Uint8Array;
  /** `Wechatpay-Signature`, Base64. */
  readonly signature: string | undefined;
  /** `Wechatpay-Serial`: `PUB_KEY_ID_…` or a platform certificate serial. */
  readonly serial: string | undefined;
  /** `Wechatpay-Signature-Type`, when sent. */
  readonly signatureType?: string | undefined;
}

/** Headers as lower-case names (Node, undici, `WxPayRequest`). */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? (value as readonly string[])[0] : (value as string | undefined);
}

/** The signed message of a reply or notification, from its lower-case headers and raw body. */
export function signedMessageFrom(headers: HeaderBag, body: string | Uint8Array): V3SignedMessage {
  return {
    timestamp: header(headers, 'wechatpay-timestamp'),
    nonce: header(headers, 'wechatpay-nonce'),
    signature: header(headers, 'wechatpay-signature'),
    serial: header(headers, 'wechatpay-serial'),
    signatureType: header(headers, 'wechatpay-signature-type'),
    body,
  };
}

/** The bytes a WeChat v3 signature covers: `timestamp\nnonce\nbody\n` (spec §3.2). */
export function buildResponseMessage(timestamp: string, nonce: string, body: string | Uint8Array): Buffer {
  const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), bodyBytes, Buffer.from('\n')]);
}

/** Options of {@link verifyV3Signature}. */
export interface VerifyV3Options {
  /** The local clock, epoch milliseconds; default `Date.now()`. */
  readonly now?: number | undefined;
  /** Largest accepted distance between `Wechatpay-Timestamp` and `now`; default 300 s. */
  readonly toleranceSec?: number | undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Verifies a v3 reply or notification signature over the raw body with the key that
 * `Wechatpay-Serial` names. Returns the normalized serial that verified it. Throws
 * {@link SignatureError} with reason:
 * - `missing`: a signature header is absent or empty;
 * - `unsupported-type`: `Wechatpay-Signature-Type` is not `WECHATPAY2-SHA256-RSA2048`;
 * - `stale`: the timestamp is not whole seconds or is more than `toleranceSec` away from `now`;
 * - `unknown-key`: the keyring holds no key for the serial (keys are never fetched because of a
 *   message: an attacker must not be able to choose them);
 * - `mismatch`: the signature does not verify, including WeChat's `WECHATPAY/SIGNTEST/` probes.
 *
 * @example
 * verifyV3Signature(signedMessageFrom(request.headers, request.rawBody), keyring, { now: Date.now() });
 */
export function verifyV3Signature(message: V3SignedMessage, keyring: V3Keyring, options: VerifyV3Options = {}): string {
  const { timestamp, nonce, signature, serial } = message;
  if (!timestamp || !nonce || !signature || !serial) throw new SignatureError('missing', 'a Wechatpay signature header is missing');
  if (message.signatureType !== undefined && message.signatureType !== '' && message.signatureType !== V3_AUTH_SCHEME) {
    throw new SignatureError('unsupported-type', 'Wechatpay-Signature-Type is not WECHATPAY2-SHA256-RSA2048');
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw new SignatureError('stale', 'Wechatpay-Timestamp is not Unix seconds');
  const nowSec = Math.floor((options.now ?? Date.now()) / 1000);
  const tolerance = options.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  if (Math.abs(nowSec - Number(timestamp)) > tolerance) {
    throw new SignatureError('stale', `Wechatpay-Timestamp is more than ${tolerance} s from the local clock`);
  }
  if (signature.startsWith(SIGNATURE_PROBE_PREFIX)) {
    throw new SignatureError('mismatch', 'signature probe (WECHATPAY/SIGNTEST/) refused');
  }
  const key = keyring.key(serial);
  if (key === undefined) throw new SignatureError('unknown-key', 'Wechatpay-Serial names no known WeChat Pay key');
  if (!BASE64.test(signature)) throw new SignatureError('mismatch', 'Wechatpay-Signature is not Base64');
  let ok = false;
  try {
    ok = createVerify('RSA-SHA256')
      .update(buildResponseMessage(timestamp, nonce, message.body))
      .verify(key, signature, 'base64');
  } catch {
    ok = false;
  }
  if (!ok) throw new SignatureError('mismatch', 'Wechatpay-Signature does not verify');
  return normalizeSerial(serial);
}
