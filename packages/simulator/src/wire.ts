import { isIP } from 'node:net';
import { gzipSync } from 'node:zlib';
import { type Logger, type SignType } from '@wxpay-kit/core';
import { parseXml, safeEqual, sign, type XmlRecord } from '@wxpay-kit/core/protocol';
import { tradeBill, type BillType } from './bill.js';
import type { SimulatorClock } from './clock.js';
import type { FaultList } from './faults.js';
import * as ids from './ids.js';
import { paymentFields } from './notification-bodies.js';
import { acceptRefund, MAX_REFUNDS_PER_ORDER } from './refunds.js';
import { refreshExpiry, TRADE_STATE_DESC, unpaidFields, type OrderRecord, type RefundRecord, type SimState } from './state.js';
import type { RefundMode, SimEnvironment, SimulatorMerchant } from './types.js';
import { merchantAcceptsAppId } from './merchants.js';
import { wechatXml } from './wechat-xml.js';

/** The WeChat Pay v2 APIs the simulator serves. */
export type Endpoint = 'unifiedorder' | 'orderquery' | 'closeorder' | 'refund' | 'refundquery' | 'downloadbill' | 'getsignkey';

/** A request path resolved to an API. */
export interface WireRoute {
  readonly endpoint: Endpoint;
  readonly environment: SimEnvironment;
  /** The production path of the API, e.g. `/pay/unifiedorder` (fault filters may name either form). */
  readonly canonicalPath: string;
  /** `/secapi/...` paths need the merchant's client certificate (spec §1.3). */
  readonly needsCert: boolean;
}

const PRODUCTION_PATHS: Readonly<Record<string, Endpoint>> = {
  '/pay/unifiedorder': 'unifiedorder',
  '/pay/orderquery': 'orderquery',
  '/pay/closeorder': 'closeorder',
  '/secapi/pay/refund': 'refund',
  '/pay/refundquery': 'refundquery',
  '/pay/downloadbill': 'downloadbill',
};

/** The sandbox serves the same APIs under `/sandboxnew`, its refund also as `/pay/refund` (spec §3). */
const SANDBOX_PATHS: Readonly<Record<string, Endpoint>> = {
  ...PRODUCTION_PATHS,
  '/pay/refund': 'refund',
  '/pay/getsignkey': 'getsignkey',
};

const CANONICAL: Readonly<Record<Endpoint, string>> = {
  unifiedorder: '/pay/unifiedorder',
  orderquery: '/pay/orderquery',
  closeorder: '/pay/closeorder',
  refund: '/secapi/pay/refund',
  refundquery: '/pay/refundquery',
  downloadbill: '/pay/downloadbill',
  getsignkey: '/sandboxnew/pay/getsignkey',
};

/** Resolves a path (relative to the simulator's base path, no query) to an API, or undefined. */
export function resolveWireRoute(path: string): WireRoute | undefined {
  const sandbox = path.startsWith('/sandboxnew/');
  const rest = sandbox ? path.slice('/sandboxnew'.length) : path;
  const endpoint = (sandbox ? SANDBOX_PATHS : PRODUCTION_PATHS)[rest];
  if (endpoint === undefined || !Object.hasOwn(sandbox ? SANDBOX_PATHS : PRODUCTION_PATHS, rest)) return undefined;
  return {
    endpoint,
    environment: sandbox ? 'sandbox' : 'production',
    canonicalPath: CANONICAL[endpoint],
    needsCert: rest.startsWith('/secapi/'),
  };
}

/** What the transport knows about the caller's TLS client certificate. */
export type ClientCert =
  /** The simulator is not serving HTTPS (or is embedded in a plain HTTP host): nothing was checked. */
  | { readonly state: 'not-tls' }
  | { readonly state: 'verified'; readonly commonName: string | undefined }
  | { readonly state: 'rejected'; readonly reason: string };

/** A response as the simulator hands it to the transport. */
export interface WireReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

/** What the WeChat API handlers of both API versions need from the simulator. */
export interface ApiDeps {
  readonly state: SimState;
  readonly merchants: ReadonlyMap<string, SimulatorMerchant>;
  readonly clock: SimulatorClock;
  readonly logger: Logger;
  readonly faults: FaultList;
  readonly bodyLimit: number;
  readonly refundMode: () => RefundMode;
  /** Moves a refund to SUCCESS and sends its notification. */
  readonly completeRefund: (refund: RefundRecord) => void;
}

