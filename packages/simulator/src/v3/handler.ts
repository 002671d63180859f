import { randomBytes } from 'node:crypto';
import * as ids from '../ids.js';
import { acceptRefund, MAX_REFUNDS_PER_ORDER } from '../refunds.js';
import { refreshExpiry, TRADE_STATE_DESC, unpaidFields, type OrderRecord } from '../state.js';
import type { SimulatorMerchant } from '../types.js';
import { merchantAcceptsAppId } from '../merchants.js';
import type { ApiDeps, WireReply } from '../wire.js';
import { verifyRequest, type AuthFailure } from './auth.js';
import { refundObject, transactionObject } from './bodies.js';
import type { WechatpayKeyring } from './keys.js';
import { encryptResource } from './resource.js';
import { parseRfc3339, rfc3339 } from './time.js';

/** The WeChat Pay v3 APIs the simulator serves (direct-merchant variants). */
export type V3Endpoint = 'order' | 'query-by-out-trade-no' | 'query-by-id' | 'close' | 'refund' | 'refund-query' | 'certificates';

/** A `/v3/` request resolved to an API. */
export interface V3Route {
  readonly endpoint: V3Endpoint;
  /** The path with its parameter as a placeholder, e.g. `/v3/pay/transactions/id/{transaction_id}` (fault filters may name it). */
  readonly canonicalPath: string;
  /** The decoded path parameter (order, transaction or refund number), if the path has one. */
  readonly param: string | undefined;
  /** For `order`: `jsapi`, `app`, `h5` or `native`. */
  readonly kind: OrderKind | undefined;
}

type OrderKind = 'jsapi' | 'app' | 'h5' | 'native';

const TRADE_TYPE: Readonly<Record<OrderKind, string>> = { jsapi: 'JSAPI', app: 'APP', h5: 'MWEB', native: 'NATIVE' };

/** True for paths the v3 side answers. */
export function isV3Path(path: string): boolean {
  return path === '/v3' || path.startsWith('/v3/');
}

/** Resolves method and path (relative to the base path, no query) to a v3 API; undefined when there is none. */
export function resolveV3Route(method: string, path: string): V3Route | undefined {
  const route = (endpoint: V3Endpoint, canonicalPath: string, param?: string, kind?: OrderKind): V3Route => ({
    endpoint,
    canonicalPath,
    param: param === undefined ? undefined : decodeURIComponent(param),
    kind,
  });
  let m: RegExpExecArray | null;
  if (method === 'POST' && (m = /^\/v3\/pay\/transactions\/(jsapi|app|h5|native)$/.exec(path))) {
    return route('order', path, undefined, m[1] as OrderKind);
  }
  if (method === 'GET' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/.exec(path))) {
    return route('query-by-out-trade-no', '/v3/pay/transactions/out-trade-no/{out_trade_no}', m[1]);
  }
  if (method === 'GET' && (m = /^\/v3\/pay\/transactions\/id\/([^/]+)$/.exec(path))) {
    return route('query-by-id', '/v3/pay/transactions/id/{transaction_id}', m[1]);
  }
  if (method === 'POST' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/.exec(path))) {
    return route('close', '/v3/pay/transactions/out-trade-no/{out_trade_no}/close', m[1]);
  }
  if (method === 'POST' && path === '/v3/refund/domestic/refunds') return route('refund', path);
  if (method === 'GET' && (m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(path))) {
    return route('refund-query', '/v3/refund/domestic/refunds/{out_refund_no}', m[1]);
  }
  if (method === 'GET' && path === '/v3/certificates') return route('certificates', path);
  return undefined;
}

/** What the v3 handlers need from the simulator. */
export interface V3Deps extends ApiDeps {
  readonly keyring: WechatpayKeyring;
  readonly timestampWindowS: number;
}

/** One v3 call as received. */
export interface V3Request {
  readonly method: string;
  /** Relative to the base path, no query. */
  readonly path: string;
  /** The request target exactly as received (path and query), and relative to the base path: either may be what the client signed. */
  readonly targets: readonly string[];
  readonly query: URLSearchParams;
  readonly authorization: string | undefined;
  readonly body: Uint8Array;
}

type Json = Record<string, unknown>;

/** A reply before signing: a status and a JSON body (none for 204). */
interface Answer {
  readonly status: number;
  readonly body?: Json;
}

const errorAnswer = (status: number, code: string, message: string, detail?: Json): Answer => ({
  status,
  body: detail === undefined ? { code, message } : { code, message, detail },
});

