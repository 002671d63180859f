import { gunzipSync } from 'node:zlib';
import type { ResolvedConfig, ResolvedMerchant } from '../config/types.js';
import { SignatureError, TransportError, ValidationError, WxPayError, XmlError } from '../errors.js';
import { appPayParams, jsapiPayParams, mwebPayUrl, type ClientPayParams } from '../protocol/v2/client-params.js';
import {
  optionalText,
  replyBase,
  requiredText,
  toOrderQueryResult,
  toRefundQueryResult,
  toRefundResult,
} from '../protocol/v2/fields.js';
import { sign, verifySign, type SignType } from '../protocol/v2/sign.js';
import { buildXml, parseXml, type XmlRecord, type XmlValue } from '../protocol/v2/xml.js';
import { isAutoRetryable, sleep as defaultSleep, withRetries } from './retry.js';
import { MAX_REPLY_BYTES, Transport, endpointOf, type Endpoint } from './transport.js';
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
  SandboxSignKeyInput,
  TradeType,
  UnifiedOrderInput,
  UnifiedOrderResult,
  WxPayClient,
} from './types.js';
import {
  validateCloseOrder,
  validateDownloadBill,
  validateOrderQuery,
  validateRefund,
  validateRefundQuery,
  validateUnifiedOrder,
} from './validate.js';
import { DEFAULT_BASE_URL } from '../config/schema.js';
import { withV3 } from './v3/dispatch.js';

/** Test hooks of {@link createWxPayClient}. */
export interface CreateWxPayClientOptions {
  /** Waits between retries; default a real timer. Inject one to test retries without waiting. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1); default `Math.random`. */
  readonly random?: () => number;
}

/**
 * Which calls repeat themselves on `SYSTEMERROR` / `BIZERR_NEED_RETRY` or a transport failure:
 * - `unifiedorder`: never. A repeat after an unknown outcome could meet changed parameters
 *   (`OUT_TRADE_NO_USED`); the caller decides, and `orderquery` tells what happened.
 * - `refund`: yes. WeChat documents that the same `out_refund_no` is the same refund, and asks for
 *   a retry with identical parameters on `SYSTEMERROR` and `BIZERR_NEED_RETRY` (spec §4.1, §5.4).
 * - `orderquery`, `refundquery`, `closeorder` (`ORDERCLOSED` counts as success), `downloadbill`,
 *   `getsignkey`: yes, they are safe to repeat.
 */
type RetryPolicy = 'never' | 'safe';

/** Largest XML reply accepted. */
const MAX_XML_REPLY = 1024 * 1024;

interface CallSpec {
  readonly api: string;
  readonly retry: RetryPolicy;
  /** `/secapi/...` calls present the merchant certificate (not in the sandbox). */
  readonly mtls?: boolean;
  /** Whether the reply is XML (false for a successful bill download). */
  readonly text?: boolean;
}

/** The parameters every v2 call adds to its own: merchant ids, nonce, algorithm. */
interface WireExtras {
  readonly mch_id: string;
  readonly sub_mch_id: string | undefined;
  readonly sub_appid: string | undefined;
  readonly nonce_str: string;
  readonly sign_type: string | undefined;
}

const EXTRA_NAMES: readonly (keyof WireExtras)[] = ['mch_id', 'sub_mch_id', 'sub_appid', 'nonce_str', 'sign_type'];

/** One API's parameter names, as its call passes them and in byte order with {@link EXTRA_NAMES} merged in. */
interface WireLayout {
  readonly source: readonly string[];
  readonly sorted: readonly string[];
  /** Per `sorted` name: taken from the extras (which win over a field of the same name). */
  readonly extra: readonly boolean[];
}

/** Layouts by API name; each API passes one fixed field list, so this holds one entry per API. */
const layouts = new Map<string, WireLayout>();