/** What the WeChat API v2 (XML) handlers need from the simulator. */
export interface WireDeps extends ApiDeps {
  readonly requireMchIdCommonName: boolean;
}

/** Header naming the error code of a reply that carries none in its XML (return_code FAIL). */
export const ERROR_HEADER = 'x-wxpay-simulator-error';

type Fields = Record<string, string | number | undefined>;

/** Communication-layer failures (`return_code=FAIL`, unsigned; spec §4) and their `return_msg`. */
const RETURN_MSG = {
  REQUIRE_POST_METHOD: '请使用post方法',
  POST_DATA_EMPTY: 'post数据为空',
  NOT_UTF8: '编码格式错误',
  XML_FORMAT_ERROR: 'XML格式错误',
  LACK_PARAMS: '缺少参数',
  PARAM_ERROR: '参数格式校验错误',
  MCHID_NOT_EXIST: '商户号mch_id不存在',
  APPID_MCHID_NOT_MATCH: 'appid和mch_id不匹配',
  SIGNERROR: '签名错误',
  CERT_REQUIRED: '请求未携带有效的商户API证书',
} as const;
type ReturnCode = keyof typeof RETURN_MSG;

/** downloadbill words its failures differently (spec §5.6). */
const BILL_RETURN_MSG: Partial<Record<ReturnCode, string>> = {
  LACK_PARAMS: 'missing parameter',
  PARAM_ERROR: 'data format error',
  SIGNERROR: 'SIGN ERROR',
};

interface Rule {
  readonly max?: number;
  readonly pattern?: RegExp;
  readonly oneOf?: readonly string[];
  readonly test?: (value: string) => boolean;
}

const OUT_NO = /^[A-Za-z0-9_\-|*@]+$/;
const FEE = /^[1-9]\d{0,9}$/;

const RULES: Readonly<Record<string, Rule>> = {
  appid: { max: 32 },
  mch_id: { max: 32 },
  sub_appid: { max: 32 },
  sub_mch_id: { max: 32 },
  nonce_str: { max: 32 },
  sign: { max: 64 },
  sign_type: { oneOf: ['MD5', 'HMAC-SHA256'] },
  device_info: { max: 32 },
  body: { max: 128 },
  detail: { max: 6000 },
  attach: { max: 127 },
  out_trade_no: { max: 32, pattern: OUT_NO },
  out_refund_no: { max: 64, pattern: OUT_NO },
  fee_type: { max: 16 },
  total_fee: { pattern: FEE },
  refund_fee: { pattern: FEE },
  spbill_create_ip: { max: 64, test: (v) => isIP(v) !== 0 },
  time_start: { test: (v) => ids.parseCompactTime(v) !== undefined },
  time_expire: { test: (v) => ids.parseCompactTime(v) !== undefined },
  goods_tag: { max: 32 },
  notify_url: { max: 256, test: isNotifyUrl },
  trade_type: { oneOf: ['JSAPI', 'NATIVE', 'APP', 'MWEB'] },
  product_id: { max: 32 },
  limit_pay: { oneOf: ['no_credit'] },
  openid: { max: 128 },
  sub_openid: { max: 128 },
  receipt: { oneOf: ['Y'] },
  scene_info: { max: 256 },
  profit_sharing: { oneOf: ['Y', 'N'] },
  transaction_id: { max: 32 },
  refund_id: { max: 32 },
  refund_fee_type: { max: 8 },
  refund_desc: { max: 80 },
  refund_account: { oneOf: ['REFUND_SOURCE_UNSETTLED_FUNDS', 'REFUND_SOURCE_RECHARGE_FUNDS'] },
  bill_date: { test: (v) => /^\d{8}$/.test(v) && ids.parseCompactTime(`${v}000000`) !== undefined },
  bill_type: { oneOf: ['ALL', 'SUCCESS', 'REFUND', 'RECHARGE_REFUND'] },
  tar_type: { oneOf: ['GZIP'] },
  offset: { pattern: /^\d{1,4}$/ },
};

