import type { ApiDeps, WireReply } from '../api.js';
import type { SimulatorClock } from '../clock.js';
import type { MicropayOutcome, OrderRefusal, RefundRefusal, ReverseOutcome } from '../ledger.js';
import { merchantAcceptsAppId } from '../merchants.js';
import type { SimulatorMerchant } from '../types.js';
import { verifyRequest } from './auth.js';
import { refundObject, transactionObject } from './bodies.js';
import type { WechatpayKeyring } from './keys.js';
import { isNotifyUrl, OUT_NO, ParamError, parseBody, Reader } from './reader.js';
import { AUTH_MESSAGES, errorAnswer, signedAnswer, type Answer, type Json } from './reply.js';
import { encryptResource } from './resource.js';
import { TRADE_TYPE, type V3Endpoint, type V3Route } from './routes.js';
import { parseRfc3339, rfc3339 } from './time.js';
import { cancelTransferBill, createTransferBill, queryTransferBill } from './transfers.js';
import { applyFundFlowBill, applyTradeBill, downloadBillFile, type BillFiles } from './bills.js';
import { createTransferBatch, queryTransferBatch, queryTransferBatchDetail } from './transfer-batches.js';

/** What the v3 handlers need from the simulator. */
export interface V3Deps extends ApiDeps {
  readonly keyring: WechatpayKeyring;
  readonly timestampWindowS: number;
  /**
   * The clock of signature timestamps, in and out: real time, as between WeChat and a merchant,
   * also when `clock` (order times, expiry, retries) was moved ahead through the control API.
   */
  readonly wireClock: SimulatorClock;
  /** Bills applied for and not yet downloaded. */
  readonly bills: BillFiles;
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
  /** `Wechatpay-Serial`: the WeChat Pay key a request's sensitive fields are encrypted with. */
  readonly wechatpaySerial?: string | undefined;
  readonly body: Uint8Array;
  /** Scheme, host and base path the request reached the simulator at (a bill's `download_url` points there). */
  readonly origin?: string | undefined;
}

/**
 * Answers one `/v3/` call: route → body size and encoding → `Authorization` (merchant, serial,
 * signature, timestamp window) → injected faults → the API (the {@link Ledger}'s rules). Never throws.
 */
export function handleV3(deps: V3Deps, route: V3Route | undefined, req: V3Request): WireReply {
  const signer = { keyring: deps.keyring, clock: deps.wireClock };
  if (!route)
    return signedAnswer(signer, errorAnswer(404, 'RESOURCE_NOT_EXISTS', `无可用的平台服务：${req.method} ${req.path}`), undefined);
  if (req.body.byteLength > deps.bodyLimit) return signedAnswer(signer, errorAnswer(400, 'PARAM_ERROR', '请求体过大'), undefined);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(req.body);
  } catch {
    return signedAnswer(signer, errorAnswer(400, 'PARAM_ERROR', '请求体不是合法的UTF-8编码'), undefined);
  }
  const auth = verifyRequest({
    header: req.authorization,
    method: req.method,
    urls: req.targets,
    body: text,
    merchants: deps.merchants,
    nowS: Math.floor(deps.wireClock.now() / 1000),
    windowS: deps.timestampWindowS,
  });
  if (!auth.ok) {
    deps.logger.info({ path: req.path, reason: auth.reason, mchId: auth.merchant?.mchId }, 'refused a v3 call with a wrong signature');
    const detail = auth.info ? { detail: { sign_information: auth.info } } : {};
    return signedAnswer(
      signer,
      { status: 401, body: { code: 'SIGN_ERROR', message: AUTH_MESSAGES[auth.reason], ...detail } },
      auth.merchant,
    );
  }
  const merchant = auth.merchant;
  const systemErrors = deps.faults.take('systemerror', req.path, route.canonicalPath);
  if (systemErrors.some((f) => f.kind === 'systemerror' && f.applied !== true)) {
    return signedAnswer(signer, errorAnswer(500, 'SYSTEM_ERROR', '系统繁忙,请稍后重试'), merchant);
  }
  const [business] = deps.faults.take('error', req.path, route.canonicalPath);
  if (business?.kind === 'error') {
    return signedAnswer(deps, errorAnswer(business.status ?? 400, business.code, business.message ?? business.code), merchant);
  }
  if (route.endpoint === 'bill-download') {
    const corrupt = deps.faults.take('corrupt-bill', req.path, route.canonicalPath).length > 0;
    const file = downloadBillFile(deps, merchant, req.query, corrupt);
    return file ?? signedAnswer(signer, errorAnswer(404, 'RESOURCE_NOT_EXISTS', '账单下载链接不存在或已过期'), merchant);
  }
  let answer: Answer;
  try {
    // A transfer cancel has no body (spec v3-more §1.8); `{}` is accepted too.
    const body = req.method === 'GET' || (route.endpoint === 'transfer-cancel' && text.trim() === '') ? {} : parseBody(text);
    answer = HANDLERS[route.endpoint]({
      deps,
      merchant,
      route,
      query: req.query,
      body,
      serial: req.wechatpaySerial,
      origin: req.origin ?? 'http://127.0.0.1',
    });
  } catch (cause) {
    if (cause instanceof ParamError) {
      answer = errorAnswer(400, 'PARAM_ERROR', cause.message, {
        field: cause.field,
        value: cause.value,
        issue: cause.issue,
        location: cause.location,
      });
    } else {
      deps.logger.error(
        { path: req.path, err: cause instanceof Error ? cause.message : String(cause) },
        'simulator failed to handle a v3 call',
      );
      answer = errorAnswer(500, 'SYSTEM_ERROR', '系统错误');
    }
  }
  // An `applied` SYSTEM_ERROR: the call took effect, but its answer says the outcome is unknown.
  if (systemErrors.length > 0) answer = errorAnswer(500, 'SYSTEM_ERROR', '系统繁忙,请稍后重试');
  return signedAnswer(signer, answer, merchant);
}