const AUTH_MESSAGES: Readonly<Record<AuthFailure, string>> = {
  malformed: 'Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》',
  'unknown-merchant': '商户号不存在',
  'not-v3': '商户未配置API v3证书',
  'wrong-serial': '商户证书序列号有误。请使用签名私钥匹配的证书序列号',
  'stale-timestamp': '请求时间戳与当前时间相差过大，请检查系统时间',
  'bad-signature': '签名错误，请检查后再试',
};

/** A reply signed like WeChat's: `Request-ID` and the `Wechatpay-*` headers over timestamp, nonce and body (spec v3 §3). */
export function signedAnswer(deps: Pick<V3Deps, 'keyring' | 'clock'>, answer: Answer, merchant: SimulatorMerchant | undefined): WireReply {
  const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
  const headers: Record<string, string> = {
    ...wechatpayHeaders(deps, merchant, body),
    'request-id': randomBytes(16).toString('hex').toUpperCase(),
  };
  if (answer.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
  return { status: answer.status, headers, body };
}

/** `Wechatpay-Timestamp`, `-Nonce`, `-Serial`, `-Signature`, `-Signature-Type` for `body`, signed with the merchant's WeChat Pay key. */
export function wechatpayHeaders(
  deps: Pick<V3Deps, 'keyring' | 'clock'>,
  merchant: SimulatorMerchant | undefined,
  body: string,
  skewS = 0,
): Record<string, string> {
  const timestamp = String(Math.floor(deps.clock.now() / 1000) + skewS);
  const nonce = ids.nonceStr();
  const { serial, signature } = deps.keyring.sign(merchant?.v3?.wechatpayKey ?? 'public-key', `${timestamp}\n${nonce}\n${body}\n`);
  return {
    'wechatpay-timestamp': timestamp,
    'wechatpay-nonce': nonce,
    'wechatpay-serial': serial,
    'wechatpay-signature': signature,
    'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
  };
}

/**
 * Answers one `/v3/` call: route → body size and encoding → `Authorization` (merchant, serial,
 * signature, timestamp window) → injected faults → the API. Never throws.
 */
export function handleV3(deps: V3Deps, route: V3Route | undefined, req: V3Request): WireReply {
  if (!route) return signedAnswer(deps, errorAnswer(404, 'RESOURCE_NOT_EXISTS', `无可用的平台服务：${req.method} ${req.path}`), undefined);
  if (req.body.byteLength > deps.bodyLimit) return signedAnswer(deps, errorAnswer(400, 'PARAM_ERROR', '请求体过大'), undefined);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(req.body);
  } catch {
    return signedAnswer(deps, errorAnswer(400, 'PARAM_ERROR', '请求体不是合法的UTF-8编码'), undefined);
  }
  const auth = verifyRequest({
    header: req.authorization,
    method: req.method,
    urls: req.targets,
    body: text,
    merchants: deps.merchants,
    nowS: Math.floor(deps.clock.now() / 1000),
    windowS: deps.timestampWindowS,
  });
  if (!auth.ok) {
    deps.logger.info({ path: req.path, reason: auth.reason, mchId: auth.merchant?.mchId }, 'refused a v3 call with a wrong signature');
    const detail = auth.info ? { detail: { sign_information: auth.info } } : {};
    return signedAnswer(deps, { status: 401, body: { code: 'SIGN_ERROR', message: AUTH_MESSAGES[auth.reason], ...detail } }, auth.merchant);
  }
  const merchant = auth.merchant;
  if (deps.faults.take('systemerror', req.path, route.canonicalPath).length > 0) {
    return signedAnswer(deps, errorAnswer(500, 'SYSTEM_ERROR', '系统繁忙,请稍后重试'), merchant);
  }
  let answer: Answer;
  try {
    const body = req.method === 'GET' ? {} : parseBody(text);
    answer = HANDLERS[route.endpoint]({ deps, merchant, route, query: req.query, body });
  } catch (cause) {
    if (cause instanceof ParamError) {
      answer = errorAnswer(400, 'PARAM_ERROR', cause.message, {
        field: cause.field,
        value: cause.value,
        issue: cause.issue,
        location: cause.location,
      });
    } else {
      deps.logger.error({ path: req.path, err: cause instanceof Error ? cause.message : String(cause) }, 'simulator failed to handle a v3 call');
      answer = errorAnswer(500, 'SYSTEM_ERROR', '系统错误');
    }
  }
  return signedAnswer(deps, answer, merchant);
}