const ENVELOPE = ['appid', 'mch_id', 'nonce_str', 'sign'] as const;

/** Required fields per API, and groups of which at least one must be present (spec §5). */
const REQUIRED: Readonly<Record<Endpoint, { readonly all: readonly string[]; readonly anyOf?: readonly string[] }>> = {
  unifiedorder: { all: [...ENVELOPE, 'body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'notify_url', 'trade_type'] },
  orderquery: { all: ENVELOPE, anyOf: ['transaction_id', 'out_trade_no'] },
  closeorder: { all: [...ENVELOPE, 'out_trade_no'] },
  refund: { all: [...ENVELOPE, 'out_refund_no', 'total_fee', 'refund_fee'], anyOf: ['transaction_id', 'out_trade_no'] },
  refundquery: { all: ENVELOPE, anyOf: ['refund_id', 'out_refund_no', 'transaction_id', 'out_trade_no'] },
  downloadbill: { all: [...ENVELOPE, 'bill_date'] },
  getsignkey: { all: ['mch_id', 'nonce_str', 'sign'] },
};

function isNotifyUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && !value.includes('?');
}

/** A signed-reply context: who asked, with which key and algorithm. */
interface Caller {
  readonly route: WireRoute;
  readonly params: XmlRecord;
  readonly merchant: SimulatorMerchant;
  readonly key: string;
  readonly signType: SignType;
}

type Outcome =
  | { readonly ok: Fields }
  | { readonly errCode: string; readonly errCodeDes: string }
  | { readonly reply: WireReply };

/**
 * Answers one WeChat API call. Validation follows spec §11: method → body non-empty → UTF-8 →
 * XML → required fields → mch/app binding → signature (`sign_type`) → business rules. Never
 * throws.
 */
export function handleWire(deps: WireDeps, route: WireRoute, method: string, body: Uint8Array, cert: ClientCert, path: string): WireReply {
  const isBill = route.endpoint === 'downloadbill';
  const fail = (code: ReturnCode, detail?: string, status = 200): WireReply =>
    failReply(code, (isBill ? BILL_RETURN_MSG[code] : undefined) ?? detail ?? RETURN_MSG[code], status);

  if (route.needsCert) {
    if (cert.state === 'rejected') {
      deps.logger.warn({ path, reason: cert.reason }, 'refused a call without a valid client certificate');
      return fail('CERT_REQUIRED', undefined, 403);
    }
    if (cert.state === 'not-tls') {
      deps.logger.warn({ path }, 'client certificate not checked: the simulator is serving plain HTTP');
    }
  }
  if (method !== 'POST') return fail('REQUIRE_POST_METHOD');
  if (body.byteLength === 0 || Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1').trim() === '') {
    return fail('POST_DATA_EMPTY');
  }
  if (body.byteLength > deps.bodyLimit) return fail('XML_FORMAT_ERROR', 'post数据过大');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return fail('NOT_UTF8');
  }
  let params: XmlRecord;
  try {
    params = parseXml(text, { maxBytes: deps.bodyLimit });
  } catch {
    return fail('XML_FORMAT_ERROR');
  }

  const required = REQUIRED[route.endpoint];
  const missing = required.all.find((name) => !params[name]);
  if (missing !== undefined) return fail('LACK_PARAMS', `缺少参数${missing}`);
  if (required.anyOf && !required.anyOf.some((name) => params[name])) {
    return fail('LACK_PARAMS', `${required.anyOf.join('、')}至少填一个`);
  }
  for (const [name, value] of Object.entries(params)) {
    const rule = RULES[name];
    if (rule === undefined || value === '') continue;
    if (rule.max !== undefined && [...value].length > rule.max) return fail('PARAM_ERROR', `${name}参数长度有误`);
    const bad =
      (rule.pattern !== undefined && !rule.pattern.test(value)) ||
      (rule.oneOf !== undefined && !rule.oneOf.includes(value)) ||
      (rule.test !== undefined && !rule.test(value));
    if (bad && isBill && name === 'bill_type') return failReply('PARAM_ERROR', 'invalid bill_type');
    if (bad) return fail('PARAM_ERROR', `${name}参数格式错误`);
  }

  const merchant = deps.merchants.get(params['mch_id']!);
  if (merchant === undefined) return fail('MCHID_NOT_EXIST');
  if (route.endpoint !== 'getsignkey' && !merchantAcceptsAppId(merchant, params['appid'])) return fail('APPID_MCHID_NOT_MATCH');

  const signType: SignType = params['sign_type'] === 'HMAC-SHA256' ? 'HMAC-SHA256' : 'MD5';
  // The sandbox signs with MD5 only: getsignkey with the production key, everything else with the sandbox key (spec §3).
  const key = route.environment === 'sandbox' && route.endpoint !== 'getsignkey' ? merchant.sandboxKey : merchant.apiKey;
  if (route.environment === 'sandbox' && signType !== 'MD5') return fail('SIGNERROR', '仿真测试系统只支持MD5签名');
  if (!safeEqual(params['sign']!.toUpperCase(), sign(params, key, signType))) {
    deps.logger.info({ path, mchId: merchant.mchId, signType }, 'refused a call with a wrong signature');
    return fail('SIGNERROR');
  }
  if (route.needsCert && cert.state === 'verified' && deps.requireMchIdCommonName && cert.commonName !== merchant.mchId) {
    deps.logger.warn({ path, mchId: merchant.mchId }, 'client certificate belongs to another merchant');
    return fail('CERT_REQUIRED', undefined, 403);
  }

  if (route.endpoint === 'getsignkey') {
    return xmlReply(wechatXml({ return_code: 'SUCCESS', return_msg: 'ok', mch_id: merchant.mchId, sandbox_signkey: merchant.sandboxKey }));
  }

  const caller: Caller = { route, params, merchant, key, signType };
  if (deps.faults.take('systemerror', path, route.canonicalPath).length > 0) {
    return signedReply(caller, { errCode: 'SYSTEMERROR', errCodeDes: '系统超时' });
  }
  let outcome: Outcome;
  try {
    outcome = HANDLERS[route.endpoint](deps, caller);
  } catch (cause) {
    deps.logger.error({ path, err: cause instanceof Error ? cause.message : String(cause) }, 'simulator failed to handle a call');
    outcome = { errCode: 'SYSTEMERROR', errCodeDes: '系统错误' };
  }
  return 'reply' in outcome ? outcome.reply : signedReply(caller, outcome);
}

