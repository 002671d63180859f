import type {
  CallOptions,
  CloseOrderInput,
  DownloadBillInput,
  DownloadFundFlowBillInput,
  OrderQueryInput,
  OrderQueryResult,
  RefundInput,
  RefundQueryInput,
  RefundQueryResult,
  RefundResult,
  SandboxSignKeyInput,
  UnifiedOrderInput,
  UnifiedOrderResult,
} from '../model/contract.js';
import type { MicropayInput, MicropayResult, ReverseInput } from '../model/micropay.js';
import type { VerifiedV3Notification } from '../protocol/v3/notify.js';
import type {
  CancelTransferInput,
  CreateTransferInput,
  CreateTransferResult,
  TransferBill,
  TransferQueryInput,
} from '../model/transfer.js';
import type { V3Keyring } from '../protocol/v3/verify.js';
import type {
  CreateTransferBatchInput,
  TransferBatch,
  TransferBatchCreated,
  TransferBatchDetail,
  TransferBatchDetailQueryInput,
  TransferBatchQueryInput,
} from '../model/transfer-batch.js';
import type { BalanceTransfer, BalanceTransferInput, BalanceTransferQueryInput, BalanceTransferResult } from '../model/balance-transfer.js';

export type * from '../model/contract.js';
export type * from '../model/micropay.js';
export type { TradeType, TradeState } from '../model/payment.js';
export type { RefundStatus, CouponRefund } from '../model/refund.js';
export type * from '../model/transfer.js';
export type * from '../model/transfer-batch.js';
export type * from '../model/balance-transfer.js';

/**
 * The WeChat Pay client, one interface for API v2 and v3 merchants alike: each call runs in its
 * merchant's API version. Inputs are validated before anything is sent (ValidationError naming
 * the field); replies are signature-checked (SignatureError) and FAIL replies become WxPayError;
 * network failures become TransportError. Queries are retried on SYSTEMERROR and transport
 * failures; unifiedorder never is (see `operations.ts`). Method docs name the v2 path.
 */