/** A field that failed validation; answered as 400 `PARAM_ERROR` with `detail`. */
class ParamError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly issue: string,
    readonly location: 'body' | 'query' | 'path' = 'body',
  ) {
    super(`输入源“/${location}/${field}”校验失败：${issue}`);
  }
}

function parseBody(text: string): Json {
  if (text.trim() === '') throw new ParamError('', '', '请求体为空');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ParamError('', '', '请求体不是合法的JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ParamError('', '', '请求体必须是JSON对象');
  return value as Json;
}

interface StringRule {
  readonly required?: boolean;
  readonly max?: number;
  readonly pattern?: RegExp;
  readonly oneOf?: readonly string[];
  readonly test?: (value: string) => boolean;
}

/** Reads members of a JSON object by path, throwing {@link ParamError} on the first bad one. */
class Reader {
  constructor(private readonly root: Json) {}

  private at(path: string): unknown {
    let v: unknown = this.root;
    for (const part of path.split('/')) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
      v = (v as Json)[part];
    }
    return v;
  }

  string(path: string, rule: StringRule = {}): string | undefined {
    const v = this.at(path);
    if (v === undefined || v === null) {
      if (rule.required) throw new ParamError(path, null, '字段缺失');
      return undefined;
    }
    if (typeof v !== 'string') throw new ParamError(path, v, '字段类型应为字符串');
    if (rule.required && v === '') throw new ParamError(path, v, '字段不能为空');
    if (rule.max !== undefined && [...v].length > rule.max) throw new ParamError(path, v, `长度超过${rule.max}`);
    if (v !== '' && rule.pattern && !rule.pattern.test(v)) throw new ParamError(path, v, '格式错误');
    if (rule.oneOf && !rule.oneOf.includes(v)) throw new ParamError(path, v, `应为${rule.oneOf.join('、')}之一`);
    if (v !== '' && rule.test && !rule.test(v)) throw new ParamError(path, v, '格式错误');
    return v;
  }

  int(path: string, required: boolean): number | undefined {
    const v = this.at(path);
    if (v === undefined || v === null) {
      if (required) throw new ParamError(path, null, '字段缺失');
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ParamError(path, v, '字段类型应为整数');
    if (v < 1) throw new ParamError(path, v, '值低于最小值 1');
    return v;
  }

  object(path: string, required: boolean): Json | undefined {
    const v = this.at(path);
    if (v === undefined || v === null) {
      if (required) throw new ParamError(path, null, '字段缺失');
      return undefined;
    }
    if (typeof v !== 'object' || Array.isArray(v)) throw new ParamError(path, v, '字段类型应为对象');
    return v as Json;
  }
}

const OUT_NO = /^[A-Za-z0-9_\-|*@]+$/;

function isNotifyUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && !value.includes('?');
}

interface Call {
  readonly deps: V3Deps;
  readonly merchant: SimulatorMerchant;
  readonly route: V3Route;
  readonly query: URLSearchParams;
  readonly body: Json;
}

const isPaid = (order: OrderRecord): boolean => order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND';

/** Canonical JSON of a request body: what makes a re-submitted order "the same order". */
function fingerprint(value: unknown): string {
  const sort = (v: unknown): unknown =>
    v !== null && typeof v === 'object'
      ? Array.isArray(v)
        ? v.map(sort)
        : Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Json)[k])]),
          )
      : v;
  return JSON.stringify(sort(value));
}