function layoutOf(api: string, fields: Readonly<Record<string, XmlValue>>): WireLayout {
  const source = Object.keys(fields);
  const known = layouts.get(api);
  if (known !== undefined && known.source.length === source.length && known.source.every((name, i) => name === source[i])) return known;
  const sorted = [...new Set([...source, ...EXTRA_NAMES])].sort();
  const extra = sorted.map((name) => (EXTRA_NAMES as readonly string[]).includes(name));
  const layout: WireLayout = { source, sorted, extra };
  if (layouts.size >= 256) layouts.clear();
  layouts.set(api, layout);
  return layout;
}

/**
 * The request parameters: the call's fields and the extras, without absent or empty values, in
 * byte order of their names. Signing sorts the names again, which costs little on a sorted list.
 */
function wireFields(api: string, fields: Readonly<Record<string, XmlValue>>, extras: WireExtras): Record<string, XmlValue> {
  const { sorted, extra } = layoutOf(api, fields);
  const wire: Record<string, XmlValue> = {};
  for (let i = 0; i < sorted.length; i++) {
    const name = sorted[i]!;
    const value = extra[i] ? extras[name as keyof WireExtras] : fields[name];
    if (value !== undefined && value !== null && value !== '') wire[name] = value;
  }
  return wire;
}

/**
 * Creates the WeChat Pay API v2 client for a resolved configuration. Calls go to each merchant's
 * `baseUrl` (`/sandboxnew/...` for sandbox merchants), signed with its key and algorithm;
 * service-provider `sub_mch_id` / `sub_appid` are added when configured.
 *
 * @example
 * const client = createWxPayClient(resolveConfig(options));
 * const order = await client.unifiedOrder({ merchant: 'main', appId: 'wx…', tradeType: 'NATIVE', … });
 * order.clientParams; // { tradeType: 'NATIVE', codeUrl: 'weixin://…' }
 * await client.close();
 */
