/**
 * Batch transfers (商家转账到零钱, `/v3/transfer/batches`), protocol-neutral: the older API v3
 * product that merchants holding its permission before 2025-01-15 keep. What a batch call takes
 * and answers. Amounts are integers in fen. Nothing here imports anything of ours.
 */

/** A batch's state. `WAIT_PAY` only in query replies; `CLOSED` when WeChat closed it (see `closeReason`). */
export type TransferBatchStatus = 'ACCEPTED' | 'PROCESSING' | 'WAIT_PAY' | 'FINISHED' | 'CLOSED' | (string & {});

/** A detail's state within its batch. */
export type TransferDetailStatus = 'INIT' | 'WAIT_PAY' | 'PROCESSING' | 'SUCCESS' | 'FAIL' | (string & {});

/** Most details one batch may carry (the create page's limit; the query model mentions 3000). */
export const TRANSFER_BATCH_MAX_DETAILS = 1000;

/** From this amount (fen, ¥2,000) on, a detail must name the payee (`userName`). */
export const TRANSFER_BATCH_REAL_NAME_THRESHOLD = 200_000;

/** Below this amount (fen, ¥0.30) a detail must not name the payee. */
export const TRANSFER_BATCH_NAME_FLOOR = 30;

/** One payee of a batch. */
export interface TransferBatchDetailInput {
  /** Merchant detail number: 1–32 letters and digits, unique within the batch. */
  readonly outDetailNo: string;
  /** Amount in fen, a positive integer. */
  readonly transferAmount: number;
  /** Shown to the payee; at most 32 characters. */
  readonly transferRemark: string;
  /** The payee under the batch's `appId`. */
  readonly openId: string;
  /**
   * The payee's real name, in plain text: the client encrypts it (RSA-OAEP) before sending.
   * Required from {@link TRANSFER_BATCH_REAL_NAME_THRESHOLD} fen on, refused below
   * {@link TRANSFER_BATCH_NAME_FLOOR}; within one batch either every detail names its payee or none does.
   */
  readonly userName?: string | undefined;
}

/** Input of `WxPayClient.createTransferBatch` (`POST /v3/transfer/batches`). */
export interface CreateTransferBatchInput {
  /** The merchant's configured `name`. */
  readonly merchant: string;
  /** The `appid` the payees' `openid`s belong to. */
  readonly appId: string;
  /** Merchant batch number: 1–32 letters and digits. Re-sending it resumes the same batch. */
  readonly outBatchNo: string;
  /** At most 32 characters. */
  readonly batchName: string;
  /** At most 32 characters. */
  readonly batchRemark: string;
  /** 1 to {@link TRANSFER_BATCH_MAX_DETAILS} payees; `total_amount` and `total_num` are computed from them. */
  readonly details: readonly TransferBatchDetailInput[];
  /** The transfer scene granted to the merchant (optional here). */
  readonly transferSceneId?: string | undefined;
  /** Where WeChat sends `MCHTRANSFER.BATCH.FINISHED` / `CLOSED` (no query string). */
  readonly notifyUrl?: string | undefined;
}

/** A created (or resumed) batch, as the create call answers. */
export interface TransferBatchCreated {
  readonly outBatchNo: string;
  /** WeChat's batch id. */
  readonly batchId: string;
  readonly createTime: string | undefined;
  readonly batchStatus: TransferBatchStatus | undefined;
  /** The verified JSON reply as received. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Input of `WxPayClient.queryTransferBatch`: exactly one of `outBatchNo` / `batchId`. */
export interface TransferBatchQueryInput {
  readonly merchant: string;
  /** Optional: the batch's `appid`. It is not sent (the query names the batch alone). */
  readonly appId?: string | undefined;
  readonly outBatchNo?: string | undefined;
  readonly batchId?: string | undefined;
  /** List the details (`transfer_detail_list`, given by WeChat once the batch is `FINISHED`). Default false. */
  readonly needQueryDetail?: boolean | undefined;
  /** First detail to list, from 0. Default 0. */
  readonly offset?: number | undefined;
  /** Details per page, 20–100. Default 20. */
  readonly limit?: number | undefined;
  /** Which details to list. Default `ALL` when details are asked for. */
  readonly detailStatus?: 'ALL' | 'SUCCESS' | 'FAIL' | 'WAIT_PAY' | undefined;
}

/** One detail of a batch query's list. */
export interface TransferBatchDetailSummary {
  readonly detailId: string;
  readonly outDetailNo: string;
  readonly detailStatus: TransferDetailStatus;
}

/** A batch as a query answers. */
export interface TransferBatch {
  readonly mchId: string;
  readonly appId: string;
  readonly outBatchNo: string;
  readonly batchId: string;
  readonly batchStatus: TransferBatchStatus;
  /** `API` or `WEB`. */
  readonly batchType: string | undefined;
  readonly batchName: string | undefined;
  readonly batchRemark: string | undefined;
  /** Why WeChat closed the batch (`OVERDUE_CLOSE`, `TRANSFER_SCENE_INVALID`). */
  readonly closeReason: string | undefined;
  /** In fen. */
  readonly totalAmount: number;
  readonly totalNum: number;
  readonly successAmount: number | undefined;
  readonly successNum: number | undefined;
  readonly failAmount: number | undefined;
  readonly failNum: number | undefined;
  readonly transferSceneId: string | undefined;
  readonly createTime: string | undefined;
  readonly updateTime: string | undefined;
  /** The page of details asked for; empty unless asked and the batch is finished. */
  readonly details: readonly TransferBatchDetailSummary[];
  /** The verified JSON reply as received. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Input of `WxPayClient.queryTransferBatchDetail`: `outBatchNo` + `outDetailNo`, or `batchId` + `detailId`. */
export interface TransferBatchDetailQueryInput {
  readonly merchant: string;
  /** Optional: the batch's `appid`. It is not sent. */
  readonly appId?: string | undefined;
  readonly outBatchNo?: string | undefined;
  readonly outDetailNo?: string | undefined;
  readonly batchId?: string | undefined;
  readonly detailId?: string | undefined;
}

/** One detail of a batch, as the detail query answers. */
export interface TransferBatchDetail {
  readonly mchId: string;
  readonly appId: string;
  readonly outBatchNo: string;
  readonly batchId: string;
  readonly outDetailNo: string;
  readonly detailId: string;
  readonly detailStatus: TransferDetailStatus;
  /** In fen. */
  readonly transferAmount: number;
  readonly transferRemark: string | undefined;
  /** Why the detail failed (`FAIL`), e.g. `ACCOUNT_FROZEN`; unknown values pass through. */
  readonly failReason: string | undefined;
  readonly openId: string | undefined;
  /** The payee's name as WeChat returns it: ciphertext (Base64), not decrypted here. */
  readonly userName: string | undefined;
  readonly initiateTime: string | undefined;
  readonly updateTime: string | undefined;
  /** The verified JSON reply as received. */
  readonly raw: Readonly<Record<string, unknown>>;
}
