import { gzipSync } from 'node:zlib';
import type { SignType } from '@wxpay-kit/core';
import { parseXml, safeEqual, sign, type XmlRecord } from '@wxpay-kit/core/protocol';
import type { ApiDeps, ClientCert, WireReply } from '../api.js';
import { tradeBill, type BillType } from '../bill.js';
import * as ids from '../ids.js';
import { isPaid, type MicropayOutcome, type OrderRefusal, type RefundRefusal, type ReverseOutcome } from '../ledger.js';
import { merchantAcceptsAppId } from '../merchants.js';
import { paymentFields } from '../notification-bodies.js';
import type { OrderRecord, RefundRecord } from '../state.js';
import type { SimulatorMerchant } from '../types.js';
import { wechatXml } from '../wechat-xml.js';
import type { Endpoint, WireRoute } from './routes.js';
import { BILL_RETURN_MSG, checkParams, RETURN_MSG, type ReturnCode } from './rules.js';

/** What the WeChat API v2 (XML) codec needs from the simulator. */
export interface WireDeps extends ApiDeps {
  readonly requireMchIdCommonName: boolean;
}

/** Header naming the error code of a reply that carries none in its XML (return_code FAIL). */
export const ERROR_HEADER = 'x-wxpay-simulator-error';

type Fields = Record<string, string | number | undefined>;

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
  | { readonly errCode: string; readonly errCodeDes: string; readonly recall?: 'Y' }
  | { readonly reply: WireReply };

/**
 * Answers one WeChat API v2 call. Validation follows spec §11: method → body non-empty → UTF-8 →
 * XML → required fields → mch/app binding → signature (`sign_type`) → business rules (the
 * {@link Ledger}'s). Never throws.
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

  const bad = checkParams(route.endpoint, params);
  if (bad !== undefined) return bad.verbatim ? failReply(bad.code, bad.detail) : fail(bad.code, bad.detail);

  // 企业付款 names the merchant `mchid` and the app `mch_appid` (spec v3-more §2.2).
  const ownNames = route.endpoint === 'promotiontransfers';
  const merchant = deps.merchants.get(params[ownNames ? 'mchid' : 'mch_id']!);
  if (merchant === undefined) return fail('MCHID_NOT_EXIST');
  if (route.endpoint !== 'getsignkey' && !merchantAcceptsAppId(merchant, params[ownNames ? 'mch_appid' : 'appid'])) {
    return fail('APPID_MCHID_NOT_MATCH');
  }

  // 企业付款 is signed with MD5 only (spec v3-more §2.2, open point 16): a `sign_type` is an ordinary signed field there.
  const md5Only = route.endpoint === 'promotiontransfers' || route.endpoint === 'gettransferinfo';
  const signType: SignType = params['sign_type'] === 'HMAC-SHA256' && !md5Only ? 'HMAC-SHA256' : 'MD5';
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
  const systemErrors = deps.faults.take('systemerror', path, route.canonicalPath);
  if (systemErrors.some((f) => f.kind === 'systemerror' && f.applied !== true)) {
    return signedReply(caller, { errCode: 'SYSTEMERROR', errCodeDes: '系统超时' });
  }
  const [business] = deps.faults.take('error', path, route.canonicalPath);
  if (business?.kind === 'error') return signedReply(caller, { errCode: business.code, errCodeDes: business.message ?? business.code });
  let outcome: Outcome;
  try {
    outcome = HANDLERS[route.endpoint](deps, caller);
  } catch (cause) {
    deps.logger.error({ path, err: cause instanceof Error ? cause.message : String(cause) }, 'simulator failed to handle a call');
    outcome = { errCode: 'SYSTEMERROR', errCodeDes: '系统错误' };
  }
  // An `applied` SYSTEMERROR: the call took effect, but its answer says the outcome is unknown.
  if (systemErrors.length > 0) return signedReply(caller, { errCode: 'SYSTEMERROR', errCodeDes: '系统繁忙，请稍后再试' });
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

/**
 * A `return_code=SUCCESS` reply, signed with the caller's key and algorithm (spec §2.2). 企业付款's
 * replies are not signed (their schema has no `sign`; mutual TLS vouches for them), and its pay
 * reply names the merchant `mchid` and the app `mch_appid` (spec v3-more §2.2).
 */
