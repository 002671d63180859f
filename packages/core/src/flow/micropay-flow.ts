/**
 * A managed payment-code payment (spec v2 §4.1, §5.8, §5.9; v3 codepay §3): submit once; on
 * `USERPAYING` or an unknown outcome (`SYSTEMERROR`, `BANKERROR`, no answer) query at the
 * configured interval until the order is final or the deadline passes; reverse an order that
 * failed or stayed unknown, repeating the reverse as WeChat asks; never submit it again.
 *
 * The order is recorded (`kind: 'micropay'`) before it is submitted, so whatever happens to this
 * process, a later call for the same number — `micropay` again, or `confirm` — follows it up from
 * WeChat's side (query, then reverse) instead of submitting it again. In one process, calls for
 * the same order share one run. `paid` fires through the once-per-transaction path
 * ({@link firePaid}, `source: 'micropay'`), so a later notification, `confirm` or sweep of the same
 * transaction does not fire it again; `micropay-reversed` and `micropay-failed` fire once per order.
 */
import { validateMicropay } from '../client/validate.js';
import { AppMismatchError, TransportError, ValidationError, WxPayError, isWxPayKitError, InternalError } from '../errors.js';
import type { ResolvedApp, ResolvedMerchant, ResolvedMicropayOptions } from '../config/types.js';
import { MICROPAY_DEFAULTS } from '../config/schema.js';
import type { OrderQueryResult } from '../model/contract.js';
import type { MicropayFailedEvent, MicropayFailureReason, MicropayInput, MicropayReversedEvent } from '../model/micropay.js';
import { sleep as realSleep } from '../client/retry.js';
import type { FlowContext } from './context.js';
import { paidFromQuery } from './event-payloads.js';
import { assertRecordedTotal, firePaid } from './paid-flow.js';
import { storeCall } from './store-call.js';
import { orderKey } from './store-keys.js';
import { forgetSweep, queueSweep } from './sweep-calls.js';

/** What the cashier submits. Amounts in fen. */
export interface MicropayRequest {
  readonly app: ResolvedApp;
  readonly merchant: ResolvedMerchant;
  readonly appId: string;
  readonly orderId: string;
  readonly fee: number;
  readonly goods: string;
  readonly authCode: string;
  readonly ip: string;
  /** Echoed back on the paid order (`attach`). */
  readonly attach?: string | undefined;
  readonly deviceInfo?: string | undefined;
  readonly storeId?: string | undefined;
}

/** How a managed payment-code payment ended, or that it has not ended yet. */
export type MicropayOutcome =
  /** Paid; `paid` fired (once per transaction). */
  | { readonly state: 'paid'; readonly orderId: string; readonly payment: OrderQueryResult }
  /** Did not go through and was reversed; `micropay-reversed` fired. */
  | { readonly state: 'reversed'; readonly orderId: string; readonly event: MicropayReversedEvent }
  /** Refused at submission; nothing to reverse; `micropay-failed` fired. */
  | { readonly state: 'failed'; readonly orderId: string; readonly event: MicropayFailedEvent }
  /**
   * Not final yet: the caller's wait ended first, or the reverse kept failing (`reverseFailed`).
   * The run goes on (or a later `micropay` / `confirm` for the same order resumes it).
   */
  | {
      readonly state: 'pending';
      readonly orderId: string;
      /** WeChat's last known `trade_state`, when a query told it. */
      readonly tradeState: string | undefined;
      /** When asking again is useful, in ms. */
      readonly retryAfterMs: number;
      readonly reverseFailed: boolean;
    };

/** Runs per context: calls for the same order share one. */
const running = new WeakMap<FlowContext, Map<string, Promise<MicropayOutcome>>>();
/** Aborted when the instance closes: runs stop waiting and answer pending (a later call resumes them). */
const stoppers = new WeakMap<FlowContext, AbortController>();

function timing(ctx: FlowContext): ResolvedMicropayOptions {
  return ctx.config.micropay ?? { ...MICROPAY_DEFAULTS, sleep: undefined };
}

function stopperOf(ctx: FlowContext): AbortController {
  let stopper = stoppers.get(ctx);
  if (stopper === undefined) stoppers.set(ctx, (stopper = new AbortController()));
  return stopper;
}

