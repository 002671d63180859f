/**
 * Checks every client input before anything is sent (spec §5, §10). Each failure is a
 * {@link ValidationError} whose `field` is the caller's (camelCase) name; values are not echoed.
 */
import { isIP } from 'node:net';
import { ValidationError } from '../errors.js';
import type {
  CloseOrderInput,
  DownloadBillInput,
  DownloadFundFlowBillInput,
  OrderQueryInput,
  RefundInput,
  RefundQueryInput,
  TradeType,
  UnifiedOrderInput,
  MicropayInput,
  ReverseInput,
} from './types.js';
import {
  TRANSFER_REAL_NAME_THRESHOLD,
  type CancelTransferInput,
  type CreateTransferInput,
  type TransferQueryInput,
} from '../model/transfer.js';
import {
  TRANSFER_BATCH_MAX_DETAILS,
  TRANSFER_BATCH_NAME_FLOOR,
  TRANSFER_BATCH_REAL_NAME_THRESHOLD,
  type CreateTransferBatchInput,
  type TransferBatchDetailQueryInput,
  type TransferBatchQueryInput,
} from '../model/transfer-batch.js';
import type { BalanceTransferInput, BalanceTransferQueryInput } from '../model/balance-transfer.js';

const TRADE_TYPES: ReadonlySet<string> = new Set<TradeType>(['JSAPI', 'NATIVE', 'APP', 'MWEB']);
/** `out_trade_no` (≤32) and `out_refund_no` (≤64): letters, digits and `_ - | * @` (spec §10). */
const ORDER_NO = /^[A-Za-z0-9_\-|*@]+$/;
const APP_ID = /^[A-Za-z0-9_-]{1,32}$/;
const WECHAT_ID = /^[A-Za-z0-9_-]+$/;
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Without any of these, {@link NOT_XML_CHAR} (slower: it pairs surrogates) cannot match. */
// eslint-disable-next-line no-control-regex
const SUSPECT_CHAR = /[\u0000-\u0008\u000B-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
/** Largest amount accepted, in fen: ¥100,000,000, far above WeChat's own per-payment limits. */
export const MAX_FEE = 10_000_000_000;

function fail(field: string, message: string): never {
  throw new ValidationError(`${field} ${message}`, { field });
}

/** A required string: present, within `max` characters, no surrounding spaces, XML-safe. */
export function text(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value === '') fail(field, 'is required');
  return optionalText(field, value, max) as string;
}

/** An optional string with the same rules as {@link text}. */
export function optionalText(field: string, value: unknown, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(field, 'must be a string');
  if (value === '') return undefined;
  if (value.length > max && codePoints(value) > max) fail(field, `must be at most ${max} characters`);
  if (value.trim() !== value) fail(field, 'must not start or end with whitespace (WeChat signs values untrimmed)');
  if (SUSPECT_CHAR.test(value) && NOT_XML_CHAR.test(value)) fail(field, 'contains a control character');
  return value;
}

