/**
 * API v3 notifications (spec §7): verify the signature headers over the raw body, decrypt the
 * `resource` with the APIv3 key, and map it to the model's payment and refund.
 */
import { DecryptError, SignatureError, XmlError } from '../../errors.js';
import type { PayNotification } from '../../model/payment.js';
import type { RefundNotification } from '../../model/refund.js';
import { decryptResource, type EncryptedResource } from './aead.js';
import { parseJsonObject, toPayNotification, toRefundNotification, type JsonObject } from './fields.js';
import { signedMessageFrom, verifyV3Signature, type HeaderBag, type V3Keyring } from './verify.js';

/** Options of {@link parseV3Notification}. */
export interface ParseV3NotificationOptions {
  /** Keys by `Wechatpay-Serial`. */
  readonly keyring: V3Keyring;
  /** The merchant's APIv3 key (32 bytes). */
  readonly apiV3Key: string;
  /** Epoch ms; default `Date.now()`. */
  readonly now?: number | undefined;
  /** Default 300 s. */
  readonly toleranceSec?: number | undefined;
  /** Largest body accepted; default 64 KiB. */
  readonly maxBytes?: number | undefined;
}

/** A verified, decrypted v3 notification. */
export interface VerifiedV3Notification {
  /** The notification id (`EV-…`): the same id on every delivery of one event. */
  readonly id: string;
  /** `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`, `REFUND.ABNORMAL`, `REFUND.CLOSED`, … */
  readonly eventType: string;
  readonly createTime: string | undefined;
  readonly summary: string | undefined;
  /** `resource.original_type`: `transaction`, `refund`, … */
  readonly originalType: string | undefined;
  /** The decrypted resource. */
  readonly resource: JsonObject;
  /** The serial that verified the signature. */
  readonly serial: string;
}

/**
 * Whether a notification request is in v3 form (JSON with `Wechatpay-*` headers) rather than v2
 * XML: a v3 merchant still receives v2 XML refund notifications for refunds started in the
 * merchant console.
 */
export function isV3Notification(headers: HeaderBag, body: Uint8Array | string): boolean {
  if (headers['wechatpay-signature'] !== undefined || headers['wechatpay-serial'] !== undefined) return true;
  const start = (typeof body === 'string' ? body.slice(0, 64) : Buffer.from(body.subarray(0, 64)).toString('utf8'))
    .replace(/^\uFEFF/, '')
    .trimStart();
  return start.startsWith('{');
}

/**
 * Verifies and decrypts a v3 notification from its headers and exact body (spec §7.2). Throws
 * `SignatureError` (missing, stale, unknown-key, mismatch: including `WECHATPAY/SIGNTEST/`
 * probes), `XmlError` for a malformed body, and `DecryptError` for a resource that does not
 * decrypt with the APIv3 key.
 *
 * @example
 * const n = parseV3Notification(request.headers, request.rawBody, { keyring, apiV3Key });
 * if (n.eventType === 'TRANSACTION.SUCCESS') v3PayNotification(n).payment.totalFee;
 */
export function parseV3Notification(
  headers: HeaderBag,
  body: Uint8Array | string,
  options: ParseV3NotificationOptions,
): VerifiedV3Notification {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (size > (options.maxBytes ?? 64 * 1024)) throw new XmlError('notification body is too large');
  const serial = verifyV3Signature(signedMessageFrom(headers, body), options.keyring, {
    now: options.now,
    toleranceSec: options.toleranceSec,
  });
  const envelope = parseJsonObject(body, 'notification');
  const id = envelope['id'];
  const eventType = envelope['event_type'];
  const resource = envelope['resource'];
  if (typeof id !== 'string' || id === '') throw new XmlError("notification has no 'id'");
  if (typeof eventType !== 'string' || eventType === '') throw new XmlError("notification has no 'event_type'");
  if (resource === null || typeof resource !== 'object') throw new DecryptError("notification has no 'resource'");
  const plain = decryptResource(resource as EncryptedResource, options.apiV3Key);
  let decrypted: JsonObject;
  try {
    decrypted = parseJsonObject(plain, 'decrypted resource');
  } catch (cause) {
    throw new DecryptError('resource did not decrypt to a JSON object', { cause });
  }
  const originalType = (resource as Record<string, unknown>)['original_type'];
  return Object.freeze({
    id,
    eventType,
    createTime: typeof envelope['create_time'] === 'string' ? envelope['create_time'] : undefined,
    summary: typeof envelope['summary'] === 'string' ? envelope['summary'] : undefined,
    originalType: typeof originalType === 'string' ? originalType : undefined,
    resource: Object.freeze(decrypted),
    serial,
  });
}

/** A v3 payment notification: the decrypted resource and the payment mapped from it. */
/**
 * {@link parseV3Notification} with keys from `keyringOf`. When the signature names a serial the
 * keyring does not know (WeChat has just rotated its certificate), asks for the keyring again with
 * `refresh: true` (the caller may download new certificates, rate-limited) and tries once more.
 */
export async function parseV3NotificationRefreshing(
  headers: HeaderBag,
  body: Uint8Array | string,
  keyringOf: (refresh: boolean) => Promise<V3Keyring>,
  options: Omit<ParseV3NotificationOptions, 'keyring'>,
): Promise<VerifiedV3Notification> {
  try {
    return parseV3Notification(headers, body, { ...options, keyring: await keyringOf(false) });
  } catch (error) {
    if (!(error instanceof SignatureError) || error.reason !== 'unknown-key') throw error;
    return parseV3Notification(headers, body, { ...options, keyring: await keyringOf(true) });
  }
}

export interface V3PayNotification {
  /** The decrypted `resource` (a v3 transaction object). */
  readonly raw: JsonObject;
  readonly payment: PayNotification;
}

/** Maps a verified `TRANSACTION.*` notification to the model. */
export function v3PayNotification(n: VerifiedV3Notification): V3PayNotification {
  return Object.freeze({ raw: n.resource, payment: toPayNotification(n.resource) });
}

/** A v3 refund notification: the decrypted resource and the refund outcome mapped from it. */
export interface V3RefundNotification {
  /** The decrypted `resource` (a v3 refund object). */
  readonly raw: JsonObject;
  readonly refund: RefundNotification;
}

/**
 * Maps a verified `REFUND.*` notification. v3 refund resources carry no app id: `appId` is the
 * one the caller knows for the refund or its order (e.g. recorded at create-refund or create-pay);
 * `''` when it knows none, and then `refund.appId` is `''`.
 */
export function v3RefundNotification(n: VerifiedV3Notification, appId: string): V3RefundNotification {
  return Object.freeze({ raw: n.resource, refund: toRefundNotification(n.resource, appId) });
}

/**
 * The JSON answer to a v3 notification (spec §7.3): 200 with `{"code":"SUCCESS","message":"成功"}`,
 * or 500 with `{"code":"FAIL","message":…}` so WeChat delivers again. Never put payload content
 * or secrets in `message`.
 */
export function v3NotifyReply(ok: boolean, message?: string): { readonly status: number; readonly body: string } {
  return ok
    ? { status: 200, body: JSON.stringify({ code: 'SUCCESS', message: message ?? '成功' }) }
    : { status: 500, body: JSON.stringify({ code: 'FAIL', message: message ?? '失败' }) };
}