interface Call {
  readonly deps: V3Deps;
  readonly merchant: SimulatorMerchant;
  readonly route: V3Route;
  readonly query: URLSearchParams;
  readonly body: Json;
  readonly serial: string | undefined;
  readonly origin: string;
}

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

const ORDER_REFUSALS: Readonly<Record<OrderRefusal, () => Answer>> = {
  paid: () => errorAnswer(400, 'INVALID_REQUEST', '该订单已支付'),
  closed: () => errorAnswer(400, 'ORDER_CLOSED', '订单已关闭'),
  'out-trade-no-used': () => errorAnswer(403, 'OUT_TRADE_NO_USED', '商户订单号重复'),
};

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
  const expiresAt = timeExpire === undefined ? undefined : parseRfc3339(timeExpire);
  if (expiresAt !== undefined && expiresAt - deps.clock.now() < 60_000) throw new ParamError('time_expire', timeExpire, '订单失效时间过短');

  const placed = deps.ledger.placeOrder({
    environment: 'production',
    apiVersion: 'v3',
    mchId: merchant.mchId,
    appId,
    subMchId: undefined,
    subAppId: undefined,
    outTradeNo,
    tradeType: TRADE_TYPE[kind],
    body: description,
    attach: attach || undefined,
    deviceInfo: deviceId || undefined,
    totalFee: total,
    feeType: currency,
    notifyUrl,
    productId: undefined,
    sceneInfo: scene === undefined ? undefined : JSON.stringify(scene),
    signType: 'MD5',
    expiresAt,
    openId: openId || undefined,
    subOpenId: undefined,
    fingerprint: `v3/${kind}:${fingerprint(body)}`,
  });
  if (placed.refused !== undefined) return ORDER_REFUSALS[placed.refused]();
  const order = placed.order;
  if (order.tradeType === 'NATIVE') return { status: 200, body: { code_url: order.codeUrl } };
  if (order.tradeType === 'MWEB') return { status: 200, body: { h5_url: order.mwebUrl } };
  return { status: 200, body: { prepay_id: order.prepayId } };
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
  const order = deps.ledger.queryOrder('production', merchant.mchId, lookup);
  if (!order) return ORDER_NOT_EXIST();
  return { status: 200, body: transactionObject(order) };
}

function closeOrder({ deps, merchant, route, body }: Call): Answer {
  const mchId = new Reader(body).string('mchid', { required: true, max: 32 })!;
  if (mchId !== merchant.mchId) throw new ParamError('mchid', mchId, '与请求头Authorization中的商户号不一致');
  const order = deps.ledger.findOrder('production', merchant.mchId, { outTradeNo: route.param! });
  if (!order) return ORDER_NOT_EXIST();
  // v3 answers 204 to closing a closed order again.
  if (deps.ledger.closeOrder(order) === 'paid') return errorAnswer(400, 'INVALID_REQUEST', '订单已支付，不能发起关单');
  return { status: 204 };
}

