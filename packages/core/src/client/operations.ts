/**
 * The client's operations as data: each one's name, input validation and retry policy, declared
 * once for both API versions. Each version declares, per operation, its method and path, mutual
 * TLS, request builder and reply mapper (`v2/operations.ts`, `v3/operations.ts`), and runs them
 * all through one executor (`v2/client.ts`, `v3/client.ts`) that signs, sends, verifies and maps
 * errors. Adding an API call: see CONTRIBUTING.md, "Adding an API call".
 */
import type {
  CloseOrderInput,
  DownloadBillInput,
  DownloadFundFlowBillInput,
  OrderQueryInput,
  OrderQueryResult,
  RefundInput,
  RefundQueryInput,
  RefundQueryResult,
  RefundResult,
  UnifiedOrderInput,
  UnifiedOrderResult,
} from '../model/contract.js';
import type {
  CancelTransferInput,
  CreateTransferInput,
  CreateTransferResult,
  TransferBill,
  TransferQueryInput,
} from '../model/transfer.js';
import type { MicropayInput, MicropayResult, ReverseInput } from '../model/micropay.js';
import type {
  CreateTransferBatchInput,
  TransferBatch,
  TransferBatchCreated,
  TransferBatchDetail,
  TransferBatchDetailQueryInput,
  TransferBatchQueryInput,
} from '../model/transfer-batch.js';
import type { BalanceTransfer, BalanceTransferInput, BalanceTransferQueryInput, BalanceTransferResult } from '../model/balance-transfer.js';
import {
  validateCloseOrder,
  validateDownloadBill,
  validateDownloadFundFlowBill,
  validateMicropay,
  validateReverse,
  validateOrderQuery,
  validateRefund,
  validateRefundQuery,
  validateUnifiedOrder,
  validateCancelTransfer,
  validateCreateTransfer,
  validateTransferQuery,
  validateCreateTransferBatch,
  validateTransferBatchQuery,
  validateTransferBatchDetailQuery,
  validateBalanceTransfer,
  validateBalanceTransferQuery,
} from './validate.js';

/**
 * Whether a call repeats itself on a retryable failure (`SYSTEMERROR`, `BIZERR_NEED_RETRY`, a
 * transport failure):
 * - `never`: a repeat after an unknown outcome could meet changed parameters (unifiedorder:
 *   `OUT_TRADE_NO_USED`); the caller decides, and a query tells what happened.
 * - `safe`: the same request is the same effect (queries; close; a refund, whose `out_refund_no`
 *   makes a repeat the same refund: spec §4.1, §5.4; a transfer bill, whose `out_bill_no` WeChat
 *   documents as the way to resume the same transfer after an unknown outcome (原单重试, spec
 *   v3-more §1.5); a cancel, which names the bill; a reverse, which WeChat asks to repeat on
 *   `SYSTEMERROR` and `recall=Y`: spec §5.9; a transfer batch, whose `out_batch_no` WeChat asks to
 *   re-send after `SYSTEM_ERROR`, `NOT_ENOUGH` or no answer: spec v3-more §2.1; a 企业付款, whose
 *   `partner_trade_no` WeChat asks to keep when retrying after `SYSTEMERROR`: spec v3-more §2.2).
 *
 * A payment-code payment (`micropay`) is `never`: after an unknown outcome WeChat asks for a query
 * and a reverse, not a second submission (spec §4.1, §5.8).
 */
export type RetryPolicy = 'never' | 'safe';

/** One operation, the same in both versions. `N` is what validation hands to the request builders. */
export interface Operation<I, N, R> {
  /** The client method. */
  readonly name: string;
  readonly retry: RetryPolicy;
  /** Throws a ValidationError naming the field; returns normalized values for the builders. */
  readonly validate: (input: I) => N;
  /**
   * The one API version that has this call, when only one has it: `v3` (transfer bills, transfer
   * batches) or `v2` (企业付款). Such a call goes to that version's client for every merchant that
   * holds its keys (a v2 merchant with v3 keys makes v3 transfers; a v3 merchant with its API v2 key
   * and certificate makes a 企业付款); otherwise the version's declaration refuses it, naming the version.
   */
  readonly only?: 'v2' | 'v3' | undefined;
  /** Phantom: the result type, for the per-version declarations. */
  readonly result?: R;
}

