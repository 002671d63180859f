/**
 * The transfer-bills API (商家转账, spec v3-more §1) on the v3 wire: create, cancel, the two
 * queries, and the `MCHTRANSFER.BILL.FINISHED` resource. The rules live in the {@link Ledger};
 * this file reads requests, decrypts `user_name` with the simulator's own private key (selected by
 * `Wechatpay-Serial`), and renders WeChat's replies and error codes.
 */
import { constants, publicEncrypt } from 'node:crypto';
import type { TransferRecord } from '../state.js';
import type { SimulatorMerchant } from '../types.js';
import { merchantAcceptsAppId } from '../merchants.js';
import type { Ledger } from '../ledger.js';
import type { WechatpayKeyring } from './keys.js';
import { isNotifyUrl, ParamError, Reader } from './reader.js';
import { errorAnswer, type Answer, type Json } from './reply.js';
import { readableTime } from '../ids.js';

/** From this amount (fen) on, `user_name` is required (WeChat's real-name rule, ¥2,000). */
export const REAL_NAME_THRESHOLD = 200_000;
/** The largest single transfer the simulated product settings allow, in fen (¥200,000). */
export const MAX_TRANSFER_AMOUNT = 20_000_000;

/**
 * Scenes and their fixed report labels, in order (spec v3-more §1.4). Other scene ids are not
 * granted to simulated merchants.
 */
export const TRANSFER_SCENES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  '1000': ['活动名称', '奖励说明'],
  '1002': ['补贴类型'],
  '1004': ['保险产品备案编号', '保险名称', '保险操作单号'],
  '1005': ['岗位类型', '报酬说明'],
  '1009': ['采购商品名称'],
  '1010': ['回收商品名称'],
  '1011': ['赔付原因'],
  '1013': ['公益活动名称', '公益活动备案编号'],
});

const BILL_NO = /^[A-Za-z0-9]+$/;

/** RFC 3339 with milliseconds, Beijing time, as transfer replies carry it: `2015-05-20T13:29:35.120+08:00`. */
export function transferTime(ms: number): string {
  return `${readableTime(ms).replace(' ', 'T')}.${String(ms % 1000).padStart(3, '0')}+08:00`;
}

