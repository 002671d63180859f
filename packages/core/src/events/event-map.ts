import type { WxPayKitError } from '../errors.js';
import type { MicropayFailedEvent, MicropayReversedEvent } from '../model/micropay.js';
import type { Coupon } from '../model/payment.js';
import type { WirePayload } from '../model/wire.js';
import type { TransferCancelledEvent, TransferFailedEvent, TransferredEvent } from '../model/transfer.js';

export type {
  TransferCancelledEvent,
  TransferEventBase,
  TransferEventSource,
  TransferFailedEvent,
  TransferredEvent,
} from '../model/transfer.js';

export type { Coupon, MicropayFailedEvent, MicropayReversedEvent };

/**
 * How a result reached us: WeChat's notification, an active query from `confirm`, the sweeper's
 * scheduled query of an order that had no result yet, a managed payment-code payment
 * (`wxpay.micropay()`, `POST micropay`), which has no notification, or the daily bill
 * reconciliation (`wxpay.reconcile()`), which found a payment nothing else had delivered.
 */
export type EventSource = 'notify' | 'confirm' | 'sweep' | 'micropay' | 'reconcile';

/** An order was paid. Emitted once per transaction. Amounts are integers in fen. */
export interface PaidEvent {
  /** The app name from the configuration (the `<app>` of `notify-pay/<app>`). */
  readonly app: string;
  readonly appId: string;
  readonly mchId: string;
  readonly subAppId?: string | undefined;
  readonly subMchId?: string | undefined;
  /** The merchant's order number (`out_trade_no`). */
  readonly orderId: string;
  readonly transactionId: string;
  readonly totalFee: number;
  readonly cashFee: number;
  /** The currency the payer paid in, when WeChat names it (v2 `cash_fee_type`, v3 `amount.payer_currency`). */
  readonly cashFeeType?: string | undefined;
  readonly settlementTotalFee?: number | undefined;
  readonly feeType: string;
  readonly openId: string;
  readonly tradeType: string;
  readonly bankType: string;
  /** `yyyyMMddHHmmss`, Beijing time, as WeChat sends it. */
  readonly timeEnd: string;
  readonly attach: string | undefined;
  readonly isSubscribe?: boolean | undefined;
  readonly deviceInfo?: string | undefined;
  readonly coupons: readonly Coupon[];
  readonly source: EventSource;
  /**
   * True when an earlier handling of this same transaction was interrupted (the process died
   * while a listener ran), so a listener may have partly acted on it before.
   */
  readonly redelivery: boolean;
  /**
   * True when the result was checked against what this instance recorded when it placed the order
   * (create-pay) or asked for the refund (create-refund), and agreed. False when there was no such
   * record (placed or refunded elsewhere, or older than the store keeps records): the result is
   * verified (WeChat's signature or encryption) but its amounts were not compared with yours, so
   * check them against your own order before acting; a warning is logged too.
   */
  readonly recordChecked: boolean;
  /**
   * The verified wire payload, for anything not mapped above: the v2 notification's XML record
   * (or the v2 orderquery reply for `confirm`), or the v3 notification's decrypted `resource`
   * (or the v3 query reply).
   */
  readonly raw: WirePayload;
}

/** Fields shared by refund outcomes. Amounts are integers in fen. */
export interface RefundEventBase {
  readonly app: string;
  readonly appId: string;
  readonly mchId: string;
  readonly subMchId?: string | undefined;
  readonly orderId: string;
  readonly transactionId: string;
  /** The merchant's refund number (`out_refund_no`). */
  readonly refundId: string;
  /** WeChat's refund id (`refund_id`). */
  readonly wxRefundId: string;
  readonly totalFee: number;
  readonly refundFee: number;
  readonly settlementTotalFee?: number | undefined;
  readonly settlementRefundFee?: number | undefined;
  readonly refundRecvAccount?: string | undefined;
  readonly refundAccount?: string | undefined;
  readonly refundRequestSource?: string | undefined;
  readonly source: EventSource;
  readonly redelivery: boolean;
  /**
   * True when the result was checked against what this instance recorded when it placed the order
   * (create-pay) or asked for the refund (create-refund), and agreed. False when there was no such
   * record (placed or refunded elsewhere, or older than the store keeps records): the result is
   * verified (WeChat's signature or encryption) but its amounts were not compared with yours, so
   * check them against your own order before acting; a warning is logged too.
   */
  readonly recordChecked: boolean;
  /** The decrypted wire payload: v2's `req_info` record, or the v3 notification's decrypted `resource`. */
  readonly raw: WirePayload;
}