/** A `return_code=FAIL` reply: two fields, no signature (spec §4). */
export function failReply(code: string, returnMsg: string, status = 200): WireReply {
  return {
    status,
    headers: { 'content-type': 'text/xml; charset=utf-8', [ERROR_HEADER]: code },
    body: wechatXml({ return_code: 'FAIL', return_msg: returnMsg }),
  };
}

function xmlReply(body: string): WireReply {
  return { status: 200, headers: { 'content-type': 'text/xml; charset=utf-8' }, body };
}

/** A `return_code=SUCCESS` reply, signed with the caller's key and algorithm (spec §2.2). */
function signedReply(caller: Caller, outcome: { ok: Fields } | { errCode: string; errCodeDes: string }): WireReply {
  const p = caller.params;
  const fields: Fields = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: p['appid'],
    mch_id: p['mch_id'],
    sub_appid: p['sub_appid'],
    sub_mch_id: p['sub_mch_id'],
    nonce_str: ids.nonceStr(),
    ...('ok' in outcome
      ? { result_code: 'SUCCESS', ...outcome.ok }
      : { result_code: 'FAIL', err_code: outcome.errCode, err_code_des: outcome.errCodeDes }),
  };
  fields['sign'] = sign(fields, caller.key, caller.signType);
  return xmlReply(wechatXml(fields));
}

const err = (errCode: string, errCodeDes: string): Outcome => ({ errCode, errCodeDes });

/** Parameters that make a re-submitted unifiedorder "the same order" (everything but the per-call ones). */
const PER_CALL = new Set(['nonce_str', 'sign', 'sign_type', 'spbill_create_ip']);

function fingerprint(params: XmlRecord): string {
  return JSON.stringify(
    Object.keys(params)
      .filter((k) => !PER_CALL.has(k) && params[k] !== '')
      .sort()
      .map((k) => [k, params[k]]),
  );
}