function compact(value: Json): Json {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** The create reply: `package_info` only while the bill waits for the payee. */
export function createReply(bill: TransferRecord): Json {
  return compact({
    out_bill_no: bill.outBillNo,
    transfer_bill_no: bill.transferBillNo,
    create_time: transferTime(bill.createdAt),
    state: bill.state,
    fail_reason: bill.state === 'FAIL' ? bill.failReason : undefined,
    package_info: bill.state === 'WAIT_USER_CONFIRM' ? bill.packageInfo : undefined,
  });
}

/** The query reply (both query paths); `user_name` comes back encrypted with the merchant's API certificate key. */
export function queryReply(bill: TransferRecord, merchant: SimulatorMerchant): Json {
  return compact({
    mch_id: bill.mchId,
    out_bill_no: bill.outBillNo,
    transfer_bill_no: bill.transferBillNo,
    appid: bill.appId,
    state: bill.state,
    transfer_amount: bill.transferAmount,
    transfer_remark: bill.transferRemark,
    fail_reason: bill.failReason,
    openid: bill.openId,
    user_name:
      bill.userName === undefined || merchant.v3 === undefined
        ? undefined
        : publicEncrypt(
            { key: merchant.v3.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
            Buffer.from(bill.userName, 'utf8'),
          ).toString('base64'),
    create_time: transferTime(bill.createdAt),
    update_time: transferTime(bill.updatedAt),
  });
}

/** The decrypted resource of `MCHTRANSFER.BILL.FINISHED`. */
export function transferResource(bill: TransferRecord): Json {
  return compact({
    out_bill_no: bill.outBillNo,
    transfer_bill_no: bill.transferBillNo,
    state: bill.state,
    mch_id: bill.mchId,
    transfer_amount: bill.transferAmount,
    openid: bill.openId,
    fail_reason: bill.state === 'SUCCESS' ? undefined : bill.failReason,
    create_time: transferTime(bill.createdAt),
    update_time: transferTime(bill.updatedAt),
  });
}

/** A v3 call's parts the transfer handlers need. */
export interface TransferCall {
  /** The ledger the rules live in, and the WeChat Pay keys that decrypt `user_name`. */
  readonly deps: { readonly ledger: Ledger; readonly keyring: WechatpayKeyring };
  readonly merchant: SimulatorMerchant;
  readonly param: string | undefined;
  readonly body: Json;
  /** The request's `Wechatpay-Serial`. */
  readonly serial: string | undefined;
}

/** `POST /v3/fund-app/mch-transfer/transfer-bills`. */
export function createTransferBill({ deps, merchant, body, serial }: TransferCall): Answer {
  const r = new Reader(body);
  const appId = r.string('appid', { required: true, max: 32 })!;
  const outBillNo = r.string('out_bill_no', { required: true, max: 32, pattern: BILL_NO })!;
  const sceneId = r.string('transfer_scene_id', { required: true, max: 36 })!;
  const openId = r.string('openid', { required: true, max: 64 })!;
  const amount = r.int('transfer_amount', true)!;
  const remark = r.string('transfer_remark', { required: true, max: 32 })!;
  const cipher = r.string('user_name', { max: 1024 });
  const notifyUrl = r.string('notify_url', { max: 256, test: isNotifyUrl });
  // The seed gateway sends "" for an absent perception or name: accepted as absent.
  const perception = r.string('user_recv_perception', { max: 64 });
  const rows = body['transfer_scene_report_infos'];
  if (!Array.isArray(rows) || rows.length === 0)
    throw new ParamError('transfer_scene_report_infos', rows ?? null, '需传入转账场景报备信息,请检查');
  const reports = rows.map((row: unknown, n) => {
    const rr = new Reader({ row });
    const infoType = rr.string('row/info_type', { required: true, max: 15 });
    const infoContent = rr.string('row/info_content', { required: true, max: 32 });
    if (infoType === undefined || infoContent === undefined) throw new ParamError(`transfer_scene_report_infos/${n}`, row, '字段缺失');
    return { infoType, infoContent };
  });
  if (!merchantAcceptsAppId(merchant, appId)) return errorAnswer(400, 'INVALID_REQUEST', 'Openid格式错误或者不属于商家公众账号');
  const labels = TRANSFER_SCENES[sceneId];
  if (labels === undefined) return errorAnswer(403, 'NO_AUTH', '商户号未开通该转账场景');
  if (reports.length !== labels.length || reports.some((row, n) => row.infoType !== labels[n])) {
    throw new ParamError('transfer_scene_report_infos', rows, `需传入转账场景报备信息,请检查（场景${sceneId}：${labels.join('、')}）`);
  }
  if (amount > MAX_TRANSFER_AMOUNT) return errorAnswer(400, 'INVALID_REQUEST', '超过单笔转账上下限,核实产品设置是否准确');
  let userName: string | undefined;
  if (cipher) {
    if (!serial) throw new ParamError('user_name', null, '加密敏感信息须在请求头Wechatpay-Serial中指明所用的微信支付公钥或平台证书序列号');
    userName = deps.keyring.decrypt(serial, cipher);
    if (userName === undefined) throw new ParamError('user_name', null, '敏感信息解密失败，请检查Wechatpay-Serial与所用的公钥是否匹配');
  }
  if (userName === undefined && amount >= REAL_NAME_THRESHOLD)
    throw new ParamError('user_name', null, '转账金额>=2000元时，收款用户姓名必填');
  const outcome = deps.ledger.createTransfer({
    mchId: merchant.mchId,
    appId,
    outBillNo,
    transferSceneId: sceneId,
    openId,
    transferAmount: amount,
    transferRemark: remark,
    userName,
    userNameSerial: userName === undefined ? undefined : serial,
    userRecvPerception: perception || undefined,
    sceneReportInfos: reports,
    notifyUrl: notifyUrl || undefined,
    fingerprint: JSON.stringify([appId, sceneId, openId, amount, remark, userName ?? '', notifyUrl ?? '', perception ?? '', reports]),
  });
  if (outcome.refused !== undefined) return errorAnswer(400, 'INVALID_REQUEST', '商户单号重复，且与原单请求参数不一致');
  return { status: 200, body: createReply(outcome.bill) };
}

const NOT_FOUND = (): Answer => errorAnswer(404, 'NOT_FOUND', '记录不存在');

/** `GET …/out-bill-no/{out_bill_no}` and `GET …/transfer-bill-no/{transfer_bill_no}`. */
export function queryTransferBill({ deps, merchant, param }: TransferCall, by: 'out' | 'wx'): Answer {
  const bill = deps.ledger.findTransfer(merchant.mchId, by === 'out' ? { outBillNo: param } : { transferBillNo: param });
  return bill ? { status: 200, body: queryReply(bill, merchant) } : NOT_FOUND();
}

/** `POST …/out-bill-no/{out_bill_no}/cancel` (no body). */
export function cancelTransferBill({ deps, merchant, param }: TransferCall): Answer {
  const bill = deps.ledger.findTransfer(merchant.mchId, { outBillNo: param });
  if (!bill) return NOT_FOUND();
  const outcome = deps.ledger.cancelTransfer(bill, (b) => ({
    out_bill_no: b.outBillNo,
    transfer_bill_no: b.transferBillNo,
    state: b.state,
    update_time: transferTime(b.updatedAt),
  }));
  if ('refused' in outcome) return errorAnswer(400, 'INVALID_REQUEST', `转账单据状态为${bill.state}，不可撤销`);
  return { status: 200, body: outcome.reply };
}