const REFUND_REFUSALS: Readonly<Record<RefundRefusal, () => Answer>> = {
  'order-not-found': () => errorAnswer(404, 'RESOURCE_NOT_EXISTS', '订单不存在'),
  'differs-from-earlier': () => errorAnswer(400, 'INVALID_REQUEST', '订单金额或退款金额与之前请求不一致，请核实后再试'),
  'total-mismatch': () => errorAnswer(400, 'INVALID_REQUEST', '订单金额与实际支付金额不一致，请核实后再试'),
  'exceeds-total': () => errorAnswer(400, 'INVALID_REQUEST', '退款金额大于支付金额'),
  'not-enough': () => errorAnswer(403, 'NOT_ENOUGH', '订单可退金额不足'),
  'too-many': () => errorAnswer(403, 'RULE_LIMIT', '退款次数超过限制'),
};

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

  const outcome = deps.ledger.requestRefund(
    {
      environment: 'production',
      apiVersion: 'v3',
      mchId: merchant.mchId,
      lookup: { transactionId, outTradeNo },
      outRefundNo,
      refundFee,
      totalFee: total,
      refundFeeType: currency,
      refundDesc: reason || undefined,
      refundAccount: fundsAccount === 'AVAILABLE' ? 'REFUND_SOURCE_RECHARGE_FUNDS' : 'REFUND_SOURCE_UNSETTLED_FUNDS',
      notifyUrl: notifyUrl || merchant.refundNotifyUrl,
      signType: 'MD5',
      fingerprint: fingerprint(body),
    },
    refundObject,
  );
  return outcome.refused === undefined ? { status: 200, body: outcome.reply } : REFUND_REFUSALS[outcome.refused]();
}

