/**
 * API v3's half of each operation (spec-v3 §3–§6): method and path, the JSON request body and the
 * reply's mapping to the model. {@link ./client.ts} runs them: it signs the request
 * (`WECHATPAY2-SHA256-RSA2048`), sends it, verifies the reply's signature, maps a non-2xx answer
 * to WxPayError / TransportError and retries per the operation.
 */
import { createHash } from 'node:crypto';
import type { ResolvedConfig, ResolvedMerchant, ResolvedV3Keys } from '../../config/types.js';
import { BillIntegrityError, ValidationError, XmlError } from '../../errors.js';
import type { UnifiedOrderInput, UnifiedOrderResult } from '../../model/contract.js';
import type { MicropayInput, MicropayResult } from '../../model/micropay.js';
import type { ClientPayParams, TradeType } from '../../model/payment.js';
import { mwebPayUrl } from '../../protocol/v2/client-params.js';
import { appPayParamsV3, jsapiPayParamsV3 } from '../../protocol/v3/client-params.js';
import { compactToRfc3339, toOrderQueryResult, toRefundQueryResult, toRefundResult, type JsonObject } from '../../protocol/v3/fields.js';
import { toCreateTransferResult, toTransferBill } from '../../protocol/v3/transfer.js';
import { toTransferBatch, toTransferBatchCreated, toTransferBatchDetail } from '../../protocol/v3/transfer-batch.js';
import type { CreateTransferInput } from '../../model/transfer.js';
import type { CreateTransferBatchInput } from '../../model/transfer-batch.js';
import {
  OPERATIONS,
  type InputOf,
  type NormalizedOf,
  type Operation,
  type OperationName,
  type ResultOf,
  type MicropayNormalized,
  type UnifiedOrderNormalized,
  type TransferBatchNormalized,
} from '../operations.js';
import { checkSubOpenId, decodeBill, inflateBill } from '../shared.js';
import { hasV3Code } from './errors.js';

/** What a mapper knows about the call besides its input. */
export interface V3Call {
  readonly config: ResolvedConfig;
  readonly merchant: ResolvedMerchant;
  readonly keys: ResolvedV3Keys;
  /** A signed GET of a file on the merchant's API origin; its reply is not signed (bill download: its hash vouches for it). */
  download(pathWithQuery: string): Promise<Buffer>;
}

/** API v3's declaration of one operation. */
export interface V3Operation<I, N, R> {
  readonly op: Operation<I, N, R>;
  readonly method: 'GET' | 'POST';
  /** The API name in logs and errors. */
  readonly api: string | ((input: I) => string);
  /** Path and query, for this input and merchant (direct or service provider). */
  readonly path: (input: I, merchant: ResolvedMerchant) => string;
  /** Checks needing the merchant, before anything is sent. */
  readonly check?: (input: I, merchant: ResolvedMerchant) => void;
  /**
   * Whether this input carries sensitive fields: then the executor fetches the WeChat Pay key they
   * are encrypted with, hands `body` the `seal` function, and names the key in `Wechatpay-Serial`.
   */
  readonly encrypts?: (input: I) => boolean;
  /** The JSON body of a POST; `seal` (when {@link encrypts}) encrypts one sensitive field. A POST without body sends none. */
  readonly body?: (input: I, normalized: N, merchant: ResolvedMerchant, seal: Seal | undefined) => Record<string, unknown>;
  /** The verified reply (undefined for an empty 204) as the model. */
  readonly map: (reply: JsonObject | undefined, input: I, call: V3Call) => R | Promise<R>;
  /** A failure that means the goal is reached (close: `ORDER_CLOSED`): the call resolves. */
  readonly done?: (error: unknown) => boolean;
}

/** Encrypts a sensitive field (RSA-OAEP) with the WeChat Pay key the request names in `Wechatpay-Serial`. */
export type Seal = (plain: string) => string;

type V3Table = { readonly [K in OperationName]: V3Operation<InputOf<K>, NormalizedOf<K>, ResultOf<K>> };