export function createWxPayClient(config: ResolvedConfig, options: CreateWxPayClientOptions = {}): WxPayClient {
  const transport = new Transport(config.client);
  const wait = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const log = config.logger;
  const sandboxKeys = new Map<string, Promise<string>>();
  let closed = false;

  const merchantNamed = (name: string): ResolvedMerchant => configuredMerchant(config, name);

  /** Endpoints parsed once per base URL and path (a handful per merchant). */
  const endpoints = new Map<string, Map<string, Endpoint>>();
  function urlFor(baseUrl: string, path: string): Endpoint {
    let byPath = endpoints.get(baseUrl);
    if (byPath === undefined) {
      if (endpoints.size >= 256) endpoints.clear();
      endpoints.set(baseUrl, (byPath = new Map()));
    }
    let found = byPath.get(path);
    if (found === undefined) {
      found = endpointOf(new URL(`${baseUrl.replace(/\/+$/, '')}${path}`));
      if (byPath.size >= 256) byPath.clear();
      byPath.set(path, found);
    }
    return found;
  }

  function withRetry<T>(spec: CallSpec, merchant: string, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
    return withRetries(
      {
        api: spec.api,
        merchant,
        retries: spec.retry === 'safe' ? config.client.retries : 0,
        retryDelayMs: config.client.retryDelayMs,
        isRetryable: isAutoRetryable,
        stopped: () => closed,
        signal,
        logger: log,
        wait,
        random,
      },
      attempt,
    );
  }

  async function keyFor(merchant: ResolvedMerchant, signal?: AbortSignal): Promise<string> {
    if (!merchant.sandbox) return merchant.apiKey;
    if (merchant.sandboxKey !== undefined) return merchant.sandboxKey;
    let pending = sandboxKeys.get(merchant.name);
    if (pending === undefined) {
      pending = getSandboxSignKey({ mchId: merchant.mchId, apiKey: merchant.apiKey, baseUrl: merchant.baseUrl }, { signal });
      sandboxKeys.set(merchant.name, pending);
      pending.catch(() => sandboxKeys.delete(merchant.name));
    }
    return pending;
  }

  function signTypeOf(merchant: ResolvedMerchant): SignType {
    return merchant.sandbox ? 'MD5' : merchant.signType;
  }

  /** Checks the two reply layers and the signature (spec §4). */
  function checkReply(record: XmlRecord, key: string): XmlRecord {
    if (record['return_code'] !== 'SUCCESS') {
      throw new WxPayError({
        layer: 'return',
        errCode: record['error_code'] || record['return_code'] || 'FAIL',
        returnMsg: record['return_msg'],
      });
    }
    if (record['sign'] !== undefined && record['sign'] !== '' && !verifySign(record, key)) {
      throw new SignatureError('mismatch', 'the reply signature does not match the merchant key');
    }
    if (record['result_code'] !== undefined && record['result_code'] !== 'SUCCESS') {
      throw new WxPayError({
        layer: 'result',
        errCode: record['err_code'] || 'FAIL',
        errCodeDes: record['err_code_des'],
      });
    }
    return record;
  }

  function parseReply(body: Buffer): XmlRecord {
    return parseXml(body, { maxBytes: MAX_XML_REPLY });
  }

  /** One signed exchange: build, sign, POST, parse, check; retried per `spec`. */
  async function call(
    spec: CallSpec,
    merchantName: string,
    path: string,
    fields: Readonly<Record<string, XmlValue>>,
    callOptions: CallOptions | undefined,
  ): Promise<{ record: XmlRecord; merchant: ResolvedMerchant; key: string; text?: string }> {
    const merchant = merchantNamed(merchantName);
    const signal = callOptions?.signal;
    const mtls = spec.mtls === true && !merchant.sandbox;
    if (mtls && merchant.cert === undefined) {
      throw new ValidationError('merchant has no certificate; refunds need the merchant API certificate', { field: 'merchant' });
    }
    const apiPath = merchant.sandbox ? `/sandboxnew${path.replace(/^\/secapi/, '')}` : path;
    const url = urlFor(merchant.baseUrl, apiPath);
    return withRetry(spec, merchant.name, signal, async () => {
      const key = merchant.sandbox ? await keyFor(merchant, signal) : merchant.apiKey;
      const signType = signTypeOf(merchant);
      const wire = wireFields(spec.api, fields, {
        mch_id: merchant.mchId,
        sub_mch_id: merchant.subMchId,
        sub_appid: merchant.subAppId,
        nonce_str: config.nonce(),
        sign_type: signType === 'HMAC-SHA256' ? 'HMAC-SHA256' : undefined,
      });
      wire['sign'] = sign(wire, key, signType);
      const reply = await transport.post(url, buildXml(wire), {
        mtls: mtls ? merchant : undefined,
        signal,
        timeoutMs: config.client.timeoutMs,
        maxBytes: spec.text ? MAX_REPLY_BYTES : MAX_XML_REPLY,
      });
      if (spec.text && !looksLikeXml(reply.body)) {
        return { record: Object.create(null) as XmlRecord, merchant, key, text: decodeBill(reply.body) };
      }
      return { record: checkReply(parseReply(reply.body), key), merchant, key };
    });
  }

  async function getSandboxSignKey(input: SandboxSignKeyInput, callOptions?: CallOptions): Promise<string> {
    if (typeof input.mchId !== 'string' || input.mchId === '') throw new ValidationError('mchId is required', { field: 'mchId' });
    if (typeof input.apiKey !== 'string' || input.apiKey.length !== 32) {
      throw new ValidationError('apiKey must be 32 characters', { field: 'apiKey' });
    }
    const url = urlFor(input.baseUrl ?? DEFAULT_BASE_URL, '/sandboxnew/pay/getsignkey');
    const spec: CallSpec = { api: 'sandboxnew/pay/getsignkey', retry: 'safe' };
    return withRetry(spec, input.mchId, callOptions?.signal, async () => {
      const wire: Record<string, XmlValue> = { mch_id: input.mchId, nonce_str: config.nonce() };
      wire['sign'] = sign(wire, input.apiKey, 'MD5');
      const reply = await transport.post(url, buildXml(wire), {
        signal: callOptions?.signal,
        timeoutMs: config.client.timeoutMs,
        maxBytes: MAX_XML_REPLY,
      });
      const record = parseReply(reply.body);
      if (record['return_code'] !== 'SUCCESS') {
        throw new WxPayError({ layer: 'return', errCode: record['return_code'] || 'FAIL', returnMsg: record['return_msg'] });
      }
      // The reply, if signed at all, is signed with the key being fetched: nothing to check it against yet.
      return requiredText(record, 'sandbox_signkey');
    });
  }

  function clientParams(
    input: UnifiedOrderInput,
    merchant: ResolvedMerchant,
    key: string,
    record: XmlRecord,
    tradeType: TradeType,
  ): ClientPayParams {
    const prepayId = requiredText(record, 'prepay_id');
    // Only JSAPI and APP payments are signed for the payer's side (a timestamp and a nonce of their own).
    const signed = (appId: string, partnerId: string) => ({
      appId,
      partnerId,
      prepayId,
      apiKey: key,
      signType: signTypeOf(merchant),
      timestamp: Math.floor(config.now() / 1000),
      nonce: config.nonce(),
    });
    switch (tradeType) {
      case 'JSAPI':
        // SP mode: the page runs in the sub-merchant's app when the order named a sub_openid (spec §6.2).
        return {
          tradeType,
          jsapi: jsapiPayParams(signed(input.subOpenId !== undefined && merchant.subAppId ? merchant.subAppId : input.appId, '')),
        };
      case 'APP':
        return {
          tradeType,
          app: appPayParams(signed(merchant.subAppId ?? input.appId, merchant.subMchId ?? merchant.mchId)),
        };
      case 'MWEB':
        return { tradeType, mwebUrl: mwebPayUrl(requiredText(record, 'mweb_url'), input.redirectUrl) };
      case 'NATIVE':
        return { tradeType, codeUrl: requiredText(record, 'code_url') };
    }
  }

  const client: WxPayClient = {
    async unifiedOrder(input, callOptions) {
      const normalized = validateUnifiedOrder(input);
      if (input.subOpenId !== undefined && input.subOpenId !== '' && merchantNamed(input.merchant).subAppId === undefined) {
        // spec §9: a sub_openid is the user under sub_appid, so the merchant must name one.
        throw new ValidationError('subOpenId needs a merchant configured with subAppId', { field: 'subOpenId' });
      }
      const { record, merchant, key } = await call(
        { api: 'pay/unifiedorder', retry: 'never' },
        input.merchant,
        '/pay/unifiedorder',
        {
          appid: input.appId,
          device_info: input.deviceInfo,
          body: input.body,
          detail: normalized.detail,
          attach: input.attach,
          out_trade_no: input.outTradeNo,
          fee_type: input.feeType,
          total_fee: input.totalFee,
          spbill_create_ip: input.spbillCreateIp,
          time_start: normalized.timeStart,
          time_expire: normalized.timeExpire,
          goods_tag: input.goodsTag,
          notify_url: input.notifyUrl,
          trade_type: input.tradeType,
          product_id: input.productId,
          limit_pay: input.limitPay,
          openid: input.openId,
          sub_openid: input.subOpenId,
          receipt: input.receipt === undefined ? undefined : input.receipt ? 'Y' : undefined,
          scene_info: normalized.sceneInfo,
          profit_sharing: input.profitSharing === undefined ? undefined : input.profitSharing ? 'Y' : 'N',
        },
        callOptions,
      );
      const tradeType = (optionalText(record, 'trade_type') ?? input.tradeType) as TradeType;
      if (tradeType !== input.tradeType) throw new XmlError(`reply names trade type ${tradeType}, not ${input.tradeType}`);
      // Object.assign, not a spread followed by more properties: V8 defines each of those one by one
      // through the runtime (about 1 µs a property).
      const result: UnifiedOrderResult = Object.assign(replyBase(record), {
        tradeType,
        prepayId: requiredText(record, 'prepay_id'),
        codeUrl: optionalText(record, 'code_url'),
        mwebUrl: optionalText(record, 'mweb_url'),
        deviceInfo: optionalText(record, 'device_info'),
        signType: signTypeOf(merchant),
        clientParams: clientParams(input, merchant, key, record, tradeType),
      });
      return Object.freeze(result);
    },

    async queryOrder(input: OrderQueryInput, callOptions): Promise<OrderQueryResult> {
      validateOrderQuery(input);
      const { record } = await call(
        { api: 'pay/orderquery', retry: 'safe' },
        input.merchant,
        '/pay/orderquery',
        { appid: input.appId, transaction_id: input.transactionId, out_trade_no: input.outTradeNo },
        callOptions,
      );
      return toOrderQueryResult(record);
    },

    async closeOrder(input: CloseOrderInput, callOptions): Promise<void> {
      validateCloseOrder(input);
      try {
        await call(
          { api: 'pay/closeorder', retry: 'safe' },
          input.merchant,
          '/pay/closeorder',
          { appid: input.appId, out_trade_no: input.outTradeNo },
          callOptions,
        );
      } catch (error) {
        // Already closed: the goal is reached (spec §5.3). A retried close may see this too.
        if (error instanceof WxPayError && error.layer === 'result' && error.errCode === 'ORDERCLOSED') return;
        throw error;
      }
    },

    async refund(input: RefundInput, callOptions): Promise<RefundResult> {
      validateRefund(input);
      const { record } = await call(
        { api: 'secapi/pay/refund', retry: 'safe', mtls: true },
        input.merchant,
        '/secapi/pay/refund',
        {
          appid: input.appId,
          transaction_id: input.transactionId,
          out_trade_no: input.outTradeNo,
          out_refund_no: input.outRefundNo,
          total_fee: input.totalFee,
          refund_fee: input.refundFee,
          refund_fee_type: input.refundFeeType,
          refund_desc: input.refundDesc,
          refund_account: input.refundAccount,
          notify_url: input.notifyUrl,
        },
        callOptions,
      );
      return toRefundResult(record);
    },

    async queryRefund(input: RefundQueryInput, callOptions): Promise<RefundQueryResult> {
      validateRefundQuery(input);
      const { record } = await call(
        { api: 'pay/refundquery', retry: 'safe' },
        input.merchant,
        '/pay/refundquery',
        {
          appid: input.appId,
          refund_id: input.refundId,
          out_refund_no: input.outRefundNo,
          transaction_id: input.transactionId,
          out_trade_no: input.outTradeNo,
          offset: input.offset,
        },
        callOptions,
      );
      return toRefundQueryResult(record);
    },

    async downloadBill(input: DownloadBillInput, callOptions): Promise<string> {
      validateDownloadBill(input);
      const { text } = await call(
        { api: 'pay/downloadbill', retry: 'safe', text: true },
        input.merchant,
        '/pay/downloadbill',
        {
          appid: input.appId,
          bill_date: input.billDate,
          bill_type: input.billType ?? 'ALL',
          tar_type: input.gzip ? 'GZIP' : undefined,
        },
        callOptions,
      );
      // An XML reply that passed the checks is not a bill: WeChat only answers XML on failure.
      if (text === undefined) throw new XmlError('downloadbill answered XML instead of a bill');
      return text;
    },

    getSandboxSignKey,

    async signKey(merchant, callOptions) {
      return keyFor(merchantNamed(merchant), callOptions?.signal);
    },

    async close() {
      closed = true;
      await transport.close();
    },
  };
  return withV3(Object.freeze(client), config, transport, options);
}

/** The merchant a call names, or a ValidationError (field `merchant`) when none is configured by that name. */
export function configuredMerchant(config: ResolvedConfig, name: string): ResolvedMerchant {
  const merchant = typeof name === 'string' ? config.merchant(name) : undefined;
  if (merchant === undefined) throw new ValidationError('merchant names no configured merchant', { field: 'merchant' });
  return merchant;
}

/** A bill reply is text or gzip; a failure is XML (`<xml>…`). */
function looksLikeXml(body: Buffer): boolean {
  const start = body.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return start.startsWith('<xml') || start.startsWith('<?xml');
}

/** Bill text: gunzipped when gzip, UTF-8, without a BOM. */
export function decodeBill(body: Buffer): string {
  let bytes = body;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: 256 * 1024 * 1024 });
    } catch (cause) {
      throw new TransportError('the bill could not be decompressed', { cause });
    }
  }
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}
