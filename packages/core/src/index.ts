/**
 * @module @wxpay-kit/core
 *
 * WeChat Pay for any Node server: the instance (`createWxPay`) with its routes and typed events,
 * the client for API v2 and v3 merchants, the protocol-neutral model they speak, errors, logging,
 * stores and plugins. Wire-level helpers (signing, XML, v3 signatures and encryption, notification
 * parsers) are in `@wxpay-kit/core/protocol`; test fixtures in `@wxpay-kit/core/testing`; the
 * node:http layer in `@wxpay-kit/core/node`. Every name is listed here on purpose: a change to
 * this list is a change to the public surface (see test/package-shape/exports.test.ts).
 *
 * @example
 * import { createWxPay } from '@wxpay-kit/core';
 * const wxpay = createWxPay({ merchants: [...], apps: [...], notifyPayUrl: 'https://…/notify-pay' });
 * wxpay.on('paid', async (e) => { await orders.markPaid(e.orderId, e.totalFee); });
 */

// The instance.
export { createWxPay } from './create-wxpay.js';
export { isWxPay, type MicropayCall, type WxPay, type WxPayEvents } from './handler/wxpay.js';
export type { NotificationCheck, NotificationEvent, NotificationInput } from './handler/verify-notification.js';
export type { MicropayOutcome } from './flow/micropay-flow.js';
export { PAY_TYPES, type CreatePayCall, type CreatePayResult, type OrderCall, type PayType } from './flow/order-calls.js';
export type { CreateRefundResult, QueryRefundCall, RefundCall } from './flow/refund-calls.js';
export type { CreateTransferCall, TransferBillCall } from './flow/transfer-calls.js';
export type { RouteInfo, WxPayRequest, WxPayResponse } from './handler/types.js';
export { CORE_ROUTES, type CoreRouteInfo } from './handler/core-routes.js';
export { isLoopbackAddress, type ListenAddress } from './handler/guard.js';
export { DEFAULT_LEASE_MS } from './flow/once-per-key.js';
export {
  DIAGNOSTICS_CHANNELS,
  type NotificationDiagnostic,
  type RequestDiagnostic,
  type WechatCallDiagnostic,
} from './util/diagnostics.js';
export {
  STATUS_BY_WECHAT_CODE,
  errorReplyBody,
  errorResponse,
  jsonResponse,
  statusFor,
  type ErrorReplyBody,
} from './handler/respond.js';

// Configuration.
export { resolveConfig } from './config/resolve-config.js';
export { ANY_APP_ID } from './config/app-ids.js';
export type {
  AppOptions,
  AuthorizeHook,
  ClientOptions,
  MerchantCertOptions,
  MerchantOptions,
  MicropayOptions,
  WxPayOptions,
} from './config/options.js';
export type { ResolvedApp, ResolvedCert, ResolvedClientOptions, ResolvedConfig, ResolvedMerchant, ResolvedV3Keys } from './config/types.js';

// Events.
export type {
  ErrorEvent,
  WxPayErrorEvent,
  EventSource,
  PaidEvent,
  ClosedEvent,
  ReconcileDifference,
  ReconcileFacts,
  ReconcileKind,
  ReconcileMismatchEvent,
  RefundEventBase,
  RefundFailedEvent,
  RefundedEvent,
  TransferCancelledEvent,
  TransferEventBase,
  TransferEventSource,
  TransferFailedEvent,
  TransferredEvent,
  WxPayEventMap,
  WxPayEventName,
  WxPayListener,
} from './events/event-map.js';

