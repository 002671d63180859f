import type { WxPayClient } from '../client/types.js';
import type { ResolvedConfig } from '../config/types.js';
import type { Sweeper } from '../flow/sweeper.js';
import type { ReconcileOptions, ReconcileReport } from '../flow/reconcile.js';
import type { WxPayEventMap, WxPayEventName } from '../events/event-map.js';
import type { MicropayOutcome } from '../flow/micropay-flow.js';
import type { CreatePayCall, CreatePayResult, OrderCall } from '../flow/order-calls.js';
import type { CreateRefundResult, QueryRefundCall, RefundCall } from '../flow/refund-calls.js';
import type { CreateTransferCall, TransferBillCall } from '../flow/transfer-calls.js';
import type { OrderQueryResult, RefundQueryResult } from '../model/contract.js';
import type { CreateTransferResult, TransferBill } from '../model/transfer.js';
import type { WxPayPlugin } from '../plugins/types.js';
import type { ListenAddress } from './guard.js';
import type { RouteInfo, WxPayRequest, WxPayResponse } from './types.js';
import type { NotificationCheck, NotificationInput } from './verify-notification.js';

/** Typed `on`/`once`/`off` over {@link WxPayEventMap}; listeners may be async. */
export interface WxPayEvents {
  on<K extends WxPayEventName>(event: K, listener: (...args: WxPayEventMap[K]) => void | Promise<void>): this;
  once<K extends WxPayEventName>(event: K, listener: (...args: WxPayEventMap[K]) => void | Promise<void>): this;
  off<K extends WxPayEventName>(event: K, listener: (...args: WxPayEventMap[K]) => void | Promise<void>): this;
}

/** What `wxpay.micropay()` takes: a scanned payment code for one order. Amounts in fen. */
export interface MicropayCall {
  /** The app name from the configuration. */
  readonly app: string;
  /** One of the app's app ids; default its first. */
  readonly appId?: string | undefined;
  /** The merchant order number; a new payment code needs a new number. */
  readonly orderId: string;
  readonly fee: number;
  /** The goods description (≤127 characters). */
  readonly goods: string;
  /** The scanned code: 18 digits starting with 10–15. */
  readonly authCode: string;
  /** The cashier terminal's IP address. */
  readonly ip: string;
  /** Echoed back on the paid order (`attach`). */
  readonly udd?: string | undefined;
  readonly deviceInfo?: string | undefined;
  readonly storeId?: string | undefined;
  /** Answer `pending` after this many ms if the payment is not final by then; the payment goes on. Default: wait for the end. */
  readonly waitMs?: number | undefined;
}

/**
 * A WeChat Pay instance: the framework-neutral handler, its typed events, its client and its
 * plugins. Build one with `createWxPay(options)`; adapters accept either options or an instance.
 */