function signedReply(caller: Caller, outcome: { ok: Fields } | { errCode: string; errCodeDes: string; recall?: 'Y' }): WireReply {
  const p = caller.params;
  const endpoint = caller.route.endpoint;
  const ownNames = endpoint === 'promotiontransfers';
  const fields: Fields = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    ...(ownNames
      ? { mch_appid: p['mch_appid'], mchid: p['mchid'], device_info: p['device_info'] }
      : { appid: p['appid'], mch_id: p['mch_id'], sub_appid: p['sub_appid'], sub_mch_id: p['sub_mch_id'] }),
    nonce_str: ids.nonceStr(),
    ...('ok' in outcome
      ? { result_code: 'SUCCESS', ...outcome.ok }
      : { result_code: 'FAIL', err_code: outcome.errCode, err_code_des: outcome.errCodeDes, recall: outcome.recall }),
  };
  if (!ownNames && endpoint !== 'gettransferinfo') fields['sign'] = sign(fields, caller.key, caller.signType);
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

/** The order a call names by `transaction_id` or `out_trade_no`. */
function orderOf(deps: WireDeps, caller: Caller): OrderRecord | undefined {
  const p = caller.params;
  return deps.ledger.findOrder(caller.route.environment, caller.merchant.mchId, {
    transactionId: p['transaction_id'],
    outTradeNo: p['out_trade_no'],
  });
}

const ORDER_REFUSALS: Readonly<Record<OrderRefusal, Outcome>> = {
  paid: err('ORDERPAID', '该订单已支付'),
  closed: err('ORDERCLOSED', '该订单已关闭'),
  'out-trade-no-used': err('OUT_TRADE_NO_USED', '商户订单号重复'),
};

function unifiedOrder(deps: WireDeps, caller: Caller): Outcome {
  const p = caller.params;
  const tradeType = p['trade_type']!;
  if (tradeType === 'JSAPI' && !p['openid'] && !p['sub_openid']) {
    return err('PARAM_ERROR', 'trade_type=JSAPI时（即JSAPI支付），必须传openid');
  }
  if (p['sub_openid'] && !p['sub_appid']) return err('PARAM_ERROR', '传了sub_openid时必须传sub_appid');
  if (tradeType === 'NATIVE' && !p['product_id']) return err('PARAM_ERROR', 'trade_type=NATIVE时，product_id为必填参数');
  if (tradeType === 'MWEB' && !p['scene_info']) return err('PARAM_ERROR', 'H5支付必须传scene_info参数');
  const expiresAt = p['time_expire'] ? ids.parseCompactTime(p['time_expire']) : undefined;
  if (expiresAt !== undefined && expiresAt - deps.clock.now() < 60_000) {
    return err('PARAM_ERROR', 'time_expire时间过短，刷卡至少1分钟，其他5分钟');
  }
  const placed = deps.ledger.placeOrder(
    {
      environment: caller.route.environment,
      apiVersion: 'v2',
      mchId: caller.merchant.mchId,
      appId: p['appid']!,
      subMchId: p['sub_mch_id'] || undefined,
      subAppId: p['sub_appid'] || undefined,
      outTradeNo: p['out_trade_no']!,
      tradeType,
      body: p['body']!,
      attach: p['attach'] || undefined,
      deviceInfo: p['device_info'] || undefined,
      totalFee: Number(p['total_fee']),
      feeType: p['fee_type'] || 'CNY',
      notifyUrl: p['notify_url']!,
      productId: p['product_id'] || undefined,
      sceneInfo: p['scene_info'] || undefined,
      signType: caller.signType,
      expiresAt,
      openId: p['openid'] || undefined,
      subOpenId: p['sub_openid'] || undefined,
      fingerprint: fingerprint(p),
    },
    { transactionId: p['transaction_id'], outTradeNo: p['out_trade_no'] },
  );
  return placed.refused === undefined ? { ok: prepayFields(placed.order) } : ORDER_REFUSALS[placed.refused];
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
  const p = caller.params;
  const order = deps.ledger.queryOrder(caller.route.environment, caller.merchant.mchId, {
    transactionId: p['transaction_id'],
    outTradeNo: p['out_trade_no'],
  });
  if (!order) return err('ORDERNOTEXIST', '订单不存在');
  const base: Fields = {
    device_info: order.deviceInfo,
    out_trade_no: order.outTradeNo,
    trade_state: order.tradeState,
    trade_state_desc: order.tradeStateDesc,
  };
  if (!isPaid(order))
    return { ok: { ...base, attach: order.attach, total_fee: order.totalFee, fee_type: order.feeType, trade_type: order.tradeType } };
  return { ok: { ...base, ...paymentFields(order) } };
}

function closeOrder(deps: WireDeps, caller: Caller): Outcome {
  const order = orderOf(deps, caller);
  if (!order) return err('ORDERNOTEXIST', '订单不存在');
  const closed = deps.ledger.closeOrder(order);
  if (closed === 'paid') return err('ORDERPAID', '订单已支付，不能发起关单');
  if (closed === 'already-closed') return err('ORDERCLOSED', '订单已关闭，无法重复关闭');
  return { ok: {} };
}