function operation<I, N, R>(name: string, retry: RetryPolicy, validate: (input: I) => N, only?: 'v2' | 'v3'): Operation<I, N, R> {
  return Object.freeze({ name, retry, validate, only });
}

export type UnifiedOrderNormalized = ReturnType<typeof validateUnifiedOrder>;
export type MicropayNormalized = ReturnType<typeof validateMicropay>;
export type TransferBatchNormalized = ReturnType<typeof validateCreateTransferBatch>;
export type BalanceTransferNormalized = ReturnType<typeof validateBalanceTransfer>;

/** The operations every merchant has, whichever version it speaks. */
export const OPERATIONS = Object.freeze({
  unifiedOrder: operation<UnifiedOrderInput, UnifiedOrderNormalized, UnifiedOrderResult>('unifiedOrder', 'never', validateUnifiedOrder),
  queryOrder: operation<OrderQueryInput, void, OrderQueryResult>('queryOrder', 'safe', validateOrderQuery),
  closeOrder: operation<CloseOrderInput, void, void>('closeOrder', 'safe', validateCloseOrder),
  refund: operation<RefundInput, void, RefundResult>('refund', 'safe', validateRefund),
  queryRefund: operation<RefundQueryInput, void, RefundQueryResult>('queryRefund', 'safe', validateRefundQuery),
  downloadBill: operation<DownloadBillInput, void, string>('downloadBill', 'safe', validateDownloadBill),
  downloadFundFlowBill: operation<DownloadFundFlowBillInput, void, string>('downloadFundFlowBill', 'safe', validateDownloadFundFlowBill),
  createTransfer: operation<CreateTransferInput, void, CreateTransferResult>('createTransfer', 'safe', validateCreateTransfer, 'v3'),
  queryTransfer: operation<TransferQueryInput, void, TransferBill>('queryTransfer', 'safe', validateTransferQuery, 'v3'),
  cancelTransfer: operation<CancelTransferInput, void, TransferBill>('cancelTransfer', 'safe', validateCancelTransfer, 'v3'),
  micropay: operation<MicropayInput, MicropayNormalized, MicropayResult>('micropay', 'never', validateMicropay),
  reverse: operation<ReverseInput, void, void>('reverse', 'safe', validateReverse),
  createTransferBatch: operation<CreateTransferBatchInput, TransferBatchNormalized, TransferBatchCreated>(
    'createTransferBatch',
    'safe',
    validateCreateTransferBatch,
    'v3',
  ),
  queryTransferBatch: operation<TransferBatchQueryInput, void, TransferBatch>(
    'queryTransferBatch',
    'safe',
    validateTransferBatchQuery,
    'v3',
  ),
  queryTransferBatchDetail: operation<TransferBatchDetailQueryInput, void, TransferBatchDetail>(
    'queryTransferBatchDetail',
    'safe',
    validateTransferBatchDetailQuery,
    'v3',
  ),
  transferToBalance: operation<BalanceTransferInput, BalanceTransferNormalized, BalanceTransferResult>(
    'transferToBalance',
    'safe',
    validateBalanceTransfer,
    'v2',
  ),
  queryTransferToBalance: operation<BalanceTransferQueryInput, void, BalanceTransfer>(
    'queryTransferToBalance',
    'safe',
    validateBalanceTransferQuery,
    'v2',
  ),
});

export type Operations = typeof OPERATIONS;
export type OperationName = keyof Operations;
export const OPERATION_NAMES = Object.freeze(Object.keys(OPERATIONS)) as readonly OperationName[];

export type InputOf<K extends OperationName> = Operations[K] extends Operation<infer I, infer _N, infer _R> ? I : never;
export type NormalizedOf<K extends OperationName> = Operations[K] extends Operation<infer _I, infer N, infer _R> ? N : never;
export type ResultOf<K extends OperationName> = Operations[K] extends Operation<infer _I, infer _N, infer R> ? R : never;