// The model and the client.
export type { WirePayload, SignType } from './model/wire.js';
export type { AppPayParams, ClientPayParams, Coupon, JsapiPayParams, PayNotification, TradeState, TradeType } from './model/payment.js';
export type { CouponRefund, RefundNotification, RefundStatus } from './model/refund.js';
export type {
  CancelTransferInput,
  CreateTransferInput,
  CreateTransferResult,
  TransferBill,
  TransferConfirmParams,
  TransferEvent,
  TransferFinalState,
  TransferNotification,
  TransferQueryInput,
  TransferSceneReport,
  TransferState,
} from './model/transfer.js';
export { TRANSFER_REAL_NAME_THRESHOLD, isFinalTransferState } from './model/transfer.js';
export type {
  CreateTransferBatchInput,
  TransferBatch,
  TransferBatchCreated,
  TransferBatchDetail,
  TransferBatchDetailInput,
  TransferBatchDetailQueryInput,
  TransferBatchDetailSummary,
  TransferBatchQueryInput,
  TransferBatchStatus,
  TransferDetailStatus,
} from './model/transfer-batch.js';
export { TRANSFER_BATCH_MAX_DETAILS, TRANSFER_BATCH_NAME_FLOOR, TRANSFER_BATCH_REAL_NAME_THRESHOLD } from './model/transfer-batch.js';
export type {
  BalanceTransfer,
  BalanceTransferCheckName,
  BalanceTransferInput,
  BalanceTransferQueryInput,
  BalanceTransferResult,
  BalanceTransferStatus,
} from './model/balance-transfer.js';
export type {
  CallOptions,
  CallTarget,
  CloseOrderInput,
  DownloadBillInput,
  DownloadFundFlowBillInput,
  OrderQueryInput,
  OrderQueryResult,
  RefundInput,
  RefundQueryInput,
  RefundQueryItem,
  RefundQueryResult,
  RefundResult,
  ReplyBase,
  SandboxSignKeyInput,
  UnifiedOrderInput,
  UnifiedOrderResult,
} from './model/contract.js';
export type {
  MicropayFailedEvent,
  MicropayFailureReason,
  MicropayInput,
  MicropayResult,
  MicropayReversedEvent,
  ReverseInput,
} from './model/micropay.js';
export { createWxPayClient, type CreateWxPayClientOptions } from './client/client.js';
export type { WxPayClient } from './client/types.js';

// Errors.
export {
  AmountMismatchError,
  AppMismatchError,
  BillIntegrityError,
  ConfigError,
  DecryptError,
  InternalError,
  ListenerError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  SignatureError,
  StoreError,
  TransportError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
  WxPayError,
  WxPayKitError,
  XmlError,
  ERROR_HINTS,
  hintFor,
  isWxPayKitError,
  type ConfigIssue,
  type HintMerchant,
  type SignatureFailure,
  type WxPayErrorCode,
  type WxPayKitErrorOptions,
} from './errors.js';

// Logging, stores, plugins.
export {
  createStderrLogger,
  loggerOrDefault,
  maskSecrets,
  maskingLogger,
  parseLogLevel,
  silentLogger,
  type LogLevel,
  type LogSink,
  type Logger,
  type StderrLoggerOptions,
} from './logger.js';
export type { ClaimResult, DedupStore, MaybePromise, OrderRecord, SweepQueue, SweepQueueStats } from './stores/dedup-store.js';
export { createMemorySweepQueue } from './stores/memory-sweep-queue.js';
export {
  DEFAULT_SWEEP_RATE,
  DEFAULT_SWEEP_SCHEDULE,
  MIN_CLOSE_AGE_MS,
  nextSweepAt,
  type Sweeper,
  type SweepOutcome,
  type SweepPass,
  type SweepStats,
} from './flow/sweeper.js';
export type { SweepOptions } from './config/options.js';
export { chinaDate, yesterdayInChina, type FiredPayment, type ReconcileOptions, type ReconcileReport } from './flow/reconcile.js';
export {
  parseFundFlowBill,
  parseTradeBill,
  yuanToFen,
  type FundFlowBill,
  type FundFlowBillRow,
  type TradeBill,
  type TradeBillRow,
} from './protocol/bill.js';
export { createMemoryDedupStore, type MemoryDedupStoreOptions } from './stores/memory-dedup-store.js';
export { definePlugin, type EmitAndWait, type PluginHost, type RouteDefinition, type WxPayPlugin } from './plugins/types.js';