/** A refund succeeded. Emitted once per refund. */
export interface RefundedEvent extends RefundEventBase {
  readonly refundStatus: 'SUCCESS';
  /** `yyyy-MM-dd HH:mm:ss`, Beijing time. */
  readonly successTime: string | undefined;
}

/** A refund ended without success: `CHANGE` (abnormal) or `REFUNDCLOSE` (closed). */
export interface RefundFailedEvent extends RefundEventBase {
  readonly refundStatus: 'CHANGE' | 'REFUNDCLOSE';
}

/**
 * An order placed by create-pay ended unpaid: it expired and the sweeper closed it at WeChat
 * (`reason: 'expired'`), or the sweeper found it already closed there (`reason: 'closed'`: closed
 * by another caller, or reversed). Emitted once per order, and never for an order that fired `paid`.
 */
export interface ClosedEvent {
  readonly app: string;
  readonly appId: string;
  readonly mchId: string;
  /** The merchant's order number (`out_trade_no`). */
  readonly orderId: string;
  /** The order's amount, in fen. */
  readonly totalFee: number;
  /** When create-pay placed the order, epoch ms. */
  readonly createdAt: number;
  /** The order's `time_expire`, epoch ms (undefined for a record without one). */
  readonly expiresAt: number | undefined;
  readonly reason: 'expired' | 'closed';
  /** WeChat's last `trade_state` before the close (`NOTPAY`, `PAYERROR`, `CLOSED`, `REVOKED`…). */
  readonly tradeState: string;
  readonly source: 'sweep';
  readonly redelivery: boolean;
}

/**
 * The kinds of difference a reconciliation finds between WeChat's trade bill and this instance:
 * - `missing-here`: paid at WeChat, but `paid` never fired here (it fires during the
 *   reconciliation, `source: 'reconcile'`);
 * - `missing-at-wechat`: `paid` fired here (the `fired` list given to `reconcile`), but the bill has
 *   no such payment;
 * - `amount`: the bill's amount differs from the order recorded at create-pay, or from the `paid`
 *   that fired here;
 * - `refund`: a refund in the bill that create-refund did not record (started elsewhere, e.g. the
 *   merchant console), or recorded for another amount or order.
 */
export type ReconcileKind = 'missing-here' | 'missing-at-wechat' | 'amount' | 'refund';

/** One side of a difference: what this instance has, or what the bill says. Amounts in fen. */
export interface ReconcileFacts {
  /** The order's amount. */
  readonly totalFee?: number | undefined;
  /** A refund's amount (as asked for). */
  readonly refundFee?: number | undefined;
  /** A refund's `退款状态` in the bill (as it was when the bill was made). */
  readonly refundStatus?: string | undefined;
  /** The order refunded, when it differs from the one recorded. */
  readonly orderId?: string | undefined;
}