/** Characters counted as Unicode code points: a surrogate pair is one. */
function codePoints(value: string): number {
  let count = value.length;
  for (let i = 0; i < value.length - 1; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = value.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

/** An amount in fen: a positive safe integer. */
export function fee(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(field, 'must be a whole number of fen');
  if (value <= 0) fail(field, 'must be positive');
  if (value > MAX_FEE) fail(field, `must be at most ${MAX_FEE} fen`);
  return value;
}

function orderNo(field: string, value: unknown, max: number): string {
  const v = text(field, value, max);
  if (!ORDER_NO.test(v)) fail(field, 'may only contain letters, digits and _ - | * @');
  return v;
}

function optionalOrderNo(field: string, value: unknown, max: number): string | undefined {
  return value === undefined || value === '' ? undefined : orderNo(field, value, max);
}

function wechatId(field: string, value: unknown, max: number): string | undefined {
  const v = optionalText(field, value, max);
  if (v !== undefined && !WECHAT_ID.test(v)) fail(field, 'may only contain letters, digits, _ and -');
  return v;
}

function target(input: { merchant?: unknown; appId?: unknown }): void {
  text('merchant', input.merchant, 64);
  const appId = text('appId', input.appId, 32);
  if (!APP_ID.test(appId)) fail('appId', 'must be 1-32 letters, digits, _ or -');
}

/** Notify URLs already accepted (an app uses a few); bounded. */
const acceptedNotifyUrls = new Set<string>();

/** An absolute http(s) URL without query string, at most 256 characters (spec §10). */
export function notifyUrl(field: string, value: unknown): string {
  if (typeof value === 'string' && acceptedNotifyUrls.has(value)) return value;
  const v = text(field, value, 256);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    fail(field, 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(field, 'must be an http(s) URL');
  if (v.includes('?') || v.includes('#')) fail(field, 'must not have a query string or fragment');
  if (acceptedNotifyUrls.size >= 256) acceptedNotifyUrls.clear();
  acceptedNotifyUrls.add(v);
  return v;
}

/** `yyyyMMddHHmmss` in Beijing time (UTC+8), from a Date or checked text. */
export function beijingTime(field: string, value: string | Date | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) fail(field, 'is an invalid Date');
    const d = new Date(value.getTime() + 8 * 3600_000);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  }
  if (typeof value !== 'string' || !/^\d{14}$/.test(value)) fail(field, 'must be yyyyMMddHHmmss or a Date');
  return value;
}

function json(field: string, value: unknown, max: number): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'object') {
    let encoded: string;
    try {
      encoded = JSON.stringify(value);
    } catch {
      fail(field, 'could not be serialized as JSON');
    }
    return optionalText(field, encoded, max);
  }
  return optionalText(field, value, max);
}