/** The v3 order endpoint of each trade type. */
const ORDER_PATHS: Readonly<Record<TradeType, string>> = { JSAPI: 'jsapi', APP: 'app', MWEB: 'h5', NATIVE: 'native' };

function required(reply: JsonObject | undefined, api: string): JsonObject {
  if (reply === undefined) throw new XmlError(`the ${api} reply is empty`);
  return reply;
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
    : {
        sp_appid: appId,
        sp_mchid: merchant.mchId,
        sub_mchid: merchant.subMchId,
        ...(merchant.subAppId ? { sub_appid: merchant.subAppId } : {}),
      };
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
      ...((h['app_name'] ?? h['wap_name']) ? { app_name: h['app_name'] ?? h['wap_name'] } : {}),
      ...((h['app_url'] ?? h['wap_url']) ? { app_url: h['app_url'] ?? h['wap_url'] } : {}),
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

function orderBody(input: UnifiedOrderInput, normalized: UnifiedOrderNormalized, merchant: ResolvedMerchant): Record<string, unknown> {
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
  return body;
}

function clientParams(input: UnifiedOrderInput, reply: JsonObject, call: V3Call): { params: ClientPayParams; prepayId: string } {
  const { merchant, keys, config } = call;
  const timestamp = Math.floor(config.now() / 1000);
  switch (input.tradeType) {
    case 'JSAPI': {
      const prepayId = stringField(reply, 'prepay_id');
      const appId = input.subOpenId !== undefined && merchant.subAppId ? merchant.subAppId : input.appId;
      return {
        prepayId,
        params: {
          tradeType: 'JSAPI',
          jsapi: jsapiPayParamsV3({ appId, prepayId, privateKey: keys.privateKey, timestamp, nonce: config.nonce() }),
        },
      };
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

function toUnifiedOrderResult(json: JsonObject | undefined, input: UnifiedOrderInput, call: V3Call): UnifiedOrderResult {
  const reply = required(json, `pay/transactions/${ORDER_PATHS[input.tradeType]}`);
  const { params, prepayId } = clientParams(input, reply, call);
  const { merchant } = call;
  return Object.freeze({
    appId: input.appId,
    mchId: merchant.mchId,
    subAppId: merchant.subAppId || undefined,
    subMchId: merchant.subMchId || undefined,
    raw: Object.freeze(reply),
    tradeType: input.tradeType,
    prepayId,
    codeUrl: typeof reply['code_url'] === 'string' ? reply['code_url'] : undefined,
    mwebUrl: typeof reply['h5_url'] === 'string' ? reply['h5_url'] : undefined,
    deviceInfo: input.deviceInfo,
    signType: 'RSA',
    clientParams: params,
  });
}

/**
 * `GET /v3/bill/tradebill` or `/v3/bill/fundflowbill`, then the signed download of its
 * `download_url`. The file is not signed: the hash in the verified reply vouches for it, computed
 * over the bill as uncompressed (spec v3-more §4.2), so a gzip download is inflated first; a
 * mismatch → {@link BillIntegrityError}.
 */
function downloadBillFile(api: string) {
  return async (json: JsonObject | undefined, _input: unknown, call: V3Call): Promise<string> => {
    const reply = required(json, api);
    const downloadUrl = new URL(stringField(reply, 'download_url'));
    // The Authorization header goes only to the merchant's own API origin.
    if (downloadUrl.origin !== new URL(call.merchant.baseUrl).origin)
      throw new XmlError('download_url is not on the WeChat Pay API origin');
    const hashType = typeof reply['hash_type'] === 'string' ? reply['hash_type'].toLowerCase() : 'sha1';
    if (hashType !== 'sha1' && hashType !== 'sha256') throw new XmlError(`${api} names an unknown hash_type`);
    const expected = stringField(reply, 'hash_value').toLowerCase();
    const plain = inflateBill(await call.download(`${downloadUrl.pathname}${downloadUrl.search}`));
    const actual = createHash(hashType).update(plain).digest('hex');
    if (actual !== expected) throw new BillIntegrityError(api, hashType, expected, actual);
    return decodeBill(plain);
  };
}

/** The codepay body (spec-v3-more §3.1): `payer.auth_code`, and `scene_info.store_info.id`, which WeChat requires. */
function codepayBody(input: MicropayInput, normalized: MicropayNormalized, merchant: ResolvedMerchant): Record<string, unknown> {
  const scene: Record<string, unknown> = { device_ip: input.spbillCreateIp, store_info: { id: normalized.storeId } };
  if (input.deviceInfo !== undefined && input.deviceInfo !== '') scene['device_id'] = input.deviceInfo;
  const body: Record<string, unknown> = {
    ...identity(merchant, input.appId),
    description: input.body,
    out_trade_no: input.outTradeNo,
    payer: { auth_code: input.authCode },
    amount: { total: input.totalFee, currency: input.feeType ?? 'CNY' },
    scene_info: scene,
  };
  if (input.attach !== undefined && input.attach !== '') body['attach'] = input.attach;
  if (input.goodsTag !== undefined) body['goods_tag'] = input.goodsTag;
  return body;
}

/**
 * The codepay reply: 200 with the paid transaction, or 202 `{"trade_state":"USERPAYING"}` (the
 * payer confirms on the phone; spec-v3-more §3.2). Any other state in a 2xx is not an answer
 * codepay gives.
 */
function toMicropayResult(json: JsonObject | undefined, input: MicropayInput, call: V3Call): MicropayResult {
  const reply = required(json, 'pay/transactions/codepay');
  const state = reply['trade_state'];
  if (state === 'USERPAYING') return Object.freeze({ tradeState: 'USERPAYING', outTradeNo: input.outTradeNo });
  if (state !== 'SUCCESS') throw new XmlError(`the codepay reply names trade_state ${String(state)}`);
  const payment = toOrderQueryResult(reply, { appId: input.appId, mchId: call.merchant.mchId });
  if (!payment.transactionId) throw new XmlError("field 'transaction_id' is missing");
  return Object.freeze({ tradeState: 'SUCCESS', outTradeNo: payment.outTradeNo, payment });
}

const TRANSFER_BILLS = '/v3/fund-app/mch-transfer/transfer-bills';

/** The create body (spec v3-more §1.3); `user_name` encrypted, absent optional fields left out. */
function transferBody(input: CreateTransferInput, merchant: ResolvedMerchant, seal: Seal | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = {
    appid: input.appId,
    out_bill_no: input.outBillNo,
    transfer_scene_id: input.transferSceneId,
    openid: input.openId,
    transfer_amount: input.transferAmount,
    transfer_remark: input.transferRemark,
  };
  if (input.userName !== undefined && input.userName !== '') {
    if (seal === undefined) throw new ValidationError('userName could not be encrypted', { field: 'userName' });
    body['user_name'] = seal(input.userName);
  }
  if (input.notifyUrl !== undefined && input.notifyUrl !== '') body['notify_url'] = input.notifyUrl;
  if (input.userRecvPerception !== undefined && input.userRecvPerception !== '') body['user_recv_perception'] = input.userRecvPerception;
  body['transfer_scene_report_infos'] = input.sceneReportInfos.map((r) => ({ info_type: r.infoType, info_content: r.infoContent }));
  if (merchant.subMchId !== undefined) body['sub_mchid'] = merchant.subMchId;
  return body;
}

/** Transfer bills are a direct-merchant call here; the service-provider variant has other paths. */
function directMerchantOnly(_input: unknown, merchant: ResolvedMerchant): void {
  if (merchant.subMchId !== undefined) {
    throw new ValidationError('transfer bills are supported for direct merchants only (this merchant has subMchId)', { field: 'merchant' });
  }
}

const TRANSFER_BATCHES = '/v3/transfer/batches';

/**
 * The batch create body (spec v3-more §2.1): `total_amount` and `total_num` computed from the
 * details, each `user_name` encrypted.
 */
function batchBody(input: CreateTransferBatchInput, normalized: TransferBatchNormalized, seal: Seal | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = {
    appid: input.appId,
    out_batch_no: input.outBatchNo,
    batch_name: input.batchName,
    batch_remark: input.batchRemark,
    total_amount: normalized.totalAmount,
    total_num: input.details.length,
    transfer_detail_list: input.details.map((d) => {
      const detail: Record<string, unknown> = {
        out_detail_no: d.outDetailNo,
        transfer_amount: d.transferAmount,
        transfer_remark: d.transferRemark,
        openid: d.openId,
      };
      if (d.userName !== undefined && d.userName !== '') {
        if (seal === undefined) throw new ValidationError('userName could not be encrypted', { field: 'details' });
        detail['user_name'] = seal(d.userName);
      }
      return detail;
    }),
  };
  if (input.transferSceneId !== undefined && input.transferSceneId !== '') body['transfer_scene_id'] = input.transferSceneId;
  if (input.notifyUrl !== undefined && input.notifyUrl !== '') body['notify_url'] = input.notifyUrl;
  return body;
}

/** The batch queries' parameters (`need_query_detail` is required by WeChat; paging only when listing). */
function batchQuery(input: {
  needQueryDetail?: boolean | undefined;
  offset?: number | undefined;
  limit?: number | undefined;
  detailStatus?: string | undefined;
}): string {
  if (input.needQueryDetail !== true) return '?need_query_detail=false';
  return `?need_query_detail=true&offset=${input.offset ?? 0}&limit=${input.limit ?? 20}&detail_status=${input.detailStatus ?? 'ALL'}`;
}

/** A call API v3 does not have: refused before anything is sent, saying which version offers it. */
function v2Only<I, N, R>(op: Operation<I, N, R>, what: string): V3Operation<I, N, R> {
  return {
    op,
    method: 'POST',
    api: op.name,
    path: () => '',
    check: () => {
      throw new ValidationError(`${op.name} is an API v2 call (${what})`, { field: 'merchant' });
    },
    map: () => {
      throw new XmlError(`${op.name} has no API v3 reply`);
    },
  };
}

/** API v3's operations, one declaration each. */
export const V3_OPERATIONS: V3Table = {
  unifiedOrder: {
    op: OPERATIONS.unifiedOrder,
    method: 'POST',
    api: (input) => `pay/transactions/${ORDER_PATHS[input.tradeType]}`,
    path: (input, merchant) => `${transactionsPath(merchant)}/${ORDER_PATHS[input.tradeType]}`,
    check: checkSubOpenId,
    body: orderBody,
    map: toUnifiedOrderResult,
  },
  queryOrder: {
    op: OPERATIONS.queryOrder,
    method: 'GET',
    api: (input) => (input.transactionId ? 'pay/transactions/id' : 'pay/transactions/out-trade-no'),
    path: (input, merchant) => {
      const by = input.transactionId
        ? `id/${encodeURIComponent(input.transactionId)}`
        : `out-trade-no/${encodeURIComponent(input.outTradeNo ?? '')}`;
      return `${transactionsPath(merchant)}/${by}?${mchQuery(merchant)}`;
    },
    map: (json, input, call) => toOrderQueryResult(required(json, 'pay/transactions'), { appId: input.appId, mchId: call.merchant.mchId }),
  },
  closeOrder: {
    op: OPERATIONS.closeOrder,
    method: 'POST',
    api: 'pay/transactions/close',
    path: (input, merchant) => `${transactionsPath(merchant)}/out-trade-no/${encodeURIComponent(input.outTradeNo)}/close`,
    body: (_input, _n, merchant) =>
      merchant.subMchId === undefined ? { mchid: merchant.mchId } : { sp_mchid: merchant.mchId, sub_mchid: merchant.subMchId },
    map: () => undefined,
    // Already closed: the goal is reached, as in v2.
    done: (error) => hasV3Code(error, 'ORDER_CLOSED'),
  },
  refund: {
    op: OPERATIONS.refund,
    method: 'POST',
    api: 'refund/domestic/refunds',
    path: () => '/v3/refund/domestic/refunds',
    body: (input, _n, merchant) => {
      const body: Record<string, unknown> = {
        ...(merchant.subMchId === undefined ? {} : { sub_mchid: merchant.subMchId }),
        ...(input.transactionId ? { transaction_id: input.transactionId } : { out_trade_no: input.outTradeNo }),
        out_refund_no: input.outRefundNo,
        amount: { refund: input.refundFee, total: input.totalFee, currency: input.refundFeeType ?? 'CNY' },
      };
      if (input.refundDesc !== undefined && input.refundDesc !== '') body['reason'] = input.refundDesc;
      if (input.notifyUrl !== undefined) body['notify_url'] = input.notifyUrl;
      if (input.refundAccount === 'REFUND_SOURCE_RECHARGE_FUNDS') body['funds_account'] = 'AVAILABLE';
      return body;
    },
    map: (json, input, call) => toRefundResult(required(json, 'refund'), { appId: input.appId, mchId: call.merchant.mchId }),
  },
  queryRefund: {
    op: OPERATIONS.queryRefund,
    method: 'GET',
    api: 'refund/domestic/refunds/{out_refund_no}',
    check: (input) => {
      if (input.outRefundNo === undefined || input.outRefundNo === '') {
        throw new ValidationError('outRefundNo is required: API v3 queries a refund by the merchant refund number', {
          field: 'outRefundNo',
        });
      }
    },
    path: (input, merchant) => {
      const query = merchant.subMchId === undefined ? '' : `?sub_mchid=${encodeURIComponent(merchant.subMchId)}`;
      return `/v3/refund/domestic/refunds/${encodeURIComponent(input.outRefundNo ?? '')}${query}`;
    },
    map: (json, input, call) => toRefundQueryResult(required(json, 'refund query'), { appId: input.appId, mchId: call.merchant.mchId }),
  },
  downloadBill: {
    op: OPERATIONS.downloadBill,
    method: 'GET',
    api: 'bill/tradebill',
    check: (input) => {
      if (input.billType === 'RECHARGE_REFUND')
        throw new ValidationError('billType RECHARGE_REFUND has no API v3 trade bill', { field: 'billType' });
    },
    path: (input, merchant) => {
      const d = input.billDate;
      let query = `bill_date=${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}&bill_type=${input.billType ?? 'ALL'}`;
      if (input.gzip) query += '&tar_type=GZIP';
      if (merchant.subMchId !== undefined) query += `&sub_mchid=${encodeURIComponent(merchant.subMchId)}`;
      return `/v3/bill/tradebill?${query}`;
    },
    map: downloadBillFile('tradebill'),
  },
  downloadFundFlowBill: {
    op: OPERATIONS.downloadFundFlowBill,
    method: 'GET',
    api: 'bill/fundflowbill',
    path: (input) => {
      const d = input.billDate;
      let query = `bill_date=${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}&account_type=${input.accountType ?? 'BASIC'}`;
      if (input.gzip) query += '&tar_type=GZIP';
      return `/v3/bill/fundflowbill?${query}`;
    },
    map: downloadBillFile('fundflowbill'),
  },
  createTransfer: {
    op: OPERATIONS.createTransfer,
    method: 'POST',
    api: 'fund-app/mch-transfer/transfer-bills',
    check: directMerchantOnly,
    path: () => TRANSFER_BILLS,
    encrypts: (input) => input.userName !== undefined && input.userName !== '',
    body: (input, _n, merchant, seal) => transferBody(input, merchant, seal),
    map: (json, input, call) =>
      toCreateTransferResult(required(json, 'transfer-bills'), { appId: input.appId, mchId: call.merchant.mchId }),
  },
  queryTransfer: {
    op: OPERATIONS.queryTransfer,
    method: 'GET',
    api: (input) => (input.outBillNo ? 'transfer-bills/out-bill-no' : 'transfer-bills/transfer-bill-no'),
    check: directMerchantOnly,
    path: (input) =>
      input.outBillNo
        ? `${TRANSFER_BILLS}/out-bill-no/${encodeURIComponent(input.outBillNo)}`
        : `${TRANSFER_BILLS}/transfer-bill-no/${encodeURIComponent(input.transferBillNo ?? '')}`,
    map: (json, input, call) => toTransferBill(required(json, 'transfer-bills query'), { appId: input.appId, mchId: call.merchant.mchId }),
  },
  cancelTransfer: {
    op: OPERATIONS.cancelTransfer,
    method: 'POST',
    api: 'transfer-bills/out-bill-no/cancel',
    check: directMerchantOnly,
    path: (input) => `${TRANSFER_BILLS}/out-bill-no/${encodeURIComponent(input.outBillNo)}/cancel`,
    // No body: the request is signed over an empty body line (spec v3-more §1.8).
    map: (json, input, call) => toTransferBill(required(json, 'transfer-bills cancel'), { appId: input.appId, mchId: call.merchant.mchId }),
  },
  micropay: {
    op: OPERATIONS.micropay,
    method: 'POST',
    api: 'pay/transactions/codepay',
    path: (_input, merchant) => `${transactionsPath(merchant)}/codepay`,
    body: codepayBody,
    map: toMicropayResult,
  },
  reverse: {
    op: OPERATIONS.reverse,
    method: 'POST',
    api: 'pay/transactions/reverse',
    check: (input) => {
      if (input.outTradeNo === undefined || input.outTradeNo === '') {
        throw new ValidationError('outTradeNo is required: API v3 reverses an order by the merchant order number', { field: 'outTradeNo' });
      }
    },
    path: (input, merchant) => `${transactionsPath(merchant)}/out-trade-no/${encodeURIComponent(input.outTradeNo ?? '')}/reverse`,
    body: (input, _n, merchant) => identity(merchant, input.appId),
    map: () => undefined,
  },
  createTransferBatch: {
    op: OPERATIONS.createTransferBatch,
    method: 'POST',
    api: 'transfer/batches',
    check: (_input, merchant) => {
      if (merchant.subMchId !== undefined) {
        throw new ValidationError('transfer batches are supported for direct merchants only (this merchant has subMchId)', {
          field: 'merchant',
        });
      }
    },
    path: () => TRANSFER_BATCHES,
    encrypts: (input) => input.details.some((d) => d.userName !== undefined && d.userName !== ''),
    body: (input, normalized, _merchant, seal) => batchBody(input, normalized, seal),
    map: (json) => toTransferBatchCreated(required(json, 'transfer/batches')),
  },
  queryTransferBatch: {
    op: OPERATIONS.queryTransferBatch,
    method: 'GET',
    api: (input) => (input.outBatchNo ? 'transfer/batches/out-batch-no' : 'transfer/batches/batch-id'),
    check: directMerchantOnly,
    path: (input) =>
      input.outBatchNo
        ? `${TRANSFER_BATCHES}/out-batch-no/${encodeURIComponent(input.outBatchNo)}${batchQuery(input)}`
        : `${TRANSFER_BATCHES}/batch-id/${encodeURIComponent(input.batchId ?? '')}${batchQuery(input)}`,
    map: (json, input, call) =>
      toTransferBatch(required(json, 'transfer/batches query'), { appId: input.appId ?? '', mchId: call.merchant.mchId }),
  },
  queryTransferBatchDetail: {
    op: OPERATIONS.queryTransferBatchDetail,
    method: 'GET',
    api: (input) => (input.outBatchNo ? 'transfer/batches/out-batch-no/details' : 'transfer/batches/batch-id/details'),
    check: directMerchantOnly,
    path: (input) =>
      input.outBatchNo
        ? `${TRANSFER_BATCHES}/out-batch-no/${encodeURIComponent(input.outBatchNo)}/details/out-detail-no/${encodeURIComponent(input.outDetailNo ?? '')}`
        : `${TRANSFER_BATCHES}/batch-id/${encodeURIComponent(input.batchId ?? '')}/details/detail-id/${encodeURIComponent(input.detailId ?? '')}`,
    map: (json, input, call) =>
      toTransferBatchDetail(required(json, 'transfer/batches detail'), { appId: input.appId ?? '', mchId: call.merchant.mchId }),
  },
  transferToBalance: v2Only(OPERATIONS.transferToBalance, '企业付款'),
  queryTransferToBalance: v2Only(OPERATIONS.queryTransferToBalance, '企业付款'),
};