/** One difference between WeChat's trade bill of a day and what was recorded and fired here. */
export interface ReconcileDifference {
  readonly kind: ReconcileKind;
  /** The merchant's order number (`out_trade_no`). */
  readonly orderId: string;
  /** WeChat's transaction id (empty for a `missing-at-wechat` payment fired without one). */
  readonly transactionId: string;
  /** `refund` only: the merchant's refund number (`out_refund_no`). */
  readonly refundId?: string | undefined;
  /** What this side has, or null when it has nothing. */
  readonly ours: ReconcileFacts | null;
  /** What the bill says, or null when the bill has nothing. */
  readonly wechat: ReconcileFacts | null;
  /** `missing-here` only: the app the payment belongs to (the order's, or the one its appid maps to). */
  readonly app?: string | undefined;
  /**
   * `missing-here` only: whether `paid` fired now. False when no configured app takes the payment's
   * appid, nobody listens to `paid`, or WeChat's order query did not confirm it: then nothing was
   * recorded, and the next reconciliation tries again.
   */
  readonly fired?: boolean | undefined;
}

/**
 * A reconciliation found a difference (see {@link ReconcileDifference}). Awaited like `paid`:
 * `reconcile()` resolves after every listener did; a listener that rejects fails the run.
 */
export interface ReconcileMismatchEvent extends ReconcileDifference {
  /** The bill's day, `YYYY-MM-DD` (China time). */
  readonly date: string;
  /** The merchant's configured name. */
  readonly merchant: string;
  readonly mchId: string;
}

/**
 * Payload of the `error` event: something went wrong that no caller will see (a rejected
 * notification, a failed listener, a forwarder result with nowhere to go). With no `error`
 * listener, each error code is logged once per app at `warn`, with its hint.
 */
export interface WxPayErrorEvent {
  /** The failure: `error.code` is one of the `WXPAY_ERR_*` codes (see the error table). */
  readonly error: WxPayKitError;
  /** The route pattern, e.g. `/notify-pay/:app`. */
  readonly route?: string | undefined;
  /** The app name from the notify URL. */
  readonly app?: string | undefined;
  /** What to check first, naming the merchant where the route tells it (e.g. its `apiKey` and `signType`). */
  readonly hint?: string | undefined;
}

/** @deprecated Renamed {@link WxPayErrorEvent} (`ErrorEvent` is also the DOM global's name); this alias stays for now. */
export type ErrorEvent = WxPayErrorEvent;

/**
 * The events of a `WxPay` instance, each with one payload object. An interface, so plugins add
 * their own events with `declare module '@wxpay-kit/core' { interface WxPayEventMap { … } }`.
 *
 * `paid`, `refunded`, `refund-failed`, `closed`, `transferred`, `transfer-failed` and `transfer-cancelled` are awaited: WeChat is answered SUCCESS only after every
 * listener resolved, and FAIL (so WeChat delivers again) when one rejected. `error` is
 * fire-and-forget: a failing `error` listener is logged and never changes an answer.
 */
export interface WxPayEventMap {
  paid: [event: PaidEvent];
  refunded: [event: RefundedEvent];
  'refund-failed': [event: RefundFailedEvent];
  /** A transfer bill reached `SUCCESS` (商家转账). Once per bill. */
  transferred: [event: TransferredEvent];
  /** A transfer bill reached `FAIL` (`failReason`: e.g. `OVERDUE_CLOSE` when the payee never confirmed). Once per bill. */
  'transfer-failed': [event: TransferFailedEvent];
  /** A transfer bill the merchant cancelled reached `CANCELLED`. Once per bill. */
  'transfer-cancelled': [event: TransferCancelledEvent];
  /** A payment-code payment that did not go through was reversed (once per order). */
  'micropay-reversed': [event: MicropayReversedEvent];
  /** A payment-code payment was refused at submission (once per order). */
  'micropay-failed': [event: MicropayFailedEvent];
  closed: [event: ClosedEvent];
  /** A daily reconciliation found a difference with WeChat's bill. Awaited. */
  'reconcile-mismatch': [event: ReconcileMismatchEvent];
  error: [event: WxPayErrorEvent];
}

export type WxPayEventName = keyof WxPayEventMap & string;
export type WxPayListener<K extends WxPayEventName> = (...args: WxPayEventMap[K]) => void | Promise<void>;