function orderOf(deps: WireDeps, caller: Caller): OrderRecord | undefined {
  const p = caller.params;
  const order = deps.state.findOrder(caller.route.environment, caller.merchant.mchId, {
    transactionId: p['transaction_id'],
    outTradeNo: p['out_trade_no'],
  });
  if (order) refreshExpiry(order, deps.clock.now());
  return order;
}

const isPaid = (order: OrderRecord): boolean => order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND';

function unifiedOrder(deps: WireDeps, caller: Caller): Outcome {
  const p = caller.params;
  const now = deps.clock.now();
  const tradeType = p['trade_type']!;
  if (tradeType === 'JSAPI' && !p['openid'] && !p['sub_openid']) {
    return err('PARAM_ERROR', 'trade_type=JSAPI时（即JSAPI支付），必须传openid');
  }
  if (p['sub_openid'] && !p['sub_appid']) return err('PARAM_ERROR', '传了sub_openid时必须传sub_appid');
  if (tradeType === 'NATIVE' && !p['product_id']) return err('PARAM_ERROR', 'trade_type=NATIVE时，product_id为必填参数');
  if (tradeType === 'MWEB' && !p['scene_info']) return err('PARAM_ERROR', 'H5支付必须传scene_info参数');
  const expiresAt = p['time_expire'] ? ids.parseCompactTime(p['time_expire']) : undefined;
  if (expiresAt !== undefined && expiresAt - now < 60_000) {
    return err('PARAM_ERROR', 'time_expire时间过短，刷卡至少1分钟，其他5分钟');
  }

  const existing = orderOf(deps, caller);
  if (existing) {
    if (isPaid(existing)) return err('ORDERPAID', '该订单已支付');
    if (existing.tradeState === 'CLOSED') return err('ORDERCLOSED', '该订单已关闭');
    if (existing.fingerprint !== fingerprint(p)) return err('OUT_TRADE_NO_USED', '商户订单号重复');
    return { ok: prepayFields(existing) };
  }

  const prepay = ids.prepayId(now);
  const order: OrderRecord = {
    environment: caller.route.environment,
    apiVersion: 'v2',
    mchId: caller.merchant.mchId,
    appId: p['appid']!,
    subMchId: p['sub_mch_id'] || undefined,
    subAppId: p['sub_appid'] || undefined,
    outTradeNo: p['out_trade_no']!,
    tradeType,
    tradeState: 'NOTPAY',
    tradeStateDesc: TRADE_STATE_DESC.NOTPAY,
    body: p['body']!,
    attach: p['attach'] || undefined,
    deviceInfo: p['device_info'] || undefined,
    totalFee: Number(p['total_fee']),
    feeType: p['fee_type'] || 'CNY',
    notifyUrl: p['notify_url']!,
    productId: p['product_id'] || undefined,
    sceneInfo: p['scene_info'] || undefined,
    signType: caller.signType,
    prepayId: prepay,
    codeUrl: tradeType === 'NATIVE' ? ids.codeUrl() : undefined,
    mwebUrl: tradeType === 'MWEB' ? ids.mwebUrl(prepay) : undefined,
    createdAt: now,
    expiresAt,
    openId: p['openid'] || undefined,
    subOpenId: p['sub_openid'] || undefined,
    ...unpaidFields(),
    fingerprint: fingerprint(p),
  };
  deps.state.addOrder(order);
  deps.logger.info({ mchId: order.mchId, outTradeNo: order.outTradeNo, tradeType, environment: order.environment }, 'order created');
  return { ok: prepayFields(order) };
}

function prepayFields(order: OrderRecord): Fields {
  return {
    device_info: order.deviceInfo,
    trade_type: order.tradeType,
    prepay_id: order.prepayId,
    code_url: order.codeUrl,
    mweb_url: order.mwebUrl,
  };
}

function orderQuery(deps: WireDeps, caller: Caller): Outcome {
  const order = orderOf(deps, caller);
  if (!order) return err('ORDERNOTEXIST', '订单不存在');
  const base: Fields = {
    device_info: order.deviceInfo,
    out_trade_no: order.outTradeNo,
    trade_state: order.tradeState,
    trade_state_desc: order.tradeStateDesc,
  };
  if (!isPaid(order)) return { ok: { ...base, attach: order.attach, total_fee: order.totalFee, fee_type: order.feeType, trade_type: order.tradeType } };
  return { ok: { ...base, ...paymentFields(order) } };
}