function createOrder({ deps, merchant, route, body }: Call): Answer {
  const kind = route.kind!;
  const r = new Reader(body);
  const appId = r.string('appid', { required: true, max: 32 })!;
  const mchId = r.string('mchid', { required: true, max: 32 })!;
  const description = r.string('description', { required: true, max: 127 })!;
  const outTradeNo = r.string('out_trade_no', { required: true, max: 32, pattern: OUT_NO })!;
  const timeExpire = r.string('time_expire', { test: (v) => parseRfc3339(v) !== undefined });
  const attach = r.string('attach', { max: 128 });
  const notifyUrl = r.string('notify_url', { required: true, max: 255, test: isNotifyUrl })!;
  r.string('goods_tag', { max: 32 });
  r.object('amount', true);
  const total = r.int('amount/total', true)!;
  const currency = r.string('amount/currency', { oneOf: ['CNY'] }) ?? 'CNY';
  const openId = r.string('payer/openid', { required: kind === 'jsapi', max: 128 });
  const scene = r.object('scene_info', kind === 'h5');
  if (kind === 'h5') {
    r.string('scene_info/payer_client_ip', { required: true, max: 45 });
    r.object('scene_info/h5_info', true);
    r.string('scene_info/h5_info/type', { required: true, oneOf: ['iOS', 'Android', 'Wap'] });
  }
  const deviceId = r.string('scene_info/device_id', { max: 32 });
  if (mchId !== merchant.mchId) throw new ParamError('mchid', mchId, '与请求头Authorization中的商户号不一致');
  if (!merchantAcceptsAppId(merchant, appId)) return errorAnswer(400, 'APPID_MCHID_NOT_MATCH', 'AppID和mch_id不匹配');
  const now = deps.clock.now();
  const expiresAt = timeExpire === undefined ? undefined : parseRfc3339(timeExpire);
  if (expiresAt !== undefined && expiresAt - now < 60_000) throw new ParamError('time_expire', timeExpire, '订单失效时间过短');

  const existing = deps.state.order('production', merchant.mchId, outTradeNo);
  if (existing) {
    refreshExpiry(existing, now);
    if (isPaid(existing)) return errorAnswer(400, 'INVALID_REQUEST', '该订单已支付');
    if (existing.tradeState === 'CLOSED') return errorAnswer(400, 'ORDER_CLOSED', '订单已关闭');
    if (existing.fingerprint !== `v3/${kind}:${fingerprint(body)}`) return errorAnswer(403, 'OUT_TRADE_NO_USED', '商户订单号重复');
    return { status: 200, body: prepayBody(existing) };
  }
  const tradeType = TRADE_TYPE[kind];
  const prepay = ids.prepayId(now);
  const order: OrderRecord = {
    environment: 'production',
    apiVersion: 'v3',
    mchId: merchant.mchId,
    appId,
    subMchId: undefined,
    subAppId: undefined,
    outTradeNo,
    tradeType,
    tradeState: 'NOTPAY',
    tradeStateDesc: TRADE_STATE_DESC.NOTPAY,
    body: description,
    attach: attach || undefined,
    deviceInfo: deviceId || undefined,
    totalFee: total,
    feeType: currency,
    notifyUrl,
    productId: undefined,
    sceneInfo: scene === undefined ? undefined : JSON.stringify(scene),
    signType: 'MD5',
    prepayId: prepay,
    codeUrl: tradeType === 'NATIVE' ? ids.codeUrl() : undefined,
    mwebUrl: tradeType === 'MWEB' ? ids.mwebUrl(prepay) : undefined,
    createdAt: now,
    expiresAt,
    openId: openId || undefined,
    subOpenId: undefined,
    ...unpaidFields(),
    fingerprint: `v3/${kind}:${fingerprint(body)}`,
  };
  deps.state.addOrder(order);
  deps.logger.info({ mchId: order.mchId, outTradeNo, tradeType, apiVersion: 'v3' }, 'order created');
  return { status: 200, body: prepayBody(order) };
}

function prepayBody(order: OrderRecord): Json {
  if (order.tradeType === 'NATIVE') return { code_url: order.codeUrl };
  if (order.tradeType === 'MWEB') return { h5_url: order.mwebUrl };
  return { prepay_id: order.prepayId };
}

/** The `mchid` of a query string, which must be the caller's. */
function queryMchId({ merchant, query }: Call): void {
  const mchId = query.get('mchid');
  if (!mchId) throw new ParamError('mchid', null, '字段缺失', 'query');
  if (mchId !== merchant.mchId) throw new ParamError('mchid', mchId, '与请求头Authorization中的商户号不一致', 'query');
}

const ORDER_NOT_EXIST = (): Answer => errorAnswer(404, 'ORDER_NOT_EXIST', '订单不存在');

function queryOrder(call: Call): Answer {
  queryMchId(call);
  const { deps, merchant, route } = call;
  const lookup = route.endpoint === 'query-by-id' ? { transactionId: route.param } : { outTradeNo: route.param };
  const order = deps.state.findOrder('production', merchant.mchId, lookup);
  if (!order) return ORDER_NOT_EXIST();
  refreshExpiry(order, deps.clock.now());
  return { status: 200, body: transactionObject(order) };
}

function closeOrder({ deps, merchant, route, body }: Call): Answer {
  const mchId = new Reader(body).string('mchid', { required: true, max: 32 })!;
  if (mchId !== merchant.mchId) throw new ParamError('mchid', mchId, '与请求头Authorization中的商户号不一致');
  const order = deps.state.order('production', merchant.mchId, route.param!);
  if (!order) return ORDER_NOT_EXIST();
  refreshExpiry(order, deps.clock.now());
  if (isPaid(order)) return errorAnswer(400, 'INVALID_REQUEST', '订单已支付，不能发起关单');
  if (order.tradeState !== 'CLOSED') {
    order.tradeState = 'CLOSED';
    order.tradeStateDesc = TRADE_STATE_DESC.CLOSED;
    deps.logger.info({ mchId: order.mchId, outTradeNo: order.outTradeNo }, 'order closed');
  }
  return { status: 204 };
}