export interface WxPayClient {
  /** `/pay/unifiedorder`. */
  unifiedOrder(input: UnifiedOrderInput, options?: CallOptions): Promise<UnifiedOrderResult>;
  /** `/pay/orderquery`. */
  queryOrder(input: OrderQueryInput, options?: CallOptions): Promise<OrderQueryResult>;
  /** `/pay/closeorder`. Resolves also when WeChat says the order is already closed (`ORDERCLOSED`). */
  closeOrder(input: CloseOrderInput, options?: CallOptions): Promise<void>;
  /** `/secapi/pay/refund` over mutual TLS with the merchant certificate. */
  refund(input: RefundInput, options?: CallOptions): Promise<RefundResult>;
  /** `/pay/refundquery`. */
  queryRefund(input: RefundQueryInput, options?: CallOptions): Promise<RefundQueryResult>;
  /** `/pay/downloadbill`: the bill as text (CSV-like, backtick-prefixed fields, amounts in yuan). */
  downloadBill(input: DownloadBillInput, options?: CallOptions): Promise<string>;
  /**
   * The fund-flow bill (资金账单) of one day as text, in the trade bill's format (parse it with
   * `parseFundFlowBill`). API v2: `/pay/downloadfundflow` over mutual TLS, for merchants signing
   * with HMAC-SHA256 (the only sign type WeChat accepts there). API v3: `GET /v3/bill/fundflowbill`,
   * then the download, checked against the reply's SHA-1 (`BillIntegrityError` when it differs).
   */
  downloadFundFlowBill(input: DownloadFundFlowBillInput, options?: CallOptions): Promise<string>;
  /**
   * API v3 only: `POST /v3/fund-app/mch-transfer/transfer-bills` (商家转账). Validates before
   * sending (ValidationError naming the field; `userName` is required from 200,000 fen on),
   * encrypts `userName` with RSA-OAEP (SHA-1) under the WeChat Pay public key, else the newest
   * platform certificate, and names that key in `Wechatpay-Serial`. Repeated on `SYSTEM_ERROR` and
   * transport failures with the same `outBillNo`, which WeChat documents as the same transfer.
   * Resolves with the bill and, while it waits for the payee, `confirmParams` for
   * `wx.requestMerchantTransfer`. WeChat's refusals (`NOT_ENOUGH`, `NO_AUTH`, `PARAM_ERROR`, …) are
   * WxPayError with that `errCode`.
   */
  createTransfer(input: CreateTransferInput, options?: CallOptions): Promise<CreateTransferResult>;
  /** API v3 only: a transfer bill by `outBillNo` or by `transferBillNo` (WeChat keeps 30 days). */
  queryTransfer(input: TransferQueryInput, options?: CallOptions): Promise<TransferBill>;
  /**
   * API v3 only: `POST …/transfer-bills/out-bill-no/{outBillNo}/cancel`. Resolves with the bill in
   * `CANCELING` or `CANCELLED`; the final state arrives by callback or query.
   */
  cancelTransfer(input: CancelTransferInput, options?: CallOptions): Promise<TransferBill>;
  /**
   * `/pay/micropay` (v3: `/v3/pay/transactions/codepay`): submits a scanned payment code. Resolves
   * paid (`tradeState: 'SUCCESS'`, with the payment) or `USERPAYING` (v2's `err_code`, v3's HTTP
   * 202: the payer confirms on the phone; query until final). Rejects with WxPayError for every
   * other answer: `SYSTEMERROR` / `BANKERROR` leave the outcome unknown (query, then reverse); the
   * rest are refusals. Never repeated automatically: a repeat could pay twice. `authCode` is
   * checked (18 digits starting with 10–15) before anything is sent. `wxpay.micropay()` runs the
   * whole flow (query, reverse) for you.
   */
  micropay(input: MicropayInput, options?: CallOptions): Promise<MicropayResult>;
  /**
   * `/secapi/pay/reverse` over mutual TLS (v3: `/v3/pay/transactions/out-trade-no/{no}/reverse`):
   * cancels a payment-code order, refunding the payer when it was paid. Repeated on `SYSTEMERROR`,
   * on no answer and on v2's `recall=Y`, as WeChat asks, up to the client's `retries`. Only within
   * 7 days; WeChat asks for at least 15 s after the payment call.
   */
  reverse(input: ReverseInput, options?: CallOptions): Promise<void>;
  /**
   * API v3 only: `POST /v3/transfer/batches` (商家转账到零钱, the batch product merchants kept from
   * before 2025-01-15). Validates before sending (ValidationError naming the field, e.g.
   * `details[2].userName`): 1–1000 details with unique `outDetailNo`s, whole positive fen, a name
   * from ¥2,000 on, none below ¥0.30, every payee named or none. `total_amount` and `total_num` are
   * computed. Each `userName` is encrypted (RSA-OAEP, SHA-1) under the WeChat Pay public key, else the
   * newest platform certificate, named in `Wechatpay-Serial`. Repeated on `SYSTEM_ERROR` and transport
   * failures with the same `outBatchNo`, which WeChat documents as the same batch. Goes to API v3 for
   * any merchant holding v3 keys. WeChat's refusals (`NOT_ENOUGH`, `NO_AUTH`, `PARAM_ERROR`, …) are
   * WxPayError with that `errCode`.
   */
  createTransferBatch(input: CreateTransferBatchInput, options?: CallOptions): Promise<TransferBatchCreated>;
  /**
   * API v3 only: a batch by `outBatchNo` or `batchId`, with a page of its details when
   * `needQueryDetail` (WeChat lists them once the batch is `FINISHED`). WeChat keeps 30 days.
   */
  queryTransferBatch(input: TransferBatchQueryInput, options?: CallOptions): Promise<TransferBatch>;
  /** API v3 only: one detail of a batch, by `outBatchNo` + `outDetailNo` or `batchId` + `detailId`. */
  queryTransferBatchDetail(input: TransferBatchDetailQueryInput, options?: CallOptions): Promise<TransferBatchDetail>;
  /**
   * API v2: `/mmpaymkttransfers/promotion/transfers` (企业付款到零钱) over mutual TLS with the
   * merchant certificate, signed MD5 with the API v2 key (also for a v3 merchant that has both).
   * Validates before sending: whole positive fen, `desc` ≤100 characters, the caller's IP, and
   * `FORCE_CHECK` only with `reUserName`. Repeated on `SYSTEMERROR` and transport failures with the
   * same `partnerTradeNo`, which WeChat documents as the same transfer. Resolves once the money
   * reached the payee; `NOTENOUGH`, `AMOUNT_LIMIT`, `NAME_MISMATCH`, … are WxPayError with that
   * `errCode`. Direct production merchants only (no sandbox, no service-provider mode).
   */
  transferToBalance(input: BalanceTransferInput, options?: CallOptions): Promise<BalanceTransferResult>;
  /** API v2: `/mmpaymkttransfers/gettransferinfo` over mutual TLS: a 企业付款 by `partnerTradeNo` (WeChat keeps 30 days). */
  queryTransferToBalance(input: BalanceTransferQueryInput, options?: CallOptions): Promise<BalanceTransfer>;
  /** `/sandboxnew/pay/getsignkey`: the key sandbox calls are signed with. */
  getSandboxSignKey(input: SandboxSignKeyInput, options?: CallOptions): Promise<string>;
  /**
   * The key this merchant's messages are signed with: its API key, or for a sandbox merchant its
   * configured `sandboxKey`, else the sandbox sign key (fetched once, then cached). Verify pay notifications and decrypt refund
   * notifications with it.
   */
  signKey(merchant: string, options?: CallOptions): Promise<string>;
  /**
   * API v3 merchants only: verifies a v3 notification's `Wechatpay-*` headers over the exact body
   * (WeChat Pay public key or platform certificate, by `Wechatpay-Serial`; ±5 minutes) and
   * decrypts its `resource` with the APIv3 key. Throws `SignatureError`, `DecryptError` or
   * `XmlError`. Absent on clients without v3 merchants.
   */
  verifyV3Notification?(
    merchant: string,
    headers: Readonly<Record<string, string | readonly string[] | undefined>>,
    body: Uint8Array,
    options?: CallOptions,
  ): Promise<VerifiedV3Notification>;
  /**
   * API v3 merchants only: the keys WeChat's v3 messages to `merchant` are verified with (its WeChat
   * Pay public key and platform certificates, downloaded when due). With `refresh`, a message named
   * a serial not held: certificates are downloaded again first (at most once a minute). Absent on
   * clients without v3 merchants.
   */
  v3Keyring?(merchant: string, options?: CallOptions & { readonly refresh?: boolean }): Promise<V3Keyring>;
  /** Closes every connection pool. */
  close(): Promise<void>;
}
