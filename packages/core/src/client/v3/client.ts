/**
 * The WeChat Pay API v3 client: the same operations and model results as the v2 client, spoken in
 * v3 JSON with `WECHATPAY2-SHA256-RSA2048` request signatures, over the same connection pools.
 * Every 2xx reply is verified against the WeChat Pay public key and/or the platform
 * certificates, chosen by `Wechatpay-Serial`.
 */
import { createHash } from 'node:crypto';
import type { ResolvedConfig, ResolvedMerchant, ResolvedV3Keys } from '../../config/types.js';
import { SignatureError, TransportError, ValidationError, XmlError, isWxPayKitError } from '../../errors.js';
import type { ClientPayParams } from '../../model/payment.js';
import { mwebPayUrl } from '../../protocol/v2/client-params.js';
import { appPayParamsV3, jsapiPayParamsV3 } from '../../protocol/v3/client-params.js';
import {
  compactToRfc3339,
  parseJsonObject,
  toOrderQueryResult,
  toRefundQueryResult,
  toRefundResult,
  type JsonObject,
} from '../../protocol/v3/fields.js';
import { parseV3Notification, type VerifiedV3Notification } from '../../protocol/v3/notify.js';
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
import { sleep as defaultSleep, withRetries } from '../retry.js';
import type {
  CallOptions,
  CloseOrderInput,
  DownloadBillInput,
  OrderQueryInput,
  OrderQueryResult,
  RefundInput,
  RefundQueryInput,
  RefundQueryResult,
  RefundResult,
  TradeType,
  UnifiedOrderInput,
  UnifiedOrderResult,
} from '../types.js';
import { validateCloseOrder, validateDownloadBill, validateOrderQuery, validateRefund, validateRefundQuery, validateUnifiedOrder } from '../validate.js';
import { configuredMerchant, decodeBill } from '../client.js';
import { MAX_REPLY_BYTES, type Transport } from '../transport.js';
import { errorFromV3Reply, hasV3Code, isV3AutoRetryable } from './errors.js';

/** Largest v3 JSON reply accepted. */
const MAX_JSON_REPLY = 1024 * 1024;

/** The v3 order endpoint of each trade type. */
const ORDER_PATHS: Readonly<Record<TradeType, string>> = { JSAPI: 'jsapi', APP: 'app', MWEB: 'h5', NATIVE: 'native' };

/** Test hooks, as for the v2 client. */
export interface V3ClientOptions {
  readonly sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  readonly random?: (() => number) | undefined;
}

/** The v3 operations, for merchants whose `apiVersion` is `v3`. */
export interface WxPayV3Client {
  unifiedOrder(input: UnifiedOrderInput, options?: CallOptions): Promise<UnifiedOrderResult>;
  queryOrder(input: OrderQueryInput, options?: CallOptions): Promise<OrderQueryResult>;
  closeOrder(input: CloseOrderInput, options?: CallOptions): Promise<void>;
  refund(input: RefundInput, options?: CallOptions): Promise<RefundResult>;
  queryRefund(input: RefundQueryInput, options?: CallOptions): Promise<RefundQueryResult>;
  /** `GET /v3/bill/tradebill`, then the signed download of its `download_url`, checked against its hash. */
  downloadBill(input: DownloadBillInput, options?: CallOptions): Promise<string>;
  /** Verifies and decrypts a v3 notification for `merchant` (see `WxPayClient.verifyV3Notification`). */
  verifyNotification(merchant: string, headers: HeaderBag, body: Uint8Array, options?: CallOptions): Promise<VerifiedV3Notification>;
  /** The keys WeChat's messages to `merchant` are verified with (downloads platform certificates when due). */
  keyring(merchant: string, options?: CallOptions): Promise<V3Keyring>;
  /** Stops the retries in flight. */
  close(): void;
}

type RetryPolicy = 'never' | 'safe';

interface Exchange {
  readonly status: number;
  /** Undefined for an empty (204) body and for files. */
  readonly json: JsonObject | undefined;
  readonly bytes: Buffer;
}