const REFUND_REFUSALS: Readonly<Record<RefundRefusal, Outcome>> = {
  'order-not-found': err('ORDERNOTEXIST', '订单不存在'),
  'differs-from-earlier': err('INVALID_REQUEST', '订单金额或退款金额与之前请求不一致，请核实后再试'),
  'total-mismatch': err('INVALID_REQUEST', '订单金额或退款金额与之前请求不一致，请核实后再试'),
  'exceeds-total': err('INVALID_REQUEST', '退款金额大于支付金额'),
  'not-enough': err('NOTENOUGH', '订单可退金额不足'),
  'too-many': err('INVALID_REQUEST', '退款次数超过限制'),
};

function refund(deps: WireDeps, caller: Caller): Outcome {
  const p = caller.params;
  const outcome = deps.ledger.requestRefund(
    {
      environment: caller.route.environment,
      apiVersion: 'v2',
      mchId: caller.merchant.mchId,
      lookup: { transactionId: p['transaction_id'], outTradeNo: p['out_trade_no'] },
      outRefundNo: p['out_refund_no']!,
      refundFee: Number(p['refund_fee']),
      totalFee: Number(p['total_fee']),
      refundFeeType: p['refund_fee_type'] || undefined,
      refundDesc: p['refund_desc'] || undefined,
      refundAccount: p['refund_account'] || 'REFUND_SOURCE_UNSETTLED_FUNDS',
      notifyUrl: p['notify_url'] || caller.merchant.refundNotifyUrl,
      signType: caller.signType,
      fingerprint: fingerprint(p),
    },
    refundFields,
  );
  return outcome.refused === undefined ? { ok: outcome.reply } : REFUND_REFUSALS[outcome.refused];
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
  const state = deps.ledger.state;
  let list: RefundRecord[] = [];
  let order: OrderRecord | undefined;
  // Priority: refund_id, out_refund_no, transaction_id, out_trade_no (spec §5.5).
  if (p['refund_id'] || p['out_refund_no']) {
    const one = p['refund_id'] ? state.refundById(env, mchId, p['refund_id']) : state.refund(env, mchId, p['out_refund_no']!);
    if (one) {
      list = [one];
      order = state.order(env, mchId, one.outTradeNo);
    }
  } else {
    order = orderOf(deps, caller);
    if (order) list = state.refundsOf(order);
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
  const state = deps.ledger.state;
  const orders = state
    .allOrders({ mchId: caller.merchant.mchId, environment: caller.route.environment })
    .filter((o) => !p['sub_mch_id'] || o.subMchId === p['sub_mch_id']);
  const text = tradeBill(p['bill_date']!, (p['bill_type'] || 'ALL') as BillType, orders, (o) => state.refundsOf(o));
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

/** micropay's answers (spec §5.8): paid, or `err_code` `USERPAYING`, an unknown outcome, or a refusal. */
const MICROPAY_ERRORS: Readonly<Record<NonNullable<MicropayOutcome['error'] | MicropayOutcome['refused']>, Outcome>> = {
  SYSTEMERROR: err('SYSTEMERROR', '系统超时，请立即调用被扫订单结果查询API，查询当前订单状态'),
  BANKERROR: err('BANKERROR', '银行系统异常，请立即调用被扫订单结果查询API，查询当前订单的不同状态'),
  AUTHCODEEXPIRE: err('AUTHCODEEXPIRE', '二维码已过期，请用户在微信上刷新后再试'),
  AUTH_CODE_INVALID: err('AUTH_CODE_INVALID', '请扫描微信支付授权码(以10、11、12、13、14、15开头的18位数字)'),
  NOTENOUGH: err('NOTENOUGH', '用户余额不足，请用户换卡支付'),
  paid: err('ORDERPAID', '该订单已支付'),
  closed: err('ORDERCLOSED', '该订单已关闭'),
  reversed: err('ORDERREVERSED', '当前订单已经被撤销'),
  'out-trade-no-used': err('OUT_TRADE_NO_USED', '商户订单号重复'),
};

function micropay(deps: WireDeps, caller: Caller): Outcome {
  const p = caller.params;
  const outcome = deps.ledger.submitMicropay({
    environment: caller.route.environment,
    apiVersion: 'v2',
    mchId: caller.merchant.mchId,
    appId: p['appid']!,
    subMchId: p['sub_mch_id'] || undefined,
    subAppId: p['sub_appid'] || undefined,
    outTradeNo: p['out_trade_no']!,
    body: p['body']!,
    attach: p['attach'] || undefined,
    deviceInfo: p['device_info'] || undefined,
    totalFee: Number(p['total_fee']),
    feeType: p['fee_type'] || 'CNY',
    signType: caller.signType,
    authCode: p['auth_code']!,
    fingerprint: fingerprint(p),
  });
  if (outcome.answer === 'paid') return { ok: { device_info: outcome.order.deviceInfo, ...paymentFields(outcome.order) } };
  if (outcome.answer === 'userpaying') return err('USERPAYING', '需要用户输入支付密码');
  return MICROPAY_ERRORS[(outcome.error ?? outcome.refused)!];
}

const REVERSE_REFUSALS: Readonly<Record<NonNullable<ReverseOutcome['refused']>, Outcome>> = {
  'not-found': err('ORDERNOTEXIST', '订单不存在'),
  'not-micropay': err('TRADE_ERROR', '非付款码支付订单不能撤销'),
  expired: err('REVERSE_EXPIRE', '订单已超过可撤销时间'),
  refunded: err('TRADE_ERROR', '订单已发生退款，不能撤销'),
};

/** reverse (spec §5.9): `recall=N` when done; a `SYSTEMERROR` says `recall=Y` (call again). */
function reverse(deps: WireDeps, caller: Caller): Outcome {
  const p = caller.params;
  const outcome = deps.ledger.reverse(caller.route.environment, caller.merchant.mchId, {
    transactionId: p['transaction_id'],
    outTradeNo: p['out_trade_no'],
  });
  if (outcome.refused !== undefined) return REVERSE_REFUSALS[outcome.refused];
  if (outcome.error !== undefined) return { ...err('SYSTEMERROR', '系统超时，请重新调用撤销'), recall: 'Y' };
  return { ok: { recall: 'N' } };
}

/** 企业付款到零钱 (spec v3-more §2.2): paid at once, or refused; the same `partner_trade_no` again is the same payment. */
function promotionTransfer(deps: WireDeps, caller: Caller): Outcome {
  const p = caller.params;
  if (p['check_name'] === 'FORCE_CHECK' && !p['re_user_name']) return err('PARAM_ERROR', 'check_name为FORCE_CHECK时，re_user_name必填');
  const outcome = deps.ledger.payToBalance({
    mchId: caller.merchant.mchId,
    appId: p['mch_appid']!,
    partnerTradeNo: p['partner_trade_no']!,
    openId: p['openid']!,
    checkName: p['check_name']!,
    reUserName: p['check_name'] === 'FORCE_CHECK' ? p['re_user_name'] : undefined,
    amount: Number(p['amount']),
    desc: p['desc']!,
    deviceInfo: p['device_info'] || undefined,
    fingerprint: fingerprint(p),
  });
  if ('refused' in outcome) {
    return outcome.refused === 'amount-limit'
      ? err('AMOUNT_LIMIT', '付款金额超出限制。低于最低金额0.30元或超过单笔限额20000.00元。')
      : err('PARAM_ERROR', '商户订单号重复，且与原请求参数不一致');
  }
  const t = outcome.transfer;
  return { ok: { partner_trade_no: t.partnerTradeNo, payment_no: t.paymentNo, payment_time: ids.readableTime(t.paidAt) } };
}

/** `gettransferinfo` (spec v3-more §2.2): a 企业付款 by `partner_trade_no`. */
function getTransferInfo(deps: WireDeps, caller: Caller): Outcome {
  const t = deps.ledger.findBalanceTransfer(caller.merchant.mchId, caller.params['partner_trade_no']!);
  if (!t) return err('NOT_FOUND', '指定单号数据不存在');
  return {
    ok: {
      partner_trade_no: t.partnerTradeNo,
      detail_id: t.paymentNo,
      status: t.status,
      openid: t.openId,
      transfer_name: t.reUserName,
      payment_amount: t.amount,
      transfer_time: ids.readableTime(t.paidAt),
      payment_time: ids.readableTime(t.paidAt),
      desc: t.desc,
    },
  };
}

const HANDLERS: Readonly<Record<Endpoint, (deps: WireDeps, caller: Caller) => Outcome>> = {
  unifiedorder: unifiedOrder,
  orderquery: orderQuery,
  closeorder: closeOrder,
  refund,
  refundquery: refundQuery,
  downloadbill: downloadBill,
  getsignkey: () => err('SYSTEMERROR', '系统错误'),
  micropay,
  reverse,
  promotiontransfers: promotionTransfer,
  gettransferinfo: getTransferInfo,
};
