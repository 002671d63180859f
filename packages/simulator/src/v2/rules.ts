import { isIP } from 'node:net';
import type { XmlRecord } from '@wxpay-kit/core/protocol';
import * as ids from '../ids.js';
import type { Endpoint } from './routes.js';

/** Communication-layer failures (`return_code=FAIL`, unsigned; spec §4) and their `return_msg`. */
export const RETURN_MSG = {
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
export type ReturnCode = keyof typeof RETURN_MSG;

/** downloadbill words its failures differently (spec §5.6). */
export const BILL_RETURN_MSG: Partial<Record<ReturnCode, string>> = {
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
  auth_code: { max: 128 },
  offset: { pattern: /^\d{1,4}$/ },
  // 企业付款 (spec v3-more §2.2).
  mch_appid: { max: 128 },
  mchid: { max: 32 },
  partner_trade_no: { max: 32, pattern: /^[A-Za-z0-9]+$/ },
  check_name: { oneOf: ['NO_CHECK', 'FORCE_CHECK'] },
  re_user_name: { max: 64 },
  amount: { pattern: FEE },
  desc: { max: 100 },
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
  micropay: { all: [...ENVELOPE, 'body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'auth_code'] },
  reverse: { all: ENVELOPE, anyOf: ['transaction_id', 'out_trade_no'] },
  promotiontransfers: {
    all: ['mch_appid', 'mchid', 'nonce_str', 'sign', 'partner_trade_no', 'openid', 'check_name', 'amount', 'desc', 'spbill_create_ip'],
  },
  gettransferinfo: { all: [...ENVELOPE, 'partner_trade_no'] },
};

/** A request that fails the parameter checks: the return code and its `return_msg` detail. */
export interface ParamFailure {
  readonly code: 'LACK_PARAMS' | 'PARAM_ERROR';
  readonly detail: string;
  /** The detail is the reply's `return_msg` as it is, even for downloadbill (which words the others its own way). */
  readonly verbatim?: boolean;
}

/** Checks an API's required fields, then every known field's length and format (spec §5, §11). */
export function checkParams(endpoint: Endpoint, params: XmlRecord): ParamFailure | undefined {
  const required = REQUIRED[endpoint];
  const missing = required.all.find((name) => !params[name]);
  if (missing !== undefined) return { code: 'LACK_PARAMS', detail: `缺少参数${missing}` };
  if (required.anyOf && !required.anyOf.some((name) => params[name])) {
    return { code: 'LACK_PARAMS', detail: `${required.anyOf.join('、')}至少填一个` };
  }
  for (const [name, value] of Object.entries(params)) {
    const rule = RULES[name];
    if (rule === undefined || value === '') continue;
    if (rule.max !== undefined && [...value].length > rule.max) return { code: 'PARAM_ERROR', detail: `${name}参数长度有误` };
    const bad =
      (rule.pattern !== undefined && !rule.pattern.test(value)) ||
      (rule.oneOf !== undefined && !rule.oneOf.includes(value)) ||
      (rule.test !== undefined && !rule.test(value));
    if (bad && endpoint === 'downloadbill' && name === 'bill_type')
      return { code: 'PARAM_ERROR', detail: 'invalid bill_type', verbatim: true };
    if (bad) return { code: 'PARAM_ERROR', detail: `${name}参数格式错误` };
  }
  return undefined;
}

function isNotifyUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && !value.includes('?');
}