function refund({ deps, merchant, body }: Call): Answer {
  const r = new Reader(body);
  const transactionId = r.string('transaction_id', { max: 32 });
  const outTradeNo = r.string('out_trade_no', { max: 32 });
  if (!transactionId && !outTradeNo) throw new ParamError('out_trade_no', null, 'transaction_id和out_trade_no必须二选一');
  const outRefundNo = r.string('out_refund_no', { required: true, max: 64, pattern: OUT_NO })!;
  const reason = r.string('reason', { max: 80 });
  const notifyUrl = r.string('notify_url', { max: 256, test: isNotifyUrl });
  const fundsAccount = r.string('funds_account', { oneOf: ['AVAILABLE', 'UNSETTLED'] });
  r.object('amount', true);
  const refundFee = r.int('amount/refund', true)!;
  const total = r.int('amount/total', true)!;
  const currency = r.string('amount/currency', { required: true, oneOf: ['CNY'] })!;

  const order = deps.state.findOrder('production', merchant.mchId, { transactionId, outTradeNo });
  if (order) refreshExpiry(order, deps.clock.now());
  if (!order || !isPaid(order)) return errorAnswer(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
  const existing = deps.state.refund('production', merchant.mchId, outRefundNo);
  if (existing) {
    if (existing.outTradeNo !== order.outTradeNo || existing.refundFee !== refundFee || existing.totalFee !== total) {
      return errorAnswer(400, 'INVALID_REQUEST', '订单金额或退款金额与之前请求不一致，请核实后再试');
    }
    return { status: 200, body: refundObject(existing, order) };
  }
  if (total !== order.totalFee) return errorAnswer(400, 'INVALID_REQUEST', '订单金额与实际支付金额不一致，请核实后再试');
  if (refundFee > order.totalFee) return errorAnswer(400, 'INVALID_REQUEST', '退款金额大于支付金额');
  if (order.refundedFee + refundFee > order.totalFee) return errorAnswer(403, 'NOT_ENOUGH', '订单可退金额不足');
  if (order.refunds.length >= MAX_REFUNDS_PER_ORDER) return errorAnswer(403, 'RULE_LIMIT', '退款次数超过限制');

  const record = acceptRefund(deps.state, deps.clock.now(), order, {
    outRefundNo,
    refundFee,
    refundFeeType: currency,
    refundDesc: reason || undefined,
    refundAccount: fundsAccount === 'AVAILABLE' ? 'REFUND_SOURCE_RECHARGE_FUNDS' : 'REFUND_SOURCE_UNSETTLED_FUNDS',
    notifyUrl: notifyUrl || merchant.refundNotifyUrl,
    signType: 'MD5',
    fingerprint: fingerprint(body),
    apiVersion: 'v3',
    source: 'api',
  });
  deps.logger.info({ mchId: order.mchId, outTradeNo: order.outTradeNo, outRefundNo, refundFee, apiVersion: 'v3' }, 'refund accepted');
  const reply = refundObject(record, order);
  if (deps.refundMode() === 'auto') deps.completeRefund(record);
  return { status: 200, body: reply };
}

function refundQuery({ deps, merchant, route }: Call): Answer {
  const found = deps.state.refund('production', merchant.mchId, route.param!);
  const order = found && deps.state.order('production', merchant.mchId, found.outTradeNo);
  if (!found || !order) return errorAnswer(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
  return { status: 200, body: refundObject(found, order) };
}

function certificates({ deps, merchant }: Call): Answer {
  const data = deps.keyring.certificates().map((c) => ({
    serial_no: c.serialNo,
    effective_time: rfc3339(c.notBefore),
    expire_time: rfc3339(c.notAfter),
    encrypt_certificate: encryptResource(c.pem, merchant.v3!.apiV3Key, 'certificate'),
  }));
  return { status: 200, body: { data } };
}

const HANDLERS: Readonly<Record<V3Endpoint, (call: Call) => Answer>> = {
  order: createOrder,
  'query-by-out-trade-no': queryOrder,
  'query-by-id': queryOrder,
  close: closeOrder,
  refund,
  'refund-query': refundQuery,
  certificates,
};