/** Stops every run of this instance (at `close()`): they answer pending; a later call resumes the order. */
export function stopMicropayRuns(ctx: FlowContext): void {
  // Also when no run has waited yet: a submission answered after close() must not start waiting.
  stopperOf(ctx).abort(new Error('the WxPay instance closed'));
}

const codeKey = (code: string): string => code.replace(/_/g, '').toUpperCase();
/** Answers that leave the outcome unknown (spec §4.1): query, never re-submit. */
const UNKNOWN_CODES = new Set(['SYSTEMERROR', 'BANKERROR', 'USERPAYING', 'ORDERPAID']);

/**
 * Takes a payment-code payment to its end, or to `pending` when `waitMs` (from now) ends first;
 * the run then goes on in the background. Input is checked before anything is recorded or sent
 * (ValidationError naming the field). An order recorded before (a retry by the cashier, or after a
 * restart) is followed up, never submitted again; a number already used by another kind of order,
 * another app or another amount is refused.
 */
export async function micropay(ctx: FlowContext, request: MicropayRequest, waitMs?: number): Promise<MicropayOutcome> {
  checkRequest(request);
  return join(ctx, request, waitMs, async () => {
    const key = orderKey(request.merchant.mchId, request.orderId);
    const recorded = await storeCall('read an order', () => ctx.store.getOrder(key));
    if (recorded !== undefined) {
      if (recorded.app !== request.app.name)
        throw new AppMismatchError(`order ${request.orderId} was created for another app than '${request.app.name}'`);
      if (recorded.kind !== 'micropay') {
        throw new ValidationError(`orderId: order ${request.orderId} was placed as another kind of payment; use a new order number`, {
          field: 'orderId',
        });
      }
      assertRecordedTotal(recorded, request.orderId, request.fee, 'this payment-code payment');
      if (recorded.refused !== undefined) {
        return failed(
          ctx,
          request,
          new WxPayError({ layer: 'result', errCode: recorded.refused, errCodeDes: 'refused at submission' }),
          false,
        );
      }
      return followUp(ctx, request, recorded.createdAt);
    }
    const submittedAt = ctx.config.now();
    await storeCall('record an order', () =>
      ctx.store.putOrder(key, {
        app: request.app.name,
        appId: request.appId,
        mchId: request.merchant.mchId,
        totalFee: request.fee,
        createdAt: submittedAt,
        kind: 'micropay',
      }),
    );
    // Should this process stop before the payment is final, the sweeper (here or on another
    // instance) finishes it once its deadline has passed: queries, and reverses what did not go through.
    const t = timing(ctx);
    await queueSweep(ctx, key, submittedAt, submittedAt + Math.max(t.deadlineMs, t.reverseAfterMs) + t.queryIntervalMs);
    return submit(ctx, request, submittedAt);
  });
}

/** The client's field names as the route and `wxpay.micropay()` call them. */
const FIELD_NAMES: Readonly<Record<string, string>> = {
  outTradeNo: 'orderId',
  totalFee: 'fee',
  body: 'goods',
  spbillCreateIp: 'ip',
  attach: 'udd',
};

/** The request in the client's terms. */
function clientInput(request: MicropayRequest): MicropayInput {
  return {
    merchant: request.merchant.name,
    appId: request.appId,
    outTradeNo: request.orderId,
    totalFee: request.fee,
    body: request.goods,
    authCode: request.authCode,
    spbillCreateIp: request.ip,
    attach: request.attach,
    deviceInfo: request.deviceInfo,
    storeId: request.storeId,
  };
}

/** Checks the request as the client would (nothing recorded or sent yet); errors name the caller's fields. */
function checkRequest(request: MicropayRequest): void {
  // An unfinished payment must be reversed, and API v2's reverse is a mutual-TLS call: without the
  // certificate a USERPAYING order could be left neither paid nor reversed. Refuse before submitting.
  const m = request.merchant;
  if (m.apiVersion === 'v2' && !m.sandbox && m.cert === undefined) {
    throw new ValidationError(
      `merchant: ${m.name} has no certificate; payment codes need the merchant API certificate to reverse a payment that does not finish (secapi/pay/reverse)`,
      { field: 'merchant' },
    );
  }
  try {
    validateMicropay(clientInput(request));
  } catch (error) {
    const field = error instanceof ValidationError ? error.field : undefined;
    const renamed = field === undefined ? undefined : FIELD_NAMES[field];
    if (renamed === undefined || !(error instanceof ValidationError)) throw error;
    throw new ValidationError(`${renamed}${error.message.slice(field!.length)}`, { field: renamed });
  }
}