function closeOrder(deps: WireDeps, caller: Caller): Outcome {
  const order = orderOf(deps, caller);
  if (!order) return err('ORDERNOTEXIST', '订单不存在');
  if (isPaid(order)) return err('ORDERPAID', '订单已支付，不能发起关单');
  if (order.tradeState === 'CLOSED') return err('ORDERCLOSED', '订单已关闭，无法重复关闭');
  order.tradeState = 'CLOSED';
  order.tradeStateDesc = TRADE_STATE_DESC.CLOSED;
  deps.logger.info({ mchId: order.mchId, outTradeNo: order.outTradeNo }, 'order closed');
  return { ok: {} };
}

function refund(deps: WireDeps, caller: Caller): Outcome {
  const p = caller.params;
  const order = orderOf(deps, caller);
  if (!order || !isPaid(order)) return err('ORDERNOTEXIST', '订单不存在');
  const totalFee = Number(p['total_fee']);
  const refundFee = Number(p['refund_fee']);
  const outRefundNo = p['out_refund_no']!;
  const env = caller.route.environment;

  const existing = deps.state.refund(env, order.mchId, outRefundNo);
  if (existing) {
    if (existing.outTradeNo !== order.outTradeNo || existing.refundFee !== refundFee || existing.totalFee !== totalFee) {
      return err('INVALID_REQUEST', '订单金额或退款金额与之前请求不一致，请核实后再试');
    }
    return { ok: refundFields(existing, order) };
  }
  if (totalFee !== order.totalFee) return err('INVALID_REQUEST', '订单金额或退款金额与之前请求不一致，请核实后再试');
  if (refundFee > order.totalFee) return err('INVALID_REQUEST', '退款金额大于支付金额');
  if (order.refundedFee + refundFee > order.totalFee) return err('NOTENOUGH', '订单可退金额不足');
  if (order.refunds.length >= MAX_REFUNDS_PER_ORDER) return err('INVALID_REQUEST', '退款次数超过限制');

  const record = acceptRefund(deps.state, deps.clock.now(), order, {
    outRefundNo,
    refundFee,
    refundFeeType: p['refund_fee_type'] || order.feeType,
    refundDesc: p['refund_desc'] || undefined,
    refundAccount: p['refund_account'] || 'REFUND_SOURCE_UNSETTLED_FUNDS',
    notifyUrl: p['notify_url'] || caller.merchant.refundNotifyUrl,
    signType: caller.signType,
    fingerprint: fingerprint(p),
    apiVersion: 'v2',
    source: 'api',
  });
  deps.logger.info({ mchId: order.mchId, outTradeNo: order.outTradeNo, outRefundNo, refundFee }, 'refund accepted');
  const fields = refundFields(record, order);
  if (deps.refundMode() === 'auto') deps.completeRefund(record);
  return { ok: fields };
}

function refundFields(r: RefundRecord, order: OrderRecord): Fields {
  const fields: Fields = {
    transaction_id: r.transactionId,
    out_trade_no: r.outTradeNo,
    out_refund_no: r.outRefundNo,
    refund_id: r.refundId,
    refund_fee: r.refundFee,
    settlement_refund_fee: order.settlementTotalFee !== undefined ? r.settlementRefundFee : undefined,
    total_fee: order.totalFee,
    settlement_total_fee: order.settlementTotalFee,
    fee_type: order.feeType,
    cash_fee: order.cashFee,
    cash_refund_fee: r.cashRefundFee,
    coupon_refund_fee: r.couponRefunds.length > 0 ? r.couponRefundFee : undefined,
    coupon_refund_count: r.couponRefunds.length > 0 ? r.couponRefunds.length : undefined,
  };
  r.couponRefunds.forEach((c, n) => {
    fields[`coupon_type_${n}`] = c.type;
    fields[`coupon_refund_id_${n}`] = c.id;
    fields[`coupon_refund_fee_${n}`] = c.fee;
  });
  return fields;
}

/** Page size of refundquery with `offset` (spec §5.5: commonly assumed 10). */
const REFUND_PAGE = 10;

