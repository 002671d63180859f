/**
 * Platform certificates, the legacy way WeChat Pay signs v3 replies and notifications (spec §3.3):
 * downloaded from `GET /v3/certificates`, decrypted with the APIv3 key, kept by serial while
 * unexpired, and downloaded again before the newest one expires or when a rotation is noticed.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { DecryptError, SignatureError, XmlError } from '../../errors.js';
import { decryptResource, type EncryptedResource } from './aead.js';
import {
  createV3Keyring,
  combineKeyrings,
  normalizeSerial,
  signedMessageFrom,
  verifyV3Signature,
  type HeaderBag,
  type V3Keyring,
} from './verify.js';

/** One decrypted platform certificate. */
export interface PlatformCertificate {
  /** Normalized serial (upper-case hex). */
  readonly serialNo: string;
  /** Epoch ms. */
  readonly effectiveTime: number;
  /** Epoch ms. */
  readonly expireTime: number;
  readonly pem: string;
  readonly publicKey: KeyObject;
}

/** A `/v3/certificates` reply as received: headers (lower-case) and the raw body. */
export interface CertificatesReply {
  readonly headers: HeaderBag;
  readonly body: Uint8Array;
}

function parseTime(value: unknown, field: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new XmlError(`certificate field '${field}' is not an RFC 3339 time`);
  return ms;
}

/**
 * Decrypts every entry of a `/v3/certificates` reply body with the APIv3 key. The serial inside
 * each certificate must equal its `serial_no`. Throws `XmlError` for a malformed reply and
 * {@link DecryptError} for an entry that does not decrypt.
 */
export function decryptCertificates(body: Uint8Array | string, apiV3Key: string): PlatformCertificate[] {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch (cause) {
    throw new XmlError('the certificates reply is not JSON', { cause });
  }
  const data = (json as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new XmlError("the certificates reply has no 'data' list");
  return data.map((entry: unknown) => {
    const e = entry as Record<string, unknown> | null;
    if (e === null || typeof e !== 'object' || typeof e['serial_no'] !== 'string')
      throw new XmlError('a certificate entry has no serial_no');
    const pem = decryptResource(e['encrypt_certificate'] as EncryptedResource, apiV3Key);
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(pem);
    } catch (cause) {
      throw new DecryptError('a certificate entry did not decrypt to a certificate', { cause });
    }
    const serialNo = normalizeSerial(e['serial_no']);
    if (normalizeSerial(x509.serialNumber) !== serialNo)
      throw new DecryptError('a certificate does not carry the serial it is listed under');
    return Object.freeze({
      serialNo,
      effectiveTime: parseTime(e['effective_time'], 'effective_time'),
      expireTime: parseTime(e['expire_time'], 'expire_time'),
      pem,
      publicKey: x509.publicKey,
    });
  });
}

