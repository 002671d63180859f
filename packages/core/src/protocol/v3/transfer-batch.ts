/**
 * Batch transfers on the v3 wire (`/v3/transfer/batches`, spec v3-more §2.1): the mapping of the
 * verified create, batch-query and detail-query replies to the model. Amounts and counts must be
 * whole numbers; anything else is refused, never rounded.
 */
import { XmlError } from '../../errors.js';
import type { TransferBatch, TransferBatchCreated, TransferBatchDetail, TransferBatchDetailSummary } from '../../model/transfer-batch.js';
import { type JsonObject, required, text as wireText, whole as wireWhole } from './fields.js';

const text = (json: JsonObject, field: string): string | undefined => wireText(json[field], field);
const requiredText = (json: JsonObject, field: string): string => required(wireText(json[field], field), field);
const whole = (json: JsonObject, field: string): number | undefined => wireWhole(json[field], field, 'number');
const requiredWhole = (json: JsonObject, field: string): number => required(whole(json, field), field);

function object(json: JsonObject, field: string): JsonObject {
  const value = json[field];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new XmlError(`field '${field}' is missing`);
  return value as JsonObject;
}

/** Who the call was made for, when the reply leaves a name out. */
export interface TransferBatchCall {
  readonly appId: string;
  readonly mchId: string;
}

/** A verified create reply. */
export function toTransferBatchCreated(json: JsonObject): TransferBatchCreated {
  return Object.freeze({
    outBatchNo: requiredText(json, 'out_batch_no'),
    batchId: requiredText(json, 'batch_id'),
    createTime: text(json, 'create_time'),
    batchStatus: text(json, 'batch_status'),
    raw: Object.freeze({ ...json }),
  });
}

/** A verified batch-query reply: `transfer_batch` and, when listed, `transfer_detail_list`. */
export function toTransferBatch(json: JsonObject, call: TransferBatchCall): TransferBatch {
  const batch = object(json, 'transfer_batch');
  const list = json['transfer_detail_list'];
  if (list !== undefined && list !== null && !Array.isArray(list)) throw new XmlError("field 'transfer_detail_list' is not a list");
  const details: TransferBatchDetailSummary[] = (list ?? []).map((item: unknown, n: number) => {
    if (item === null || typeof item !== 'object') throw new XmlError(`field 'transfer_detail_list[${n}]' is not an object`);
    const d = item as JsonObject;
    return Object.freeze({
      detailId: requiredText(d, 'detail_id'),
      outDetailNo: requiredText(d, 'out_detail_no'),
      detailStatus: requiredText(d, 'detail_status'),
    });
  });
  return Object.freeze({
    mchId: text(batch, 'mchid') ?? call.mchId,
    appId: text(batch, 'appid') ?? call.appId,
    outBatchNo: requiredText(batch, 'out_batch_no'),
    batchId: requiredText(batch, 'batch_id'),
    batchStatus: requiredText(batch, 'batch_status'),
    batchType: text(batch, 'batch_type'),
    batchName: text(batch, 'batch_name'),
    batchRemark: text(batch, 'batch_remark'),
    closeReason: text(batch, 'close_reason'),
    totalAmount: requiredWhole(batch, 'total_amount'),
    totalNum: requiredWhole(batch, 'total_num'),
    successAmount: whole(batch, 'success_amount'),
    successNum: whole(batch, 'success_num'),
    failAmount: whole(batch, 'fail_amount'),
    failNum: whole(batch, 'fail_num'),
    transferSceneId: text(batch, 'transfer_scene_id'),
    createTime: text(batch, 'create_time'),
    updateTime: text(batch, 'update_time'),
    details: Object.freeze(details),
    raw: Object.freeze({ ...json }),
  });
}

/** A verified detail-query reply. */
export function toTransferBatchDetail(json: JsonObject, call: TransferBatchCall): TransferBatchDetail {
  return Object.freeze({
    mchId: text(json, 'mchid') ?? call.mchId,
    appId: text(json, 'appid') ?? call.appId,
    outBatchNo: requiredText(json, 'out_batch_no'),
    batchId: requiredText(json, 'batch_id'),
    outDetailNo: requiredText(json, 'out_detail_no'),
    detailId: requiredText(json, 'detail_id'),
    detailStatus: requiredText(json, 'detail_status'),
    transferAmount: requiredWhole(json, 'transfer_amount'),
    transferRemark: text(json, 'transfer_remark'),
    failReason: text(json, 'fail_reason'),
    openId: text(json, 'openid'),
    userName: text(json, 'user_name'),
    initiateTime: text(json, 'initiate_time'),
    updateTime: text(json, 'update_time'),
    raw: Object.freeze({ ...json }),
  });
}