/** The unifiedorder input, checked. Returns the normalized text of JSON and time fields. */
export function validateUnifiedOrder(input: UnifiedOrderInput): {
  sceneInfo: string | undefined;
  detail: string | undefined;
  timeStart: string | undefined;
  timeExpire: string | undefined;
} {
  target(input);
  if (!TRADE_TYPES.has(input.tradeType)) fail('tradeType', 'must be JSAPI, NATIVE, APP or MWEB');
  orderNo('outTradeNo', input.outTradeNo, 32);
  fee('totalFee', input.totalFee);
  text('body', input.body, 128);
  const ip = text('spbillCreateIp', input.spbillCreateIp, 64);
  if (isIP(ip) === 0) fail('spbillCreateIp', 'must be an IPv4 or IPv6 address');
  notifyUrl('notifyUrl', input.notifyUrl);
  wechatId('openId', input.openId, 128);
  wechatId('subOpenId', input.subOpenId, 128);
  optionalText('productId', input.productId, 32);
  optionalText('attach', input.attach, 127);
  optionalText('deviceInfo', input.deviceInfo, 32);
  optionalText('goodsTag', input.goodsTag, 32);
  if (input.feeType !== undefined && !/^[A-Z]{3}$/.test(input.feeType)) fail('feeType', 'must be an ISO 4217 code such as CNY');
  if (input.limitPay !== undefined && input.limitPay !== 'no_credit') fail('limitPay', "must be 'no_credit'");
  if (input.redirectUrl !== undefined && input.redirectUrl !== '') {
    const redirect = text('redirectUrl', input.redirectUrl, 2048);
    if (!/^https?:\/\//i.test(redirect)) fail('redirectUrl', 'must be an absolute http(s) URL');
  }
  const sceneInfo = json('sceneInfo', input.sceneInfo, 256);
  const detail = json('detail', input.detail, 6000);
  if (input.tradeType === 'JSAPI' && input.openId === undefined && input.subOpenId === undefined) {
    fail('openId', 'is required for JSAPI payments');
  }
  if (input.tradeType === 'NATIVE' && (input.productId === undefined || input.productId === '')) {
    fail('productId', 'is required for NATIVE payments');
  }
  if (input.tradeType === 'MWEB' && sceneInfo === undefined) fail('sceneInfo', 'is required for H5 (MWEB) payments');
  return {
    sceneInfo,
    detail,
    timeStart: beijingTime('timeStart', input.timeStart),
    timeExpire: beijingTime('timeExpire', input.timeExpire),
  };
}

function oneOf(fields: readonly string[], input: Readonly<Record<string, unknown>>): void {
  if (fields.every((f) => input[f] === undefined || input[f] === '')) fail(fields[0]!, `or ${fields.slice(1).join(' or ')} is required`);
}

/** orderquery: one of `outTradeNo` / `transactionId`. */
export function validateOrderQuery(input: OrderQueryInput): void {
  target(input);
  oneOf(['outTradeNo', 'transactionId'], input as never);
  optionalOrderNo('outTradeNo', input.outTradeNo, 32);
  wechatId('transactionId', input.transactionId, 32);
}

/** closeorder. */
export function validateCloseOrder(input: CloseOrderInput): void {
  target(input);
  orderNo('outTradeNo', input.outTradeNo, 32);
}

/** refund: ids, amounts (refund at most the total), optional texts. */
export function validateRefund(input: RefundInput): void {
  target(input);
  oneOf(['outTradeNo', 'transactionId'], input as never);
  optionalOrderNo('outTradeNo', input.outTradeNo, 32);
  wechatId('transactionId', input.transactionId, 32);
  orderNo('outRefundNo', input.outRefundNo, 64);
  fee('totalFee', input.totalFee);
  fee('refundFee', input.refundFee);
  if (input.refundFee > input.totalFee) fail('refundFee', 'must not exceed totalFee');
  if (input.refundFeeType !== undefined && !/^[A-Z]{3}$/.test(input.refundFeeType))
    fail('refundFeeType', 'must be an ISO 4217 code such as CNY');
  optionalText('refundDesc', input.refundDesc, 80);
  if (
    input.refundAccount !== undefined &&
    input.refundAccount !== 'REFUND_SOURCE_UNSETTLED_FUNDS' &&
    input.refundAccount !== 'REFUND_SOURCE_RECHARGE_FUNDS'
  ) {
    fail('refundAccount', 'must be REFUND_SOURCE_UNSETTLED_FUNDS or REFUND_SOURCE_RECHARGE_FUNDS');
  }
  if (input.notifyUrl !== undefined) notifyUrl('notifyUrl', input.notifyUrl);
}

/** refundquery: one of the four ids; a non-negative offset. */
export function validateRefundQuery(input: RefundQueryInput): void {
  target(input);
  oneOf(['refundId', 'outRefundNo', 'transactionId', 'outTradeNo'], input as never);
  wechatId('refundId', input.refundId, 32);
  optionalOrderNo('outRefundNo', input.outRefundNo, 64);
  wechatId('transactionId', input.transactionId, 32);
  optionalOrderNo('outTradeNo', input.outTradeNo, 32);
  if (input.offset !== undefined && (!Number.isInteger(input.offset) || input.offset < 0))
    fail('offset', 'must be a non-negative whole number');
}

/** downloadbill: a `yyyyMMdd` date and a known bill type. */
export function validateDownloadBill(input: DownloadBillInput): void {
  target(input);
  if (typeof input.billDate !== 'string' || !/^\d{8}$/.test(input.billDate)) fail('billDate', 'must be yyyyMMdd');
  if (input.billType !== undefined && !['ALL', 'SUCCESS', 'REFUND', 'RECHARGE_REFUND'].includes(input.billType)) {
    fail('billType', 'must be ALL, SUCCESS, REFUND or RECHARGE_REFUND');
  }
}

/** downloadfundflow / fundflowbill: a `yyyyMMdd` date and a known account. */
export function validateDownloadFundFlowBill(input: DownloadFundFlowBillInput): void {
  target(input);
  if (typeof input.billDate !== 'string' || !/^\d{8}$/.test(input.billDate)) fail('billDate', 'must be yyyyMMdd');
  if (input.accountType !== undefined && !['BASIC', 'OPERATION', 'FEES'].includes(input.accountType)) {
    fail('accountType', 'must be BASIC, OPERATION or FEES');
  }
}

/** `out_bill_no`: 1–32 letters and digits only (no `_ - | * @`, unlike order numbers). */
const BILL_NO = /^[A-Za-z0-9]+$/;

function billNo(field: string, value: unknown): string {
  const v = text(field, value, 32);
  if (!BILL_NO.test(v)) fail(field, 'may only contain letters and digits');
  return v;
}

/**
 * A transfer bill (商家转账): bill number, scene, payee, amount in fen, remark (≤32 characters),
 * the payee's real name from {@link TRANSFER_REAL_NAME_THRESHOLD} fen on, and the scene's report
 * rows (labels ≤15, contents ≤32 characters).
 */
export function validateCreateTransfer(input: CreateTransferInput): void {
  target(input);
  billNo('outBillNo', input.outBillNo);
  const scene = text('transferSceneId', input.transferSceneId, 36);
  if (!/^[A-Za-z0-9]+$/.test(scene)) fail('transferSceneId', 'may only contain letters and digits');
  const openId = text('openId', input.openId, 64);
  if (!WECHAT_ID.test(openId)) fail('openId', 'may only contain letters, digits, _ and -');
  fee('transferAmount', input.transferAmount);
  text('transferRemark', input.transferRemark, 32);
  const userName = optionalText('userName', input.userName, 64);
  if (userName === undefined && input.transferAmount >= TRANSFER_REAL_NAME_THRESHOLD) {
    fail(
      'userName',
      `is required from ${TRANSFER_REAL_NAME_THRESHOLD} fen (¥${TRANSFER_REAL_NAME_THRESHOLD / 100}) on: WeChat checks the payee's real name`,
    );
  }
  if (input.notifyUrl !== undefined && input.notifyUrl !== '') notifyUrl('notifyUrl', input.notifyUrl);
  optionalText('userRecvPerception', input.userRecvPerception, 64);
  const rows = input.sceneReportInfos;
  if (!Array.isArray(rows) || rows.length === 0) fail('sceneReportInfos', "must list the scene's report rows");
  if (rows.length > 10) fail('sceneReportInfos', 'must have at most 10 rows');
  rows.forEach((row, n) => {
    if (row === null || typeof row !== 'object') fail(`sceneReportInfos[${n}]`, 'must be an object');
    text(`sceneReportInfos[${n}].infoType`, row.infoType, 15);
    text(`sceneReportInfos[${n}].infoContent`, row.infoContent, 32);
  });
}

/** A transfer query: exactly one of `outBillNo` / `transferBillNo`. */
export function validateTransferQuery(input: TransferQueryInput): void {
  target(input);
  const hasOut = input.outBillNo !== undefined && input.outBillNo !== '';
  const hasWx = input.transferBillNo !== undefined && input.transferBillNo !== '';
  if (hasOut === hasWx) fail('outBillNo', hasOut ? 'and transferBillNo must not both be given' : 'or transferBillNo is required');
  if (hasOut) billNo('outBillNo', input.outBillNo);
  else {
    const no = text('transferBillNo', input.transferBillNo, 64);
    if (!/^[A-Za-z0-9]+$/.test(no)) fail('transferBillNo', 'may only contain letters and digits');
  }
}

/** A transfer cancel: the merchant bill number. */
export function validateCancelTransfer(input: CancelTransferInput): void {
  target(input);
  billNo('outBillNo', input.outBillNo);
}

/**
 * A WeChat payment code as the payer's app shows it: 18 digits starting with 10–15 (spec §5.8).
 * The message never echoes the code.
 */
export const AUTH_CODE = /^1[0-5]\d{16}$/;

/** micropay / codepay: the order, the amount, the payment code and the terminal's IP. */
export function validateMicropay(input: MicropayInput): { storeId: string } {
  target(input);
  orderNo('outTradeNo', input.outTradeNo, 32);
  fee('totalFee', input.totalFee);
  text('body', input.body, 127);
  if (typeof input.authCode !== 'string' || input.authCode === '') fail('authCode', 'is required');
  if (!AUTH_CODE.test(input.authCode)) fail('authCode', 'must be a WeChat payment code: 18 digits starting with 10-15');
  const ip = text('spbillCreateIp', input.spbillCreateIp, 64);
  if (isIP(ip) === 0) fail('spbillCreateIp', 'must be an IPv4 or IPv6 address');
  optionalText('attach', input.attach, 127);
  const device = optionalText('deviceInfo', input.deviceInfo, 32);
  const store = optionalText('storeId', input.storeId, 32);
  optionalText('goodsTag', input.goodsTag, 32);
  if (input.feeType !== undefined && !/^[A-Z]{3}$/.test(input.feeType)) fail('feeType', 'must be an ISO 4217 code such as CNY');
  if (input.limitPay !== undefined && input.limitPay !== 'no_credit') fail('limitPay', "must be 'no_credit'");
  return { storeId: store ?? device ?? 'default' };
}

/** reverse: one of `outTradeNo` / `transactionId`. */
export function validateReverse(input: ReverseInput): void {
  target(input);
  oneOf(['outTradeNo', 'transactionId'], input as never);
  optionalOrderNo('outTradeNo', input.outTradeNo, 32);
  wechatId('transactionId', input.transactionId, 32);
}

/** An openid: 1–`max` letters, digits, `_` and `-`. */
function openId(field: string, value: unknown, max: number): string {
  const v = text(field, value, max);
  if (!WECHAT_ID.test(v)) fail(field, 'may only contain letters, digits, _ and -');
  return v;
}

/** A WeChat number of a batch or detail: letters and digits, at most 64. */
function wechatNo(field: string, value: unknown): string {
  const v = text(field, value, 64);
  if (!BILL_NO.test(v)) fail(field, 'may only contain letters and digits');
  return v;
}

const given = (value: unknown): boolean => value !== undefined && value !== null && value !== '';

/**
 * A batch transfer (`/v3/transfer/batches`): batch number, name and remark (≤32 characters), 1 to
 * {@link TRANSFER_BATCH_MAX_DETAILS} details with unique numbers, whole positive fen, remarks
 * (≤32), openids, and WeChat's name rules: required from ¥2,000, refused below ¥0.30, all or none
 * within the batch. Returns the batch total in fen (`total_amount`).
 */
export function validateCreateTransferBatch(input: CreateTransferBatchInput): { totalAmount: number } {
  target(input);
  billNo('outBatchNo', input.outBatchNo);
  text('batchName', input.batchName, 32);
  text('batchRemark', input.batchRemark, 32);
  const scene = optionalText('transferSceneId', input.transferSceneId, 36);
  if (scene !== undefined && !/^[A-Za-z0-9]+$/.test(scene)) fail('transferSceneId', 'may only contain letters and digits');
  if (input.notifyUrl !== undefined && input.notifyUrl !== '') notifyUrl('notifyUrl', input.notifyUrl);
  const details = input.details;
  if (!Array.isArray(details) || details.length === 0) fail('details', 'must list at least one payee');
  if (details.length > TRANSFER_BATCH_MAX_DETAILS) fail('details', `must list at most ${TRANSFER_BATCH_MAX_DETAILS} payees`);
  const seen = new Set<string>();
  let total = 0;
  let named = 0;
  details.forEach((detail, n) => {
    const at = `details[${n}]`;
    if (detail === null || typeof detail !== 'object') fail(at, 'must be an object');
    const no = billNo(`${at}.outDetailNo`, detail.outDetailNo);
    if (seen.has(no)) fail(`${at}.outDetailNo`, 'repeats another detail of the batch');
    seen.add(no);
    const amount = fee(`${at}.transferAmount`, detail.transferAmount);
    text(`${at}.transferRemark`, detail.transferRemark, 32);
    openId(`${at}.openId`, detail.openId, 64);
    const name = optionalText(`${at}.userName`, detail.userName, 64);
    if (name === undefined && amount >= TRANSFER_BATCH_REAL_NAME_THRESHOLD) {
      fail(`${at}.userName`, `is required from ${TRANSFER_BATCH_REAL_NAME_THRESHOLD} fen (¥2,000) on: WeChat checks the payee's real name`);
    }
    if (name !== undefined && amount < TRANSFER_BATCH_NAME_FLOOR) {
      fail(`${at}.userName`, `must not be given below ${TRANSFER_BATCH_NAME_FLOOR} fen (¥0.30)`);
    }
    if (name !== undefined) named++;
    total += amount;
  });
  if (named !== 0 && named !== details.length) {
    fail('details', 'must name every payee (userName) or none: WeChat refuses a batch that names only some');
  }
  if (!Number.isSafeInteger(total) || total > MAX_FEE) fail('details', `must add up to at most ${MAX_FEE} fen`);
  return { totalAmount: total };
}

/** A call that names the merchant, and an app id only optionally (it is not sent). */
function merchantTarget(input: { merchant?: unknown; appId?: unknown }): void {
  text('merchant', input.merchant, 64);
  if (given(input.appId)) target(input);
}

/** A batch query: exactly one of `outBatchNo` / `batchId`; paging within WeChat's bounds. */
export function validateTransferBatchQuery(input: TransferBatchQueryInput): void {
  merchantTarget(input);
  const hasOut = given(input.outBatchNo);
  if (hasOut === given(input.batchId)) fail('outBatchNo', hasOut ? 'and batchId must not both be given' : 'or batchId is required');
  if (hasOut) billNo('outBatchNo', input.outBatchNo);
  else wechatNo('batchId', input.batchId);
  if (input.needQueryDetail !== undefined && typeof input.needQueryDetail !== 'boolean') fail('needQueryDetail', 'must be true or false');
  if (input.offset !== undefined && (!Number.isInteger(input.offset) || input.offset < 0))
    fail('offset', 'must be a non-negative whole number');
  if (input.limit !== undefined && (!Number.isInteger(input.limit) || input.limit < 20 || input.limit > 100)) {
    fail('limit', 'must be a whole number from 20 to 100');
  }
  if (input.detailStatus !== undefined && !['ALL', 'SUCCESS', 'FAIL', 'WAIT_PAY'].includes(input.detailStatus)) {
    fail('detailStatus', 'must be ALL, SUCCESS, FAIL or WAIT_PAY');
  }
}

/** A detail query: `outBatchNo` + `outDetailNo`, or `batchId` + `detailId`. */
export function validateTransferBatchDetailQuery(input: TransferBatchDetailQueryInput): void {
  merchantTarget(input);
  if (given(input.batchId) || given(input.detailId)) {
    if (given(input.outBatchNo) || given(input.outDetailNo)) {
      fail('batchId', 'and detailId, or outBatchNo and outDetailNo: give one pair, not both');
    }
    wechatNo('batchId', input.batchId);
    wechatNo('detailId', input.detailId);
    return;
  }
  if (!given(input.outBatchNo)) fail('outBatchNo', 'and outDetailNo (or batchId and detailId) are required');
  billNo('outBatchNo', input.outBatchNo);
  billNo('outDetailNo', input.outDetailNo);
}

/** `partner_trade_no`: 1–32 letters and digits. */
function partnerTradeNo(value: unknown): string {
  const v = text('partnerTradeNo', value, 32);
  if (!BILL_NO.test(v)) fail('partnerTradeNo', 'may only contain letters and digits');
  return v;
}

/**
 * 企业付款到零钱: transfer number, payee, whole positive fen, `desc` (≤100 characters), the
 * caller's IP, and the name rule: `FORCE_CHECK` needs `reUserName` (≤64), `NO_CHECK` sends none.
 * Returns the `check_name` to send and the name, if any.
 */
export function validateBalanceTransfer(input: BalanceTransferInput): {
  checkName: 'NO_CHECK' | 'FORCE_CHECK';
  reUserName: string | undefined;
} {
  target(input);
  partnerTradeNo(input.partnerTradeNo);
  openId('openId', input.openId, 64);
  fee('amount', input.amount);
  text('desc', input.desc, 100);
  const ip = text('spbillCreateIp', input.spbillCreateIp, 32);
  if (isIP(ip) === 0) fail('spbillCreateIp', 'must be an IPv4 or IPv6 address');
  optionalText('deviceInfo', input.deviceInfo, 32);
  const name = optionalText('reUserName', input.reUserName, 64);
  const check = input.checkName ?? (name === undefined ? 'NO_CHECK' : 'FORCE_CHECK');
  if (check !== 'NO_CHECK' && check !== 'FORCE_CHECK') fail('checkName', 'must be NO_CHECK or FORCE_CHECK');
  if (check === 'FORCE_CHECK' && name === undefined) fail('reUserName', "is required with checkName FORCE_CHECK (the payee's real name)");
  if (check === 'NO_CHECK' && name !== undefined) fail('reUserName', 'is only sent with checkName FORCE_CHECK');
  return { checkName: check, reUserName: check === 'FORCE_CHECK' ? name : undefined };
}

/** The 企业付款 query: the transfer number. */
export function validateBalanceTransferQuery(input: BalanceTransferQueryInput): void {
  target(input);
  partnerTradeNo(input.partnerTradeNo);
}