/** Options of {@link createPlatformCertificateStore}. */
export interface PlatformCertificateStoreOptions {
  readonly apiV3Key: string;
  /** Makes the signed `GET /v3/certificates` call and returns the reply (2xx only). */
  readonly download: (signal?: AbortSignal) => Promise<CertificatesReply>;
  /**
   * Keys already trusted (e.g. the WeChat Pay public key during a migration): a download reply
   * may be signed by one of them.
   */
  readonly trusted?: V3Keyring | undefined;
  /** Epoch ms; default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Download again this long after the last success; default 12 hours. */
  readonly refreshIntervalMs?: number | undefined;
  /** Download again this long before the newest certificate expires; default 24 hours. */
  readonly refreshBeforeExpiryMs?: number | undefined;
  /** Least time between two downloads started by unknown serials, and the wait after a failed download; default 60 s. */
  readonly minRetryMs?: number | undefined;
  /** Told about background download failures (which otherwise only delay the next try). */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** The platform certificates of one merchant, as a keyring that keeps itself current. */
export interface PlatformCertificateStore extends V3Keyring {
  /** Downloads now; concurrent calls share one download. */
  refresh(signal?: AbortSignal): Promise<void>;
  /**
   * Before a call to WeChat: waits for the first download when nothing is held yet, and starts a
   * background download when one is due.
   */
  ensureFresh(signal?: AbortSignal): Promise<void>;
  /**
   * A message named a serial this store does not hold (a rotation WeChat started): downloads the
   * list from WeChat, at most once per `minRetryMs` for this reason (joining a download in
   * flight), and resolves
   * when it is done; failures go to `onError`. The keys still come only from WeChat's signed,
   * APIv3-key-encrypted list, never from the message.
   */
  noticeUnknownSerial(): Promise<void>;
  /** The unexpired certificates held, newest first. */
  certificates(): readonly PlatformCertificate[];
}

/**
 * Keeps a merchant's platform certificates: the first download when first needed, then again
 * every `refreshIntervalMs`, `refreshBeforeExpiryMs` ahead of the newest certificate's expiry,
 * and (rate-limited) when a message names an unknown serial. Certificates from earlier downloads
 * stay until they expire, so a message signed with the outgoing certificate still verifies
 * during a rotation. The download reply's signature is checked against the certificates held,
 * the trusted keys, or the certificates it carries: those were encrypted with the APIv3 key, which
 * only WeChat and the merchant know. No timers are kept: nothing needs closing.
 */
export function createPlatformCertificateStore(options: PlatformCertificateStoreOptions): PlatformCertificateStore {
  const now = options.now ?? Date.now;
  const interval = options.refreshIntervalMs ?? 12 * 3600_000;
  const before = options.refreshBeforeExpiryMs ?? 24 * 3600_000;
  const minRetry = options.minRetryMs ?? 60_000;
  const held = new Map<string, PlatformCertificate>();
  let nextRefreshAt = 0;
  /** When an unknown serial last started a download: those are what the rate limit bounds. */
  let lastNoticeAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;

  function live(): PlatformCertificate[] {
    const t = now();
    for (const [serial, cert] of held) if (cert.expireTime <= t) held.delete(serial);
    return [...held.values()].sort((a, b) => b.expireTime - a.expireTime);
  }

  const heldRing: V3Keyring = {
    key(serial) {
      const cert = held.get(normalizeSerial(serial));
      return cert !== undefined && cert.expireTime > now() ? cert.publicKey : undefined;
    },
    serials: () => live().map((c) => c.serialNo),
  };

  async function download(signal?: AbortSignal): Promise<void> {
    try {
      const reply = await options.download(signal);
      const fresh = decryptCertificates(reply.body, options.apiV3Key);
      const rings = [heldRing, createV3Keyring(fresh.map((c) => [c.serialNo, c.publicKey] as const))];
      if (options.trusted) rings.push(options.trusted);
      verifyV3Signature(signedMessageFrom(reply.headers, reply.body), combineKeyrings(...rings), { now: now() });
      const t = now();
      for (const cert of fresh) if (cert.expireTime > t) held.set(cert.serialNo, cert);
      const newest = live()[0];
      if (newest === undefined) throw new SignatureError('unknown-key', 'WeChat Pay listed no unexpired platform certificate');
      nextRefreshAt = Math.min(t + interval, Math.max(t + minRetry, newest.expireTime - before));
    } catch (error) {
      nextRefreshAt = now() + minRetry;
      throw error;
    }
  }

  function refresh(signal?: AbortSignal): Promise<void> {
    if (pending === undefined) {
      pending = download(signal).finally(() => {
        pending = undefined;
      });
    }
    return pending;
  }

  function background(): void {
    refresh().catch((error: unknown) => options.onError?.(error));
  }

  return Object.freeze({
    key: heldRing.key,
    serials: heldRing.serials,
    refresh,
    async ensureFresh(signal?: AbortSignal) {
      if (live().length === 0) return refresh(signal);
      if (now() >= nextRefreshAt && pending === undefined) background();
      return undefined;
    },
    async noticeUnknownSerial() {
      if (pending === undefined) {
        if (now() - lastNoticeAt < minRetry) return;
        lastNoticeAt = now();
      }
      await refresh().catch((error: unknown) => options.onError?.(error));
    },
    certificates: () => Object.freeze(live()),
  });
}