export interface WxPay extends WxPayEvents {
  /** Cheap and synchronous: the route for `method` + `path`, or undefined when it is not ours. */
  match(method: string, path: string): RouteInfo | undefined;
  /** Serves one request. Never rejects: every failure becomes a response. */
  handle(request: WxPayRequest): Promise<WxPayResponse>;
  /**
   * Answers a request that failed before `handle()` could run — its body could not be read (too
   * large, or already consumed by a host body parser) — exactly as `handle()` would, and reports
   * it on `error` when the route is a notification route. Adapters call it; it never throws.
   */
  refuse(error: unknown, route: RouteInfo, path: string): WxPayResponse;
  /**
   * Takes a payment-code payment to its end: submits the code once; on `USERPAYING` or an unknown
   * outcome queries every `micropay.queryIntervalMs` until final or `micropay.deadlineMs`; reverses
   * what did not go through (repeating the reverse as WeChat asks); never submits it twice. Fires
   * `paid` (`source: 'micropay'`, once per transaction), `micropay-reversed` or `micropay-failed`.
   * Resolves `{state: 'paid' | 'reversed' | 'failed' | 'pending', …}`; calling it again for the
   * same order (after `pending`, a crash or a restart) follows the same payment. Rejects with
   * ValidationError (bad input, nothing sent) and the store's or listeners' errors.
   */
  micropay(call: MicropayCall): Promise<MicropayOutcome>;
  /**
   * Places an order from the host's own code, exactly as `POST create-pay/:type` does: the same
   * checks, the app's notify URL (`notifyPayUrl/<app>`, or the call's `notifyUrl`), `time_expire`
   * `orderExpireMinutes` from now, and the order record the pay notification is checked against
   * and the sweeper follows. Its result arrives as `paid` (once per transaction) like any other.
   * Resolves WeChat's answer with the client activation parameters (`clientParams`), the
   * `notifyUrl` and `expiresAt`. Rejects with the route's errors as typed `WxPayKitError`s:
   * ValidationError (bad input, nothing sent), WxPayError (WeChat's refusal, `errCode`),
   * TransportError, StoreError; each has `code` and `retryable`.
   *
   * @example
   * app.post('/checkout', async (req, res) => {
   *   const order = await wxpay.createPay({ app: 'shop', type: 'NATIVE', orderId: req.body.orderId,
   *     fee: 1999, goods: 'T-shirt', ip: req.ip, productId: 'tshirt' });
   *   if (order.clientParams.tradeType === 'NATIVE') res.json({ qr: order.clientParams.codeUrl });
   * });
   */
  createPay(call: CreatePayCall): Promise<CreatePayResult>;
  /** The order's state as WeChat reports it now (`POST query-order`). Fires nothing. Rejects like {@link createPay}. */
  queryOrder(call: OrderCall): Promise<OrderQueryResult>;
  /** Closes an unpaid order by its `orderId` (`POST close-order`); one closed before counts as closed; a paid one rejects with WeChat's `ORDERPAID`. */
  closeOrder(call: OrderCall): Promise<void>;
  /**
   * The active query (`POST confirm`): queries WeChat and, when the order is paid and `paid` has
   * not fired for it yet, fires `paid` with `source: 'confirm'` (once per transaction, whatever
   * arrives first). Resolves the order's state. A listener's rejection goes to `error` and rejects.
   */
  confirm(call: OrderCall): Promise<OrderQueryResult>;
  /**
   * Asks for a refund (`POST create-refund`): the same checks, the app's refund notify URL
   * (`notifyRefundUrl/<app>`, or the call's `notifyUrl`) and the refund record the refund
   * notification is checked against. Accepted, not finished: the outcome fires `refunded` or
   * `refund-failed`. Needs the merchant's certificate (`cert`) for API v2.
   */
  refund(call: RefundCall): Promise<CreateRefundResult>;
  /** Every refund's state as WeChat reports it now (`POST query-refund`). Fires nothing. */
  queryRefund(call: QueryRefundCall): Promise<RefundQueryResult>;
  /**
   * Creates a transfer bill (`POST create-transfer`, API v3 merchants): the callback goes to the
   * call's `notifyUrl`, else `notifyTransferUrl/<app>`; the bill is recorded to check its result.
   */
  createTransfer(call: CreateTransferCall): Promise<CreateTransferResult>;
  /** The bill as WeChat reports it now (`POST query-transfer-bill`); give `outBillNo` or `transferBillNo`. Fires nothing. */
  queryTransfer(call: TransferBillCall): Promise<TransferBill>;
  /** Cancels a bill that waits for the payee (`POST cancel-transfer`); `transfer-cancelled` fires when it is `CANCELLED`. */
  cancelTransfer(call: TransferBillCall): Promise<TransferBill>;
  /**
   * The active query of a bill (`POST confirm-transfer`): fires `transferred`, `transfer-failed` or
   * `transfer-cancelled` once per bill when it is final. Resolves the bill.
   */
  confirmTransfer(call: TransferBillCall): Promise<TransferBill>;
  /** Registers a plugin (its async setup finishes before `ready()` resolves). */
  use(plugin: WxPayPlugin): this;
  /** The WeChat Pay API client the routes call; use it directly for anything the routes lack. */
  readonly client: WxPayClient;
  /** The validated, frozen configuration. */
  readonly config: ResolvedConfig;
  /**
   * The sweeper, when the `sweep` option turned it on: it queries orders and refunds that have no
   * result yet and closes expired orders. `runOnce()` sweeps what is due now; `stats()` answers the
   * pending count, the oldest unresolved age and the sweeps by outcome.
   */
  readonly sweeper: Sweeper | undefined;
  /**
   * Reconciles a day (default yesterday, China time) of one merchant (may be left out when only one
   * is configured) against WeChat's trade bill: each difference is emitted as `reconcile-mismatch`
   * (awaited) and listed in the report; a payment WeChat has that never fired `paid` here fires it
   * now (`source: 'reconcile'`), once, to the app its order was recorded for or its appid maps to.
   * Pass `fired` (the payments delivered that day) to also find payments the bill lacks. Rejects
   * with ValidationError (date, merchant), WxPayError (`STATEMENT_CREATING` / `Bill Creating`:
   * the bill is not ready, from about 10:00 China time the next day), BillIntegrityError, and the
   * store's or listeners' errors; running it again is safe.
   *
   * @example
   * const report = await wxpay.reconcile({ date: '2026-12-06' });
   * for (const d of report.differences) console.log(d.kind, d.orderId, d.ours, d.wechat);
   */
  reconcile(options?: ReconcileOptions): Promise<ReconcileReport>;
  /** Resolves when every plugin's setup finished; rejects with the first setup failure. */
  ready(): Promise<void>;
  /** Runs plugins' teardown (last registered first) and closes the client's connection pools. */
  close(): Promise<void>;
  /**
   * Logs a start-up warning when the internal routes (everything but the notify routes) have
   * neither `bearerToken` nor `authorize` and the server listens beyond loopback. Adapters and the
   * gateway call it with `server.address()` once listening. Returns whether it warned.
   *
   * @example
   * server.listen(3000, () => wxpay.warnIfUnprotected(server.address()));
   */
  warnIfUnprotected(address: ListenAddress): boolean;
  /**
   * Verifies a WeChat notification that reached the host's own server instead of a notify route
   * (an order, refund or transfer bill placed with its own `notifyUrl`), and acts on it exactly as
   * the notify routes do: the same codec (v2 XML; v3 JSON when `headers` carry WeChat's
   * `Wechatpay-*`; transfer callbacks are v3 only), the same checks against the app and the
   * records, the same once-per-transaction (per-bill) flow, so `paid` / `refunded` / `transferred`
   * … listeners (and the forwarder) see each result once however often it is verified.
   * Never rejects: a forgery, a refusal or a failure comes back as `status: 'refused'` (and an
   * `error` event) with a FAIL `reply` for WeChat; nothing else happens then.
   *
   * @example
   * const check = await wxpay.verifyNotification({ kind: 'pay', app: 'shop', headers, rawBody });
   * res.writeHead(check.reply.status, check.reply.headers).end(check.reply.body);
   */
  verifyNotification(input: NotificationInput): Promise<NotificationCheck>;
}

/**
 * @internal Key of an instance's `handle()` without the promise: it answers synchronously when every
 * step did (in-memory store, synchronous listeners). The node:http layer uses it; it never throws.
 */
export const WXPAY_SERVE: unique symbol = Symbol.for('wxpay-kit.serve') as never;

/** Brand that marks a value as a `WxPay` instance across ESM/CJS copies. */
export const WXPAY_BRAND: unique symbol = Symbol.for('wxpay-kit.instance') as never;

/** True when `value` is a `WxPay` instance (not options). */
export function isWxPay(value: unknown): value is WxPay {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[WXPAY_BRAND] === true;
}
