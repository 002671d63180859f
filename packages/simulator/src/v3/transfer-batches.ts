/**
 * Batch transfers (商家转账到零钱, `/v3/transfer/batches`, spec v3-more §2.1) on the v3 wire: create,
 * the two batch queries and the two detail queries. The rules and the batch's progress live in
 * `payouts.ts` behind the {@link Ledger}; this file reads requests, decrypts each `user_name` with
 * the simulator's own private key (selected by `Wechatpay-Serial`), and renders WeChat's replies.
 *
 * Open point 11 (1000 vs 3000 details per batch): the simulator follows the create page, 1000.
 * No `MCHTRANSFER.BATCH.*` callback is sent: query the batch.
 */
import { constants, publicEncrypt } from 'node:crypto';
import { merchantAcceptsAppId } from '../merchants.js';
import { batchTotals, type BatchDetailRecord, type BatchRecord } from '../payouts.js';
import type { SimulatorMerchant } from '../types.js';
import { isNotifyUrl, ParamError, Reader } from './reader.js';
import { errorAnswer, type Answer, type Json } from './reply.js';
import { transferTime, type TransferCall } from './transfers.js';

/** Most details per batch (the create page's limit, spec v3-more §2.1). */
export const MAX_BATCH_DETAILS = 1000;
/** From this amount (fen, ¥2,000) on a detail must name its payee; below {@link NAME_FLOOR} it must not. */
const REAL_NAME_THRESHOLD = 200_000;
const NAME_FLOOR = 30;

const NO = /^[A-Za-z0-9]+$/;

