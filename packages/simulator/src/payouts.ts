/**
 * The older pay-out products, apart from any wire format (spec v3-more §2): batch transfers
 * (`/v3/transfer/batches`) and 企业付款到零钱 (v2 `/mmpaymkttransfers/…`). Their records and
 * rules; the {@link Ledger} exposes them, the v2 and v3 codecs map the outcomes to their dialects.
 *
 * A batch moves on business time, looked at lazily (every query or listing brings it up to date):
 * `ACCEPTED` at creation, `PROCESSING` from {@link BATCH_STEP_MS} later, `FINISHED` from twice that,
 * when each detail ends `SUCCESS`, or `FAIL` when its openid ends in `_FAIL`
 * ({@link BATCH_FAIL_REASON}). Advance the simulator's clock to step through it.
 */
import type { SimulatorClock } from './clock.js';
import * as ids from './ids.js';

/** Business time between a batch's states (`ACCEPTED` → `PROCESSING` → `FINISHED`). */
export const BATCH_STEP_MS = 5_000;

/** The `fail_reason` of a batch detail whose openid ends in `_FAIL`. */
export const BATCH_FAIL_REASON = 'ACCOUNT_FROZEN';

/** 企业付款 amount limits of the simulated product settings, in fen: ¥0.30 to ¥20,000 per payment. */
export const BALANCE_TRANSFER_MIN = 30;
export const BALANCE_TRANSFER_MAX = 2_000_000;

export type BatchStatus = 'ACCEPTED' | 'PROCESSING' | 'FINISHED';

/** One payee of a batch. */
export interface BatchDetailRecord {
  readonly outDetailNo: string;
  readonly detailId: string;
  readonly transferAmount: number;
  readonly transferRemark: string;
  readonly openId: string;
  /** Decrypted by the simulator with its own private key. */
  readonly userName: string | undefined;
  detailStatus: 'INIT' | 'PROCESSING' | 'SUCCESS' | 'FAIL';
  failReason: string | undefined;
  updatedAt: number;
}

/** A batch transfer. */
export interface BatchRecord {
  readonly mchId: string;
  readonly appId: string;
  readonly outBatchNo: string;
  readonly batchId: string;
  readonly batchName: string;
  readonly batchRemark: string;
  readonly transferSceneId: string | undefined;
  readonly notifyUrl: string | undefined;
  readonly totalAmount: number;
  readonly details: BatchDetailRecord[];
  /** The serial `user_name` was encrypted under, when names were sent. */
  readonly userNameSerial: string | undefined;
  batchStatus: BatchStatus;
  history: BatchStatus[];
  readonly createdAt: number;
  updatedAt: number;
  /** What makes a re-sent create "the same batch" (names compared decrypted). */
  readonly fingerprint: string;
}

/** A batch as the v3 codec read it. */
export type NewBatch = Omit<BatchRecord, 'batchId' | 'details' | 'batchStatus' | 'history' | 'createdAt' | 'updatedAt'> & {
  readonly details: readonly Omit<BatchDetailRecord, 'detailId' | 'detailStatus' | 'failReason' | 'updatedAt'>[];
};

/** A 企业付款 (paid at once: the simulated balance never runs short; inject `NOTENOUGH` as a fault). */
export interface BalanceTransferRecord {
  readonly mchId: string;
  readonly appId: string;
  readonly partnerTradeNo: string;
  readonly paymentNo: string;
  readonly openId: string;
  readonly checkName: string;
  readonly reUserName: string | undefined;
  readonly amount: number;
  readonly desc: string;
  readonly deviceInfo: string | undefined;
  readonly status: 'SUCCESS';
  readonly paidAt: number;
  readonly fingerprint: string;
}

export type NewBalanceTransfer = Omit<BalanceTransferRecord, 'paymentNo' | 'status' | 'paidAt'>;

export type BatchOutcome = { readonly batch: BatchRecord; readonly created: boolean } | { readonly refused: 'out-batch-no-used' };

export type BalanceTransferOutcome =
  | { readonly transfer: BalanceTransferRecord; readonly created: boolean }
  | { readonly refused: 'amount-limit' | 'partner-trade-no-used' };

const key = (mchId: string, no: string): string => `${mchId}\u0000${no}`;

/** Batches and 企业付款 in memory, by merchant and number. */
export class PayoutBook {
  private readonly batches = new Map<string, BatchRecord>();
  private readonly batchesById = new Map<string, BatchRecord>();
  private readonly balance = new Map<string, BalanceTransferRecord>();

  clear(): void {
    this.batches.clear();
    this.batchesById.clear();
    this.balance.clear();
  }

