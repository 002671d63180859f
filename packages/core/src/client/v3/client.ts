/**
 * The API v3 client: one executor for every operation declared in {@link ./operations.ts}, over
 * the same transport as v2. Requests are signed with `WECHATPAY2-SHA256-RSA2048`; every 2xx reply
 * is verified against the WeChat Pay public key and/or the platform certificates, chosen by
 * `Wechatpay-Serial`; a non-2xx reply becomes WxPayError or TransportError.
 */
import type { ResolvedConfig, ResolvedMerchant, ResolvedV3Keys } from '../../config/types.js';
import { SignatureError, ValidationError, isWxPayKitError } from '../../errors.js';
import type { CallOptions } from '../../model/contract.js';
import { parseJsonObject, type JsonObject } from '../../protocol/v3/fields.js';
import { parseV3NotificationRefreshing, type VerifiedV3Notification } from '../../protocol/v3/notify.js';
import { createPlatformCertificateStore, type PlatformCertificateStore } from '../../protocol/v3/platform-certificates.js';
import { buildAuthorization } from '../../protocol/v3/sign.js';
import {
  combineKeyrings,
  createV3Keyring,
  signedMessageFrom,
  verifyV3Signature,
  type HeaderBag,
  type V3Keyring,
} from '../../protocol/v3/verify.js';
import { OPERATION_NAMES } from '../operations.js';
import { configuredMerchant, createRetrier, type CreateWxPayClientOptions } from '../shared.js';
import { MAX_REPLY_BYTES, type Transport } from '../transport.js';
import type { VersionClient } from '../version-client.js';
import { errorFromV3Reply, isV3AutoRetryable } from './errors.js';
import { V3_OPERATIONS, type Seal, type V3Call, type V3Operation } from './operations.js';
import { encryptSensitiveField } from '../../protocol/v3/transfer.js';
import type { KeyObject } from 'node:crypto';

/** Largest v3 JSON reply accepted. */
const MAX_JSON_REPLY = 1024 * 1024;

/** The v3 client's extras beside the operations. */
export interface V3Client extends VersionClient {
  /** Verifies and decrypts a v3 notification for `merchant` (see `WxPayClient.verifyV3Notification`). */
  verifyNotification(merchant: string, headers: HeaderBag, body: Uint8Array, options?: CallOptions): Promise<VerifiedV3Notification>;
  /**
   * The keys WeChat's messages to `merchant` are verified with (downloads platform certificates
   * when due; with `refresh`, also when a message named an unknown serial, rate-limited).
   */
  keyring(merchant: string, options?: CallOptions & { readonly refresh?: boolean }): Promise<V3Keyring>;
}

/** The merchant's v3 keys (a v3 merchant's, or a v2 merchant's kept for transfers), or a ValidationError. */
function v3Keys(merchant: ResolvedMerchant): ResolvedV3Keys {
  if (merchant.v3 === undefined) {
    throw new ValidationError('merchant is not configured for API v3', { field: 'merchant' });
  }
  return merchant.v3;
}