function refundQuery({ deps, merchant, route }: Call): Answer {
  const state = deps.ledger.state;
  const found = state.refund('production', merchant.mchId, route.param!);
  const order = found && state.order('production', merchant.mchId, found.outTradeNo);
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

/**
 * codepay's failures. WeChat's v3 spelling of the business codes is not published (spec-v3-more
 * §7, open point 2): the simulator answers them with the v2 `err_code` spelling, at the statuses
 * below; `SYSTEM_ERROR` and `BANK_ERROR` (outcome unknown) are 500s.
 */
const CODEPAY_ERRORS: Readonly<Record<NonNullable<MicropayOutcome['error'] | MicropayOutcome['refused']>, () => Answer>> = {
  SYSTEMERROR: () => errorAnswer(500, 'SYSTEM_ERROR', '系统超时，请查询订单状态'),
  BANKERROR: () => errorAnswer(500, 'BANK_ERROR', '银行系统异常，请查询订单状态'),
  AUTHCODEEXPIRE: () => errorAnswer(400, 'AUTHCODEEXPIRE', '二维码已过期，请用户在微信上刷新后再试'),
  AUTH_CODE_INVALID: () => errorAnswer(400, 'AUTH_CODE_INVALID', '请扫描微信支付付款码'),
  NOTENOUGH: () => errorAnswer(403, 'NOTENOUGH', '用户余额不足'),
  paid: () => errorAnswer(400, 'ORDERPAID', '该订单已支付'),
  closed: () => errorAnswer(400, 'ORDER_CLOSED', '订单已关闭'),
  reversed: () => errorAnswer(400, 'ORDERREVERSED', '订单已撤销'),
  'out-trade-no-used': () => errorAnswer(403, 'OUT_TRADE_NO_USED', '商户订单号重复'),
};

/** `POST /v3/pay/transactions/codepay` (spec-v3-more §3): 200 paid, 202 `USERPAYING`, or an error. */
function codepay({ merchant, body, deps }: Call): Answer {
  const r = new Reader(body);
  const appId = r.string('appid', { required: true, max: 32 })!;
  const mchId = r.string('mchid', { required: true, max: 32 })!;
  const description = r.string('description', { required: true, max: 127 })!;
  const outTradeNo = r.string('out_trade_no', { required: true, max: 32, pattern: OUT_NO })!;
  const attach = r.string('attach', { max: 128 });
  r.string('goods_tag', { max: 32 });
  r.object('payer', true);
  const authCode = r.string('payer/auth_code', { required: true, max: 128 })!;
  r.object('amount', true);
  const total = r.int('amount/total', true)!;
  const currency = r.string('amount/currency', { oneOf: ['CNY'] }) ?? 'CNY';
  r.object('scene_info', true);
  r.string('scene_info/device_ip', { required: true, max: 45 });
  const deviceId = r.string('scene_info/device_id', { max: 32 });
  r.object('scene_info/store_info', true);
  r.string('scene_info/store_info/id', { required: true, max: 32 });
  if (mchId !== merchant.mchId) throw new ParamError('mchid', mchId, '与请求头Authorization中的商户号不一致');
  if (!merchantAcceptsAppId(merchant, appId)) return errorAnswer(400, 'APPID_MCHID_NOT_MATCH', 'AppID和mch_id不匹配');
  const outcome = deps.ledger.submitMicropay({
    environment: 'production',
    apiVersion: 'v3',
    mchId: merchant.mchId,
    appId,
    subMchId: undefined,
    subAppId: undefined,
    outTradeNo,
    body: description,
    attach: attach || undefined,
    deviceInfo: deviceId || undefined,
    totalFee: total,
    feeType: currency,
    signType: 'MD5',
    authCode,
    fingerprint: `v3/codepay:${fingerprint(body)}`,
  });
  if (outcome.answer === 'paid') return { status: 200, body: transactionObject(outcome.order) };
  if (outcome.answer === 'userpaying') return { status: 202, body: { trade_state: 'USERPAYING' } };
  return CODEPAY_ERRORS[(outcome.error ?? outcome.refused)!]();
}

const REVERSE_REFUSALS: Readonly<Record<NonNullable<ReverseOutcome['refused']>, () => Answer>> = {
  'not-found': ORDER_NOT_EXIST,
  'not-micropay': () => errorAnswer(400, 'INVALID_REQUEST', '非付款码支付订单不能撤销'),
  expired: () => errorAnswer(400, 'INVALID_REQUEST', '订单已超过可撤销时间'),
  refunded: () => errorAnswer(400, 'INVALID_REQUEST', '订单已发生退款，不能撤销'),
};

/** `POST /v3/pay/transactions/out-trade-no/{no}/reverse` `{appid, mchid}` → 200 `{appid, mchid, out_trade_no}`. */
function reverse({ deps, merchant, route, body }: Call): Answer {
  const r = new Reader(body);
  const appId = r.string('appid', { required: true, max: 32 })!;
  const mchId = r.string('mchid', { required: true, max: 32 })!;
  if (mchId !== merchant.mchId) throw new ParamError('mchid', mchId, '与请求头Authorization中的商户号不一致');
  const outcome = deps.ledger.reverse('production', merchant.mchId, { outTradeNo: route.param! });
  if (outcome.refused !== undefined) return REVERSE_REFUSALS[outcome.refused]();
  if (outcome.error !== undefined) return errorAnswer(500, 'SYSTEM_ERROR', '系统超时，请重新调用撤销');
  return { status: 200, body: { appid: appId, mchid: mchId, out_trade_no: route.param } };
}

const HANDLERS: Readonly<Record<V3Endpoint, (call: Call) => Answer>> = {
  order: createOrder,
  'query-by-out-trade-no': queryOrder,
  'query-by-id': queryOrder,
  close: closeOrder,
  refund,
  'refund-query': refundQuery,
  certificates,
  'transfer-create': (call) => createTransferBill({ ...call, param: undefined }),
  'transfer-cancel': (call) => cancelTransferBill({ ...call, param: call.route.param }),
  'transfer-query-by-out-bill-no': (call) => queryTransferBill({ ...call, param: call.route.param }, 'out'),
  'transfer-query-by-bill-no': (call) => queryTransferBill({ ...call, param: call.route.param }, 'wx'),
  codepay,
  reverse,
  tradebill: ({ deps, merchant, query, origin }) => applyTradeBill(deps, merchant, query, origin),
  fundflowbill: ({ deps, merchant, query, origin }) => applyFundFlowBill(deps, merchant, query, origin),
  // Answered before the JSON handlers: the file is not JSON and not signed.
  'bill-download': () => errorAnswer(404, 'RESOURCE_NOT_EXISTS', '账单下载链接不存在或已过期'),
  'batch-create': (call) => createTransferBatch({ ...call, param: undefined }),
  'batch-by-out-batch-no': (call) => queryTransferBatch({ ...call, param: call.route.param }, call.query, 'out'),
  'batch-by-batch-id': (call) => queryTransferBatch({ ...call, param: call.route.param }, call.query, 'wx'),
  'batch-detail-by-out-no': (call) => queryTransferBatchDetail({ ...call, param: call.route.param }, call.route.detail, 'out'),
  'batch-detail-by-id': (call) => queryTransferBatchDetail({ ...call, param: call.route.param }, call.route.detail, 'wx'),
};