/** The merchant's keys, or a ValidationError when it is not a v3 merchant. */
function v3Keys(merchant: ResolvedMerchant): ResolvedV3Keys {
  if (merchant.apiVersion !== 'v3' || merchant.v3 === undefined) {
    throw new ValidationError('merchant is not configured for API v3', { field: 'merchant' });
  }
  return merchant.v3;
}

/**
 * Creates the v3 client over a shared {@link Transport}. Normally reached through
 * `createWxPayClient`, which sends each call to the v2 or the v3 client by the merchant's
 * `apiVersion`.
 */
export function createWxPayV3Client(config: ResolvedConfig, transport: Transport, options: V3ClientOptions = {}): WxPayV3Client {
  const wait = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const log = config.logger;
  const stores = new Map<string, PlatformCertificateStore>();
  const staticRings = new Map<string, V3Keyring>();
  let closed = false;

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
          log.warn({ merchant: merchant.name, error: isWxPayKitError(error) ? error.code : 'unknown' }, 'platform certificate download failed'),
        download: async (signal) => {
          const reply = await signedExchange(merchant, 'GET', '/v3/certificates', undefined, signal);
          if (reply.statusCode < 200 || reply.statusCode >= 300) throw errorFromV3Reply(reply.statusCode, reply.body, '/v3/certificates');
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

  /** One signed request; answers whatever WeChat answered. */
  async function signedExchange(
    merchant: ResolvedMerchant,
    method: 'GET' | 'POST',
    path: string,
    body: JsonObject | undefined,
    signal: AbortSignal | undefined,
    maxBytes = MAX_JSON_REPLY,
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
    const headers: Record<string, string> = { authorization, accept: 'application/json' };
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

  async function call(
    api: string,
    retry: RetryPolicy,
    merchant: ResolvedMerchant,
    method: 'GET' | 'POST',
    path: string,
    body: JsonObject | undefined,
    signal: AbortSignal | undefined,
    file?: { readonly check: (bytes: Buffer) => void },
  ): Promise<Exchange> {
    const run = {
      api,
      merchant: merchant.name,
      retries: retry === 'safe' ? config.client.retries : 0,
      retryDelayMs: config.client.retryDelayMs,
      isRetryable: isV3AutoRetryable,
      stopped: () => closed,
      signal,
      logger: log,
      wait,
      random,
    };
    return withRetries(run, async () => {
      const reply = await signedExchange(merchant, method, path, body, signal, file ? MAX_REPLY_BYTES : MAX_JSON_REPLY);
      if (reply.statusCode < 200 || reply.statusCode >= 300) throw errorFromV3Reply(reply.statusCode, reply.body, path.replace(/\?.*$/, ''));
      let json: JsonObject | undefined;
      if (file) {
        // A file download (bill) is not signed: its hash, from a verified reply, vouches for it.
        file.check(reply.body);
      } else {
        await verifyReply(merchant, reply.headers, reply.body, signal);
        json = reply.body.length === 0 ? undefined : parseJsonObject(reply.body, `the ${api} reply`);
      }
      return { status: reply.statusCode, json, bytes: reply.body };
    });
  }

  function requireJson(exchange: Exchange, api: string): JsonObject {
    if (exchange.json === undefined) throw new XmlError(`the ${api} reply is empty`);
    return exchange.json;
  }

  function stringField(json: JsonObject, name: string): string {
    const value = json[name];
    if (typeof value !== 'string' || value === '') throw new XmlError(`field '${name}' is missing`);
    return value;
  }

  /** The identity part of a request body: direct merchant or service provider. */
  function identity(merchant: ResolvedMerchant, appId: string): Record<string, unknown> {
    return merchant.subMchId === undefined
      ? { appid: appId, mchid: merchant.mchId }
      : { sp_appid: appId, sp_mchid: merchant.mchId, sub_mchid: merchant.subMchId, ...(merchant.subAppId ? { sub_appid: merchant.subAppId } : {}) };
  }

  /** `?mchid=` or `?sp_mchid=&sub_mchid=` for queries. */
  function mchQuery(merchant: ResolvedMerchant): string {
    return merchant.subMchId === undefined
      ? `mchid=${encodeURIComponent(merchant.mchId)}`
      : `sp_mchid=${encodeURIComponent(merchant.mchId)}&sub_mchid=${encodeURIComponent(merchant.subMchId)}`;
  }

  function transactionsPath(merchant: ResolvedMerchant): string {
    return merchant.subMchId === undefined ? '/v3/pay/transactions' : '/v3/pay/partner/transactions';
  }

  /** v2-style `scene_info` (`{h5_info: {type, wap_url, wap_name}}`) to v3's `scene_info`. */
  function sceneInfo(input: UnifiedOrderInput, normalized: string | undefined): Record<string, unknown> {
    const scene: Record<string, unknown> = { payer_client_ip: input.spbillCreateIp };
    if (input.deviceInfo !== undefined) scene['device_id'] = input.deviceInfo;
    const given = normalized === undefined ? undefined : (JSON.parse(normalized) as Record<string, unknown>);
    const h5 = given?.['h5_info'];
    if (h5 !== null && typeof h5 === 'object') {
      const h = h5 as Record<string, unknown>;
      scene['h5_info'] = {
        type: typeof h['type'] === 'string' ? h['type'] : 'Wap',
        ...(h['app_name'] ?? h['wap_name'] ? { app_name: h['app_name'] ?? h['wap_name'] } : {}),
        ...(h['app_url'] ?? h['wap_url'] ? { app_url: h['app_url'] ?? h['wap_url'] } : {}),
        ...(h['bundle_id'] !== undefined ? { bundle_id: h['bundle_id'] } : {}),
        ...(h['package_name'] !== undefined ? { package_name: h['package_name'] } : {}),
      };
    } else if (input.tradeType === 'MWEB') {
      scene['h5_info'] = { type: 'Wap' };
    }
    const store = given?.['store_info'];
    if (store !== null && typeof store === 'object') scene['store_info'] = store;
    return scene;
  }

  function clientParams(input: UnifiedOrderInput, merchant: ResolvedMerchant, reply: JsonObject): { params: ClientPayParams; prepayId: string } {
    const keys = v3Keys(merchant);
    const timestamp = Math.floor(config.now() / 1000);
    switch (input.tradeType) {
      case 'JSAPI': {
        const prepayId = stringField(reply, 'prepay_id');
        const appId = input.subOpenId !== undefined && merchant.subAppId ? merchant.subAppId : input.appId;
        return { prepayId, params: { tradeType: 'JSAPI', jsapi: jsapiPayParamsV3({ appId, prepayId, privateKey: keys.privateKey, timestamp, nonce: config.nonce() }) } };
      }
      case 'APP': {
        const prepayId = stringField(reply, 'prepay_id');
        const app = appPayParamsV3({
          appId: merchant.subAppId ?? input.appId,
          partnerId: merchant.subMchId ?? merchant.mchId,
          prepayId,
          privateKey: keys.privateKey,
          timestamp,
          nonce: config.nonce(),
        });
        return { prepayId, params: { tradeType: 'APP', app } };
      }
      case 'MWEB':
        return { prepayId: '', params: { tradeType: 'MWEB', mwebUrl: mwebPayUrl(stringField(reply, 'h5_url'), input.redirectUrl) } };
      case 'NATIVE':
        return { prepayId: '', params: { tradeType: 'NATIVE', codeUrl: stringField(reply, 'code_url') } };
    }
  }

  return {
    async unifiedOrder(input, callOptions) {
      const normalized = validateUnifiedOrder(input);
      const merchant = merchantNamed(input.merchant);
      if (input.subOpenId !== undefined && input.subOpenId !== '' && merchant.subAppId === undefined) {
        throw new ValidationError('subOpenId needs a merchant configured with subAppId', { field: 'subOpenId' });
      }
      const payer: Record<string, string> = {};
      if (input.openId) payer[merchant.subMchId === undefined ? 'openid' : 'sp_openid'] = input.openId;
      if (input.subOpenId) payer['sub_openid'] = input.subOpenId;
      const body: Record<string, unknown> = {
        ...identity(merchant, input.appId),
        description: input.body,
        out_trade_no: input.outTradeNo,
        notify_url: input.notifyUrl,
        amount: { total: input.totalFee, currency: input.feeType ?? 'CNY' },
        scene_info: sceneInfo(input, normalized.sceneInfo),
      };
      if (input.tradeType === 'JSAPI') body['payer'] = payer;
      if (normalized.timeExpire !== undefined) body['time_expire'] = compactToRfc3339(normalized.timeExpire);
      if (input.attach !== undefined && input.attach !== '') body['attach'] = input.attach;
      if (input.goodsTag !== undefined) body['goods_tag'] = input.goodsTag;
      if (input.receipt) body['support_fapiao'] = true;
      if (input.profitSharing !== undefined) body['settle_info'] = { profit_sharing: input.profitSharing };
      if (normalized.detail !== undefined) body['detail'] = JSON.parse(normalized.detail);
      const api = `pay/transactions/${ORDER_PATHS[input.tradeType]}`;
      const reply = requireJson(
        await call(api, 'never', merchant, 'POST', `${transactionsPath(merchant)}/${ORDER_PATHS[input.tradeType]}`, body, callOptions?.signal),
        api,
      );
      const { params, prepayId } = clientParams(input, merchant, reply);
      const mwebUrl = typeof reply['h5_url'] === 'string' ? reply['h5_url'] : undefined;
      const result: UnifiedOrderResult = {
        appId: input.appId,
        mchId: merchant.mchId,
        subAppId: merchant.subAppId || undefined,
        subMchId: merchant.subMchId || undefined,
        raw: Object.freeze(reply),
        tradeType: input.tradeType,
        prepayId,
        codeUrl: typeof reply['code_url'] === 'string' ? reply['code_url'] : undefined,
        mwebUrl,
        deviceInfo: input.deviceInfo,
        signType: 'RSA',
        clientParams: params,
      };
      return Object.freeze(result);
    },

    async queryOrder(input, callOptions) {
      validateOrderQuery(input);
      const merchant = merchantNamed(input.merchant);
      const by = input.transactionId
        ? `id/${encodeURIComponent(input.transactionId)}`
        : `out-trade-no/${encodeURIComponent(input.outTradeNo ?? '')}`;
      const api = input.transactionId ? 'pay/transactions/id' : 'pay/transactions/out-trade-no';
      const reply = requireJson(await call(api, 'safe', merchant, 'GET', `${transactionsPath(merchant)}/${by}?${mchQuery(merchant)}`, undefined, callOptions?.signal), api);
      return toOrderQueryResult(reply, { appId: input.appId, mchId: merchant.mchId });
    },

    async closeOrder(input, callOptions) {
      validateCloseOrder(input);
      const merchant = merchantNamed(input.merchant);
      const body = merchant.subMchId === undefined ? { mchid: merchant.mchId } : { sp_mchid: merchant.mchId, sub_mchid: merchant.subMchId };
      try {
        await call('pay/transactions/close', 'safe', merchant, 'POST', `${transactionsPath(merchant)}/out-trade-no/${encodeURIComponent(input.outTradeNo)}/close`, body, callOptions?.signal);
      } catch (error) {
        // Already closed: the goal is reached, as in v2.
        if (hasV3Code(error, 'ORDER_CLOSED')) return;
        throw error;
      }
    },

    async refund(input, callOptions) {
      validateRefund(input);
      const merchant = merchantNamed(input.merchant);
      const body: Record<string, unknown> = {
        ...(merchant.subMchId === undefined ? {} : { sub_mchid: merchant.subMchId }),
        ...(input.transactionId ? { transaction_id: input.transactionId } : { out_trade_no: input.outTradeNo }),
        out_refund_no: input.outRefundNo,
        amount: { refund: input.refundFee, total: input.totalFee, currency: input.refundFeeType ?? 'CNY' },
      };
      if (input.refundDesc !== undefined && input.refundDesc !== '') body['reason'] = input.refundDesc;
      if (input.notifyUrl !== undefined) body['notify_url'] = input.notifyUrl;
      if (input.refundAccount === 'REFUND_SOURCE_RECHARGE_FUNDS') body['funds_account'] = 'AVAILABLE';
      // Same out_refund_no, same refund: safe to repeat (spec §5).
      const reply = requireJson(await call('refund/domestic/refunds', 'safe', merchant, 'POST', '/v3/refund/domestic/refunds', body, callOptions?.signal), 'refund');
      return toRefundResult(reply, { appId: input.appId, mchId: merchant.mchId });
    },

    async queryRefund(input, callOptions) {
      validateRefundQuery(input);
      if (input.outRefundNo === undefined || input.outRefundNo === '') {
        throw new ValidationError('outRefundNo is required: API v3 queries a refund by the merchant refund number', { field: 'outRefundNo' });
      }
      const merchant = merchantNamed(input.merchant);
      const query = merchant.subMchId === undefined ? '' : `?sub_mchid=${encodeURIComponent(merchant.subMchId)}`;
      const reply = requireJson(
        await call('refund/domestic/refunds/{out_refund_no}', 'safe', merchant, 'GET', `/v3/refund/domestic/refunds/${encodeURIComponent(input.outRefundNo)}${query}`, undefined, callOptions?.signal),
        'refund query',
      );
      return toRefundQueryResult(reply, { appId: input.appId, mchId: merchant.mchId });
    },

    async downloadBill(input, callOptions) {
      validateDownloadBill(input);
      if (input.billType === 'RECHARGE_REFUND') throw new ValidationError('billType RECHARGE_REFUND has no API v3 trade bill', { field: 'billType' });
      const merchant = merchantNamed(input.merchant);
      const d = input.billDate;
      let query = `bill_date=${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}&bill_type=${input.billType ?? 'ALL'}`;
      if (input.gzip) query += '&tar_type=GZIP';
      if (merchant.subMchId !== undefined) query += `&sub_mchid=${encodeURIComponent(merchant.subMchId)}`;
      const signal = callOptions?.signal;
      const reply = requireJson(await call('bill/tradebill', 'safe', merchant, 'GET', `/v3/bill/tradebill?${query}`, undefined, signal), 'tradebill');
      const downloadUrl = new URL(stringField(reply, 'download_url'));
      // The Authorization header goes only to the merchant's own API origin.
      if (downloadUrl.origin !== new URL(merchant.baseUrl).origin) throw new XmlError('download_url is not on the WeChat Pay API origin');
      const hashType = typeof reply['hash_type'] === 'string' ? reply['hash_type'].toLowerCase() : 'sha1';
      if (hashType !== 'sha1' && hashType !== 'sha256') throw new XmlError('tradebill names an unknown hash_type');
      const expected = stringField(reply, 'hash_value').toLowerCase();
      const file = await call('bill/download', 'safe', merchant, 'GET', `${downloadUrl.pathname}${downloadUrl.search}`, undefined, signal, {
        check(bytes) {
          if (createHash(hashType).update(bytes).digest('hex') !== expected) {
            throw new TransportError('the downloaded bill does not match its hash_value');
          }
        },
      });
      return decodeBill(file.bytes);
    },

    async verifyNotification(merchantName, headers, body, callOptions) {
      const merchant = merchantNamed(merchantName);
      const keys = v3Keys(merchant);
      const parse = async () =>
        parseV3Notification(headers, body, {
          keyring: await keyring(merchant, callOptions?.signal),
          apiV3Key: keys.apiV3Key,
          now: config.now(),
          maxBytes: config.bodyLimit,
        });
      try {
        return await parse();
      } catch (error) {
        // A serial WeChat just rotated to: download the list from WeChat (at most once a minute,
        // so forged serials cannot make us hammer it) and try once more. When that is not allowed
        // yet, this delivery fails and WeChat's retry finds the new certificate.
        const store = certificateStore(merchant);
        if (!(error instanceof SignatureError) || error.reason !== 'unknown-key' || store === undefined) throw error;
        await store.noticeUnknownSerial();
        return parse();
      }
    },

    async keyring(merchantName, callOptions) {
      return keyring(merchantNamed(merchantName), callOptions?.signal);
    },

    close() {
      closed = true;
    },
  };
}