function compact(value: Json): Json {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** `user_name` in query replies: encrypted with the merchant's API certificate key, as the bill queries do. */
function sealForMerchant(name: string | undefined, merchant: SimulatorMerchant): string | undefined {
  if (name === undefined || merchant.v3 === undefined) return undefined;
  return publicEncrypt(
    { key: merchant.v3.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    Buffer.from(name, 'utf8'),
  ).toString('base64');
}

/** `POST /v3/transfer/batches`. */
export function createTransferBatch({ deps, merchant, body, serial }: TransferCall): Answer {
  const r = new Reader(body);
  const appId = r.string('appid', { required: true, max: 32 })!;
  const outBatchNo = r.string('out_batch_no', { required: true, max: 32, pattern: NO })!;
  const batchName = r.string('batch_name', { required: true, max: 32 })!;
  const batchRemark = r.string('batch_remark', { required: true, max: 32 })!;
  const totalAmount = r.int('total_amount', true)!;
  const totalNum = r.int('total_num', true)!;
  const sceneId = r.string('transfer_scene_id', { max: 36 });
  const notifyUrl = r.string('notify_url', { max: 256, test: isNotifyUrl });
  const list = body['transfer_detail_list'];
  if (!Array.isArray(list) || list.length === 0) throw new ParamError('transfer_detail_list', list ?? null, '字段缺失');
  if (list.length > MAX_BATCH_DETAILS) throw new ParamError('transfer_detail_list', null, `明细条数不能超过${MAX_BATCH_DETAILS}`);
  const seen = new Set<string>();
  const details = list.map((item: unknown, n) => {
    const d = new Reader({ item });
    const at = (f: string) => `transfer_detail_list/${n}/${f}`;
    const outDetailNo = d.string('item/out_detail_no', { required: true, max: 32, pattern: NO })!;
    if (seen.has(outDetailNo)) throw new ParamError(at('out_detail_no'), outDetailNo, '批次内明细单号重复');
    seen.add(outDetailNo);
    return {
      outDetailNo,
      transferAmount: d.int('item/transfer_amount', true)!,
      transferRemark: d.string('item/transfer_remark', { required: true, max: 32 })!,
      openId: d.string('item/openid', { required: true, max: 64 })!,
      cipher: d.string('item/user_name', { max: 1024 }) || undefined,
      at,
    };
  });
  if (totalNum !== details.length) throw new ParamError('total_num', totalNum, '转账总笔数与明细条数不一致');
  const sum = details.reduce((s, d) => s + d.transferAmount, 0);
  if (totalAmount !== sum) throw new ParamError('total_amount', totalAmount, '转账总金额与明细金额之和不一致');
  if (!merchantAcceptsAppId(merchant, appId)) return errorAnswer(400, 'INVALID_REQUEST', 'Openid格式错误或者不属于商家公众账号');
  const named = details.filter((d) => d.cipher !== undefined).length;
  if (named !== 0 && named !== details.length) {
    throw new ParamError('transfer_detail_list', null, '同一批次内的明细须全部填写或全部不填写收款用户姓名');
  }
  if (named > 0 && !serial) {
    throw new ParamError('transfer_detail_list', null, '加密敏感信息须在请求头Wechatpay-Serial中指明所用的微信支付公钥或平台证书序列号');
  }
  const plain = details.map((d) => {
    let userName: string | undefined;
    if (d.cipher !== undefined) {
      userName = deps.keyring.decrypt(serial!, d.cipher);
      if (userName === undefined)
        throw new ParamError(d.at('user_name'), null, '敏感信息解密失败，请检查Wechatpay-Serial与所用的公钥是否匹配');
      if (d.transferAmount < NAME_FLOOR) throw new ParamError(d.at('user_name'), null, '转账金额小于0.3元时，不允许填写收款用户姓名');
    }
    if (userName === undefined && d.transferAmount >= REAL_NAME_THRESHOLD) {
      throw new ParamError(d.at('user_name'), null, '转账金额>=2000元时，收款用户姓名必填');
    }
    return { outDetailNo: d.outDetailNo, transferAmount: d.transferAmount, transferRemark: d.transferRemark, openId: d.openId, userName };
  });
  const outcome = deps.ledger.createTransferBatch({
    mchId: merchant.mchId,
    appId,
    outBatchNo,
    batchName,
    batchRemark,
    transferSceneId: sceneId || undefined,
    notifyUrl: notifyUrl || undefined,
    totalAmount,
    details: plain,
    userNameSerial: named > 0 ? serial : undefined,
    fingerprint: JSON.stringify([appId, batchName, batchRemark, sceneId ?? '', notifyUrl ?? '', totalAmount, plain]),
  });
  if ('refused' in outcome) return errorAnswer(400, 'INVALID_REQUEST', '商户批次单号重复，且与原批次请求参数不一致');
  const b = outcome.batch;
  return {
    status: 200,
    body: { out_batch_no: b.outBatchNo, batch_id: b.batchId, create_time: transferTime(b.createdAt), batch_status: b.batchStatus },
  };
}

const NOT_FOUND = (): Answer => errorAnswer(404, 'NOT_FOUND', '记录不存在');

/** `GET …/out-batch-no/{no}` and `GET …/batch-id/{id}` with `need_query_detail`, `offset`, `limit`, `detail_status`. */
export function queryTransferBatch({ deps, merchant, param }: TransferCall, query: URLSearchParams, by: 'out' | 'wx'): Answer {
  const need = query.get('need_query_detail');
  if (need !== 'true' && need !== 'false') throw new ParamError('need_query_detail', need, '应为true或false', 'query');
  const offset = Number(query.get('offset') ?? '0');
  if (!Number.isInteger(offset) || offset < 0) throw new ParamError('offset', query.get('offset'), '应为非负整数', 'query');
  const limit = Number(query.get('limit') ?? '20');
  if (!Number.isInteger(limit) || limit < 20 || limit > 100) throw new ParamError('limit', query.get('limit'), '取值范围为20-100', 'query');
  const status = query.get('detail_status') ?? (need === 'true' ? undefined : 'ALL');
  if (status === undefined || !['ALL', 'SUCCESS', 'FAIL', 'WAIT_PAY'].includes(status)) {
    throw new ParamError('detail_status', status ?? null, '查询明细时须指明ALL、SUCCESS、FAIL或WAIT_PAY', 'query');
  }
  const batch = deps.ledger.findTransferBatch(merchant.mchId, by === 'out' ? { outBatchNo: param } : { batchId: param });
  if (!batch) return NOT_FOUND();
  const totals = batch.batchStatus === 'FINISHED' ? batchTotals(batch) : undefined;
  const reply: Json = {
    transfer_batch: compact({
      mchid: batch.mchId,
      out_batch_no: batch.outBatchNo,
      batch_id: batch.batchId,
      appid: batch.appId,
      batch_status: batch.batchStatus,
      batch_type: 'API',
      batch_name: batch.batchName,
      batch_remark: batch.batchRemark,
      total_amount: batch.totalAmount,
      total_num: batch.details.length,
      create_time: transferTime(batch.createdAt),
      update_time: transferTime(batch.updatedAt),
      success_amount: totals?.successAmount,
      success_num: totals?.successNum,
      fail_amount: totals?.failAmount,
      fail_num: totals?.failNum,
      transfer_scene_id: batch.transferSceneId,
    }),
  };
  // The detail list comes only with a finished batch (spec v3-more §2.1).
  if (need === 'true' && batch.batchStatus === 'FINISHED') {
    const wanted = batch.details.filter((d) => status === 'ALL' || d.detailStatus === status);
    reply['transfer_detail_list'] = wanted.slice(offset, offset + limit).map((d) => ({
      detail_id: d.detailId,
      out_detail_no: d.outDetailNo,
      detail_status: d.detailStatus,
    }));
  }
  return { status: 200, body: reply };
}

/** The detail reply (both detail paths). */
function detailReply(batch: BatchRecord, d: BatchDetailRecord, merchant: SimulatorMerchant): Json {
  return compact({
    mchid: batch.mchId,
    out_batch_no: batch.outBatchNo,
    batch_id: batch.batchId,
    appid: batch.appId,
    out_detail_no: d.outDetailNo,
    detail_id: d.detailId,
    detail_status: d.detailStatus,
    transfer_amount: d.transferAmount,
    transfer_remark: d.transferRemark,
    fail_reason: d.failReason,
    openid: d.openId,
    user_name: sealForMerchant(d.userName, merchant),
    initiate_time: transferTime(batch.createdAt),
    update_time: transferTime(d.updatedAt),
  });
}

/** `GET …/out-batch-no/{no}/details/out-detail-no/{no}` and `GET …/batch-id/{id}/details/detail-id/{id}`. */
export function queryTransferBatchDetail({ deps, merchant, param }: TransferCall, detail: string | undefined, by: 'out' | 'wx'): Answer {
  const batch = deps.ledger.findTransferBatch(merchant.mchId, by === 'out' ? { outBatchNo: param } : { batchId: param });
  const d = batch?.details.find((x) => (by === 'out' ? x.outDetailNo === detail : x.detailId === detail));
  if (!batch || !d) return NOT_FOUND();
  return { status: 200, body: detailReply(batch, d, merchant) };
}