function refundQuery(deps: WireDeps, caller: Caller): Outcome {
  const p = caller.params;
  const env = caller.route.environment;
  const mchId = caller.merchant.mchId;
  let list: RefundRecord[] = [];
  let order: OrderRecord | undefined;
  // Priority: refund_id, out_refund_no, transaction_id, out_trade_no (spec §5.5).
  if (p['refund_id'] || p['out_refund_no']) {
    const one = p['refund_id'] ? deps.state.refundById(env, mchId, p['refund_id']) : deps.state.refund(env, mchId, p['out_refund_no']!);
    if (one) {
      list = [one];
      order = deps.state.order(env, mchId, one.outTradeNo);
    }
  } else {
    order = orderOf(deps, caller);
    if (order) list = deps.state.refundsOf(order);
  }
  if (!order || list.length === 0) return err('REFUNDNOTEXIST', '退款订单查询失败');
  const offset = p['offset'] !== undefined && p['offset'] !== '' ? Number(p['offset']) : undefined;
  const page = offset === undefined ? list : list.slice(offset, offset + REFUND_PAGE);
  if (page.length === 0) return err('REFUNDNOTEXIST', '退款订单查询失败');
  const fields: Fields = {
    transaction_id: order.transactionId,
    out_trade_no: order.outTradeNo,
    total_fee: order.totalFee,
    settlement_total_fee: order.settlementTotalFee,
    fee_type: order.feeType,
    cash_fee: order.cashFee,
    total_refund_count: offset === undefined ? undefined : list.length,
    refund_count: page.length,
  };
  page.forEach((r, n) => {
    fields[`out_refund_no_${n}`] = r.outRefundNo;
    fields[`refund_id_${n}`] = r.refundId;
    fields[`refund_channel_${n}`] = 'ORIGINAL';
    fields[`refund_fee_${n}`] = r.refundFee;
    fields[`settlement_refund_fee_${n}`] = r.settlementRefundFee;
    fields[`refund_status_${n}`] = r.status;
    fields[`refund_account_${n}`] = r.refundAccount;
    fields[`refund_recv_accout_${n}`] = r.recvAccount;
    fields[`refund_success_time_${n}`] = r.successTime;
    if (r.couponRefunds.length > 0) {
      fields[`coupon_refund_fee_${n}`] = r.couponRefundFee;
      fields[`coupon_refund_count_${n}`] = r.couponRefunds.length;
      r.couponRefunds.forEach((c, k) => {
        fields[`coupon_type_${n}_${k}`] = c.type;
        fields[`coupon_refund_id_${n}_${k}`] = c.id;
        fields[`coupon_refund_fee_${n}_${k}`] = c.fee;
      });
    }
  });
  return { ok: fields };
}

function downloadBill(deps: WireDeps, caller: Caller): Outcome {
  const p = caller.params;
  const orders = deps.state
    .allOrders({ mchId: caller.merchant.mchId, environment: caller.route.environment })
    .filter((o) => !p['sub_mch_id'] || o.subMchId === p['sub_mch_id']);
  const text = tradeBill(p['bill_date']!, (p['bill_type'] || 'ALL') as BillType, orders, (o) => deps.state.refundsOf(o));
  if (text === undefined) {
    return {
      reply: {
        status: 200,
        headers: { 'content-type': 'text/xml; charset=utf-8', [ERROR_HEADER]: '20002' },
        body: wechatXml({ return_code: 'FAIL', return_msg: 'No Bill Exist', error_code: '20002' }),
      },
    };
  }
  if (p['tar_type'] === 'GZIP') {
    return { reply: { status: 200, headers: { 'content-type': 'application/x-gzip' }, body: gzipSync(Buffer.from(text, 'utf8')) } };
  }
  return { reply: { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text } };
}

const HANDLERS: Readonly<Record<Endpoint, (deps: WireDeps, caller: Caller) => Outcome>> = {
  unifiedorder: unifiedOrder,
  orderquery: orderQuery,
  closeorder: closeOrder,
  refund,
  refundquery: refundQuery,
  downloadbill: downloadBill,
  getsignkey: () => err('SYSTEMERROR', '系统错误'),
};