/**
 * Finishes a payment-code order recorded before (`confirm` calls it for such an order that is not
 * final): queries, and reverses it once the deadline of its submission has passed.
 */
export function finishMicropay(ctx: FlowContext, request: Omit<MicropayRequest, 'authCode' | 'goods' | 'ip'>, submittedAt: number) {
  const full: MicropayRequest = { ...request, authCode: '', goods: '', ip: '' };
  return join(ctx, full, undefined, () => followUp(ctx, full, submittedAt));
}

/** Shares one run per order in this process, and bounds the caller's wait. */
async function join(
  ctx: FlowContext,
  request: MicropayRequest,
  waitMs: number | undefined,
  start: () => Promise<MicropayOutcome>,
): Promise<MicropayOutcome> {
  let runs = running.get(ctx);
  if (runs === undefined) running.set(ctx, (runs = new Map()));
  const key = orderKey(request.merchant.mchId, request.orderId);
  let run = runs.get(key);
  if (run === undefined) {
    const started = start();
    run = started.finally(() => runs.delete(key));
    runs.set(key, run);
    // A run outlives a caller who stopped waiting: its failure goes to `error`, not to nobody.
    run.catch((cause: unknown) => {
      const error = isWxPayKitError(cause) ? cause : new InternalError('a payment-code payment failed', { cause });
      ctx.emitter.emitError({ error, route: '/micropay', app: request.app.name });
    });
  }
  if (waitMs === undefined) return run;
  // The caller's own deadline, on the instance's clock: checked after every wait of the run (so an
  // injected clock works), and by a real timer when the waits are real.
  const answerBy = ctx.config.now() + Math.max(0, waitMs);
  let resolvePending!: (outcome: MicropayOutcome) => void;
  const pending = new Promise<MicropayOutcome>((resolve) => (resolvePending = resolve));
  const answer = (): void =>
    resolvePending({
      state: 'pending',
      orderId: request.orderId,
      tradeState: lastState.get(key),
      retryAfterMs: timing(ctx).queryIntervalMs,
      reverseFailed: false,
    });
  const waiter = { answerBy, answer };
  let list = waiters.get(key);
  if (list === undefined) waiters.set(key, (list = new Set()));
  list.add(waiter);
  const timer = timing(ctx).sleep === undefined ? setTimeout(answer, Math.max(0, waitMs)) : undefined;
  try {
    return await Promise.race([run, pending]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    list.delete(waiter);
    if (list.size === 0 && waiters.get(key) === list) waiters.delete(key);
  }
}

/** Callers waiting on a run, each until its own deadline. */
const waiters = new Map<string, Set<{ readonly answerBy: number; readonly answer: () => void }>>();

/** Answers `pending` to the callers of `key` whose deadline passed (called after every wait of a run). */
function answerDueWaiters(ctx: FlowContext, key: string): void {
  const list = waiters.get(key);
  if (list === undefined) return;
  const now = ctx.config.now();
  for (const waiter of list) if (now >= waiter.answerBy) waiter.answer();
}

/** WeChat's last known state of each running order, for a `pending` answer. */
const lastState = new Map<string, string>();

function sleeper(ctx: FlowContext): { sleep: (ms: number, signal?: AbortSignal) => Promise<void> } {
  return { sleep: timing(ctx).sleep ?? realSleep };
}

/** Submits once and follows the answer. */
async function submit(ctx: FlowContext, request: MicropayRequest, submittedAt: number): Promise<MicropayOutcome> {
  try {
    const result = await ctx.client.micropay(clientInput(request));
    if (result.tradeState === 'SUCCESS') return paid(ctx, request, result.payment);
  } catch (error) {
    const unknown =
      error instanceof TransportError ||
      (error instanceof WxPayError && error.layer === 'result' && UNKNOWN_CODES.has(codeKey(error.errCode)));
    if (!unknown) {
      if (!(error instanceof WxPayError)) throw error;
      // Refused (bad, expired or used code, no balance, …): nothing was paid, nothing to reverse.
      return failed(ctx, request, error);
    }
    ctx.logger.info(
      { orderId: request.orderId, app: request.app.name, error: error instanceof WxPayError ? error.errCode : error.code },
      'payment code submitted with an unknown outcome; querying',
    );
  }
  return followUp(ctx, request, submittedAt);
}

/** Queries until final or the deadline, then reverses what did not go through. */
async function followUp(ctx: FlowContext, request: MicropayRequest, submittedAt: number): Promise<MicropayOutcome> {
  const t = timing(ctx);
  const { sleep } = sleeper(ctx);
  const signal = stopperOf(ctx).signal;
  const key = orderKey(request.merchant.mchId, request.orderId);
  let state: string | undefined;
  let first = true;
  try {
    for (;;) {
      // The first look of a resumed run is at once; after a submission WeChat asks for a wait.
      const resumed = first && ctx.config.now() - submittedAt >= t.queryIntervalMs;
      first = false;
      if (!resumed) {
        await sleep(t.queryIntervalMs, signal);
        answerDueWaiters(ctx, key);
      }
      const result = await query(ctx, request);
      if (result !== undefined) {
        state = result.tradeState;
        lastState.set(key, state);
        if (state === 'SUCCESS' || state === 'REFUND') return await paid(ctx, request, result);
        if (state === 'REVOKED') return await reversed(ctx, request, 'unknown', state);
        if (state === 'PAYERROR' || state === 'CLOSED' || state === 'NOTPAY') break;
      }
      if (ctx.config.now() - submittedAt >= t.deadlineMs) break;
    }
    const reason: MicropayFailureReason = state === 'USERPAYING' ? 'timeout' : state === undefined ? 'unknown' : 'payerror';
    return await reverse(ctx, request, submittedAt, reason, state, signal);
  } catch (error) {
    if (!signal.aborted) throw error;
    return { state: 'pending', orderId: request.orderId, tradeState: state, retryAfterMs: t.queryIntervalMs, reverseFailed: false };
  } finally {
    lastState.delete(key);
  }
}

/** One order query; an unknown answer (system error, no reply, not visible yet) is undefined. */
async function query(ctx: FlowContext, request: MicropayRequest): Promise<OrderQueryResult | undefined> {
  try {
    return await ctx.client.queryOrder({ merchant: request.merchant.name, appId: request.appId, outTradeNo: request.orderId });
  } catch (error) {
    if (error instanceof TransportError || error instanceof WxPayError) {
      ctx.logger.info(
        { orderId: request.orderId, error: error instanceof WxPayError ? error.errCode : error.code },
        'payment-code order query failed; trying again',
      );
      return undefined;
    }
    throw error;
  }
}

/** Reverses, not sooner than `reverseAfterMs` after the submission, repeating as WeChat asks. */
async function reverse(
  ctx: FlowContext,
  request: MicropayRequest,
  submittedAt: number,
  reason: MicropayFailureReason,
  state: string | undefined,
  signal: AbortSignal,
): Promise<MicropayOutcome> {
  const t = timing(ctx);
  const { sleep } = sleeper(ctx);
  const key = orderKey(request.merchant.mchId, request.orderId);
  const early = submittedAt + t.reverseAfterMs - ctx.config.now();
  if (early > 0) {
    await sleep(early, signal);
    answerDueWaiters(ctx, key);
  }
  let last: unknown;
  for (let attempt = 1; attempt <= t.reverseAttempts; attempt++) {
    try {
      await ctx.client.reverse({ merchant: request.merchant.name, appId: request.appId, outTradeNo: request.orderId });
      return await reversed(ctx, request, reason, state ?? 'UNKNOWN');
    } catch (error) {
      last = error;
      // No such order: WeChat never took the payment, so there is nothing to reverse.
      if (error instanceof WxPayError && codeKey(error.errCode) === 'ORDERNOTEXIST')
        return reversed(ctx, request, reason, state ?? 'UNKNOWN');
      if (!(error instanceof TransportError) && !(error instanceof WxPayError && error.retryable)) break;
      ctx.logger.warn(
        { orderId: request.orderId, attempt, error: error instanceof WxPayError ? error.errCode : error.code },
        'payment-code reverse failed; trying again',
      );
      if (attempt < t.reverseAttempts) {
        await sleep(t.reverseIntervalMs, signal);
        answerDueWaiters(ctx, key);
      }
    }
  }
  ctx.logger.error(
    {
      orderId: request.orderId,
      app: request.app.name,
      error: last instanceof WxPayError ? last.errCode : isWxPayKitError(last) ? last.code : 'unknown',
    },
    `@wxpay-kit/core: payment-code order ${request.orderId} could not be reversed; call micropay or confirm for it again to finish it`,
  );
  return { state: 'pending', orderId: request.orderId, tradeState: state, retryAfterMs: t.reverseIntervalMs, reverseFailed: true };
}

async function paid(ctx: FlowContext, request: MicropayRequest, payment: OrderQueryResult): Promise<MicropayOutcome> {
  const transactionId = payment.transactionId;
  if (transactionId) {
    const facts = {
      app: request.app.name,
      mchId: request.merchant.mchId,
      outTradeNo: payment.outTradeNo,
      totalFee: payment.totalFee ?? 0,
      transactionId,
    };
    await firePaid(ctx, facts, (redelivery, checked) => paidFromQuery(payment, request.app.name, redelivery, checked, 'micropay'));
  }
  return { state: 'paid', orderId: request.orderId, payment };
}

/** The key `micropay-reversed` / `micropay-failed` fire once under: `<mchId>:micropay:<out_trade_no>`. */
function endKey(request: MicropayRequest): string {
  return `${request.merchant.mchId}:micropay:${request.orderId}`;
}

async function reversed(
  ctx: FlowContext,
  request: MicropayRequest,
  reason: MicropayFailureReason,
  state: string,
): Promise<MicropayOutcome> {
  const event: MicropayReversedEvent = Object.freeze({
    app: request.app.name,
    appId: request.appId,
    mchId: request.merchant.mchId,
    orderId: request.orderId,
    totalFee: request.fee,
    reason: reason === 'refused' ? 'unknown' : reason,
    errCode: state,
    errCodeDes: undefined,
  });
  await ctx.once.run(endKey(request), () => ctx.emitter.emitSettling('micropay-reversed', event));
  forgetSweep(ctx, orderKey(request.merchant.mchId, request.orderId));
  ctx.logger.info(
    { orderId: request.orderId, app: request.app.name, reason: event.reason, tradeState: state },
    'payment-code order reversed',
  );
  return { state: 'reversed', orderId: request.orderId, event };
}

async function failed(ctx: FlowContext, request: MicropayRequest, error: WxPayError, record = true): Promise<MicropayOutcome> {
  if (record) {
    // Remembered, so asking again about this order answers the same without querying WeChat.
    await storeCall('record an order', () =>
      ctx.store.putOrder(orderKey(request.merchant.mchId, request.orderId), {
        app: request.app.name,
        appId: request.appId,
        mchId: request.merchant.mchId,
        totalFee: request.fee,
        createdAt: ctx.config.now(),
        kind: 'micropay',
        refused: error.errCode,
      }),
    );
  }
  const event: MicropayFailedEvent = Object.freeze({
    app: request.app.name,
    appId: request.appId,
    mchId: request.merchant.mchId,
    orderId: request.orderId,
    totalFee: request.fee,
    reason: 'refused',
    errCode: error.errCode,
    errCodeDes: error.errCodeDes ?? error.returnMsg,
  });
  await ctx.once.run(endKey(request), () => ctx.emitter.emitSettling('micropay-failed', event));
  forgetSweep(ctx, orderKey(request.merchant.mchId, request.orderId));
  ctx.logger.info({ orderId: request.orderId, app: request.app.name, errCode: error.errCode }, 'payment code refused');
  return { state: 'failed', orderId: request.orderId, event };
}