  /**
   * A new batch (`ACCEPTED`), or the batch made before under the same `out_batch_no` when the
   * request is the same (WeChat's advice: re-send the same batch number); another request under
   * the number is refused.
   */
  createBatch(draft: NewBatch, clock: SimulatorClock): BatchOutcome {
    const existing = this.batch(draft.mchId, { outBatchNo: draft.outBatchNo }, clock);
    if (existing)
      return existing.fingerprint === draft.fingerprint ? { batch: existing, created: false } : { refused: 'out-batch-no-used' };
    const now = clock.now();
    const batch: BatchRecord = {
      ...draft,
      batchId: ids.batchId(now),
      details: draft.details.map((d) => ({
        ...d,
        detailId: ids.batchDetailId(now),
        detailStatus: 'INIT',
        failReason: undefined,
        updatedAt: now,
      })),
      batchStatus: 'ACCEPTED',
      history: ['ACCEPTED'],
      createdAt: now,
      updatedAt: now,
    };
    this.batches.set(key(batch.mchId, batch.outBatchNo), batch);
    this.batchesById.set(batch.batchId, batch);
    return { batch, created: true };
  }

  /** A batch by `out_batch_no` or `batch_id`, brought up to date. */
  batch(
    mchId: string,
    lookup: { outBatchNo?: string | undefined; batchId?: string | undefined },
    clock: SimulatorClock,
  ): BatchRecord | undefined {
    const found = lookup.batchId ? this.batchesById.get(lookup.batchId) : this.batches.get(key(mchId, lookup.outBatchNo ?? ''));
    if (found === undefined || found.mchId !== mchId) return undefined;
    advanceBatch(found, clock.now());
    return found;
  }

  /** Every batch, brought up to date. */
  allBatches(clock: SimulatorClock): BatchRecord[] {
    const now = clock.now();
    return [...this.batches.values()].map((b) => (advanceBatch(b, now), b));
  }

  /**
   * A 企业付款: refused outside {@link BALANCE_TRANSFER_MIN}–{@link BALANCE_TRANSFER_MAX}; the
   * same `partner_trade_no` with the same request is the transfer made before (never a second
   * payment), with another request it is refused.
   */
  payToBalance(draft: NewBalanceTransfer, clock: SimulatorClock): BalanceTransferOutcome {
    const existing = this.balance.get(key(draft.mchId, draft.partnerTradeNo));
    if (existing)
      return existing.fingerprint === draft.fingerprint ? { transfer: existing, created: false } : { refused: 'partner-trade-no-used' };
    if (draft.amount < BALANCE_TRANSFER_MIN || draft.amount > BALANCE_TRANSFER_MAX) return { refused: 'amount-limit' };
    const now = clock.now();
    const transfer: BalanceTransferRecord = { ...draft, paymentNo: ids.paymentNo(now), status: 'SUCCESS', paidAt: now };
    this.balance.set(key(transfer.mchId, transfer.partnerTradeNo), transfer);
    return { transfer, created: true };
  }

  balanceTransfer(mchId: string, partnerTradeNo: string): BalanceTransferRecord | undefined {
    return this.balance.get(key(mchId, partnerTradeNo));
  }

  allBalanceTransfers(): BalanceTransferRecord[] {
    return [...this.balance.values()];
  }
}

/** Moves a batch to where business time says it is. */
function advanceBatch(batch: BatchRecord, now: number): void {
  if (batch.batchStatus === 'ACCEPTED' && now >= batch.createdAt + BATCH_STEP_MS) {
    batch.batchStatus = 'PROCESSING';
    batch.history.push('PROCESSING');
    batch.updatedAt = batch.createdAt + BATCH_STEP_MS;
    for (const d of batch.details) {
      d.detailStatus = 'PROCESSING';
      d.updatedAt = batch.updatedAt;
    }
  }
  if (batch.batchStatus === 'PROCESSING' && now >= batch.createdAt + 2 * BATCH_STEP_MS) {
    batch.batchStatus = 'FINISHED';
    batch.history.push('FINISHED');
    batch.updatedAt = batch.createdAt + 2 * BATCH_STEP_MS;
    for (const d of batch.details) {
      const fails = d.openId.endsWith('_FAIL');
      d.detailStatus = fails ? 'FAIL' : 'SUCCESS';
      d.failReason = fails ? BATCH_FAIL_REASON : undefined;
      d.updatedAt = batch.updatedAt;
    }
  }
}

/** Success and failure sums of a finished batch (zero before). */
export function batchTotals(batch: BatchRecord): { successAmount: number; successNum: number; failAmount: number; failNum: number } {
  let successAmount = 0;
  let successNum = 0;
  let failAmount = 0;
  let failNum = 0;
  for (const d of batch.details) {
    if (d.detailStatus === 'SUCCESS') {
      successAmount += d.transferAmount;
      successNum++;
    } else if (d.detailStatus === 'FAIL') {
      failAmount += d.transferAmount;
      failNum++;
    }
  }
  return { successAmount, successNum, failAmount, failNum };
}