/** Creates the v3 client over a shared transport. Reached through `createWxPayClient`. */
export function createV3Client(config: ResolvedConfig, transport: Transport, hooks: CreateWxPayClientOptions): V3Client {
  const retrier = createRetrier(config, hooks, isV3AutoRetryable);
  const log = config.logger;
  const stores = new Map<string, PlatformCertificateStore>();
  const staticRings = new Map<string, V3Keyring>();

  function merchantNamed(name: string): ResolvedMerchant {
    const merchant = configuredMerchant(config, name);
    v3Keys(merchant);
    return merchant;
  }

  function staticRing(merchant: ResolvedMerchant): V3Keyring | undefined {
    const keys = v3Keys(merchant);
    if (keys.publicKey === undefined || keys.publicKeyId === undefined) return undefined;
    let ring = staticRings.get(merchant.name);
    if (ring === undefined) {
      ring = createV3Keyring([[keys.publicKeyId, keys.publicKey]]);
      staticRings.set(merchant.name, ring);
    }
    return ring;
  }

  function certificateStore(merchant: ResolvedMerchant): PlatformCertificateStore | undefined {
    const keys = v3Keys(merchant);
    if (!keys.platformCertificates) return undefined;
    let store = stores.get(merchant.name);
    if (store === undefined) {
      store = createPlatformCertificateStore({
        apiV3Key: keys.apiV3Key,
        trusted: staticRing(merchant),
        now: config.now,
        onError: (error) =>
          log.warn(
            { merchant: merchant.name, error: isWxPayKitError(error) ? error.code : 'unknown' },
            'platform certificate download failed',
          ),
        download: async (signal) => {
          const reply = await signedExchange(merchant, 'GET', '/v3/certificates', undefined, signal);
          if (reply.statusCode < 200 || reply.statusCode >= 300)
            throw errorFromV3Reply(reply.statusCode, reply.body, `${originOf(merchant.baseUrl)}/v3/certificates`);
          return { headers: reply.headers, body: reply.body };
        },
      });
      stores.set(merchant.name, store);
    }
    return store;
  }

  async function keyring(merchant: ResolvedMerchant, signal?: AbortSignal): Promise<V3Keyring> {
    const ring = staticRing(merchant);
    const store = certificateStore(merchant);
    if (store !== undefined) await store.ensureFresh(signal);
    const rings = [ring, store].filter((r): r is V3Keyring => r !== undefined);
    return rings.length === 1 ? rings[0]! : combineKeyrings(...rings);
  }

  /**
   * The key sensitive request fields are encrypted with, and its `Wechatpay-Serial`: the WeChat
   * Pay public key when configured (WeChat's recommendation), else the newest platform certificate.
   */
  async function encryptionKey(merchant: ResolvedMerchant, signal: AbortSignal | undefined): Promise<{ serial: string; key: KeyObject }> {
    const keys = v3Keys(merchant);
    if (keys.publicKey !== undefined && keys.publicKeyId !== undefined) return { serial: keys.publicKeyId, key: keys.publicKey };
    const store = certificateStore(merchant);
    if (store !== undefined) {
      await store.ensureFresh(signal);
      const newest = store.certificates()[0];
      if (newest !== undefined) return { serial: newest.serialNo, key: newest.publicKey };
    }
    throw new ValidationError('no WeChat Pay public key or platform certificate is available to encrypt userName with', {
      field: 'userName',
    });
  }

  /**
   * The keyring; with `refresh`, first tells the certificate store a message named a serial it does
   * not hold (WeChat may have just rotated): it downloads the list again, at most once a minute, so
   * forged serials cannot make us hammer WeChat. When that is not allowed yet, the message fails
   * and WeChat's retry finds the new certificate.
   */
  async function keyringFor(merchant: ResolvedMerchant, refresh: boolean, signal?: AbortSignal): Promise<V3Keyring> {
    if (refresh) await certificateStore(merchant)?.noticeUnknownSerial();
    return keyring(merchant, signal);
  }

  /** One signed request; answers whatever WeChat answered. */
  async function signedExchange(
    merchant: ResolvedMerchant,
    method: 'GET' | 'POST',
    path: string,
    body: Record<string, unknown> | undefined,
    signal: AbortSignal | undefined,
    maxBytes = MAX_JSON_REPLY,
    extraHeaders?: Readonly<Record<string, string>>,
  ) {
    const keys = v3Keys(merchant);
    const url = new URL(`${merchant.baseUrl}${path}`);
    const text = body === undefined ? '' : JSON.stringify(body);
    const authorization = buildAuthorization({
      mchId: merchant.mchId,
      serialNo: keys.certSerialNo,
      privateKey: keys.privateKey,
      method,
      urlPathWithQuery: `${url.pathname}${url.search}`,
      body: text,
      timestamp: Math.floor(config.now() / 1000),
      nonce: config.nonce(),
    });
    const headers: Record<string, string> = { authorization, accept: 'application/json', ...extraHeaders };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return transport.exchange(method, url, {
      headers,
      body: body === undefined ? undefined : text,
      signal,
      timeoutMs: config.client.timeoutMs,
      maxBytes,
    });
  }

  /** Verifies a 2xx reply; an unknown serial in certificate mode downloads the certificates once and tries again. */
  async function verifyReply(merchant: ResolvedMerchant, headers: HeaderBag, body: Buffer, signal: AbortSignal | undefined): Promise<void> {
    const message = signedMessageFrom(headers, body);
    try {
      verifyV3Signature(message, await keyring(merchant, signal), { now: config.now() });
    } catch (error) {
      const store = certificateStore(merchant);
      if (!(error instanceof SignatureError) || error.reason !== 'unknown-key' || store === undefined) throw error;
      await store.refresh(signal);
      verifyV3Signature(message, await keyring(merchant, signal), { now: config.now() });
    }
  }

  /** Sends, checks the status, verifies the reply and parses its JSON (undefined for an empty body). */
  async function exchangeVerified(
    merchant: ResolvedMerchant,
    api: string,
    method: 'GET' | 'POST',
    path: string,
    body: Record<string, unknown> | undefined,
    signal: AbortSignal | undefined,
    extraHeaders?: Readonly<Record<string, string>>,
  ): Promise<JsonObject | undefined> {
    const reply = await signedExchange(merchant, method, path, body, signal, MAX_JSON_REPLY, extraHeaders);
    if (reply.statusCode < 200 || reply.statusCode >= 300)
      throw errorFromV3Reply(reply.statusCode, reply.body, `${originOf(merchant.baseUrl)}${path.replace(/\?.*$/, '')}`);
    await verifyReply(merchant, reply.headers, reply.body, signal);
    return reply.body.length === 0 ? undefined : parseJsonObject(reply.body, `the ${api} reply`);
  }

  /** The one executor: validate, build, sign, send, verify, map; retried per the operation. */
  async function execute<I extends { readonly merchant: string }, N, R>(
    decl: V3Operation<I, N, R>,
    input: I,
    callOptions: CallOptions | undefined,
  ): Promise<R> {
    const normalized = decl.op.validate(input);
    const merchant = merchantNamed(input.merchant);
    decl.check?.(input, merchant);
    const signal = callOptions?.signal;
    const api = typeof decl.api === 'string' ? decl.api : decl.api(input);
    const path = decl.path(input, merchant);
    const sealing = decl.encrypts?.(input) ? await encryptionKey(merchant, signal) : undefined;
    const seal: Seal | undefined = sealing && ((plain) => encryptSensitiveField(plain, sealing.key));
    const body = decl.body?.(input, normalized, merchant, seal);
    const extraHeaders = sealing === undefined ? undefined : { 'wechatpay-serial': sealing.serial };
    const call: V3Call = {
      config,
      merchant,
      keys: v3Keys(merchant),
      download: (pathWithQuery) =>
        retrier.run('bill/download', 'safe', merchant.name, signal, async () => {
          const reply = await signedExchange(merchant, 'GET', pathWithQuery, undefined, signal, MAX_REPLY_BYTES);
          if (reply.statusCode < 200 || reply.statusCode >= 300)
            throw errorFromV3Reply(reply.statusCode, reply.body, `${originOf(merchant.baseUrl)}${pathWithQuery.replace(/\?.*$/, '')}`);
          return reply.body;
        }),
    };
    let reply: JsonObject | undefined;
    try {
      reply = await retrier.run(api, decl.op.retry, merchant.name, signal, () =>
        exchangeVerified(merchant, api, decl.method, path, body, signal, extraHeaders),
      );
    } catch (error) {
      if (decl.done?.(error)) return undefined as R;
      throw error;
    }
    return decl.map(reply, input, call);
  }

  const client = {
    async verifyNotification(merchantName: string, headers: HeaderBag, body: Uint8Array, callOptions?: CallOptions) {
      const merchant = merchantNamed(merchantName);
      const keys = v3Keys(merchant);
      return parseV3NotificationRefreshing(headers, body, (refresh) => keyringFor(merchant, refresh, callOptions?.signal), {
        apiV3Key: keys.apiV3Key,
        now: config.now(),
        maxBytes: config.bodyLimit,
      });
    },
    async keyring(merchantName: string, callOptions?: CallOptions & { readonly refresh?: boolean }) {
      return keyringFor(merchantNamed(merchantName), callOptions?.refresh === true, callOptions?.signal);
    },
    close() {
      retrier.stop();
    },
  } as Record<string, unknown>;
  for (const name of OPERATION_NAMES) {
    const decl = V3_OPERATIONS[name] as V3Operation<never, unknown, unknown>;
    client[name] = (input: never, callOptions?: CallOptions) => execute(decl, input, callOptions);
  }
  return Object.freeze(client) as unknown as V3Client;
}

/** The origin of a merchant's `baseUrl` for error messages (never its credentials or query). */
function originOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).origin;
  } catch {
    return '';
  }
}
