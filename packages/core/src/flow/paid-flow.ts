/**
 * The one path by which `paid` fires, shared by the pay notification and `confirm`: the amount
 * is checked against the order recorded at create-pay, then the event fires at most once per
 * transaction, whichever of them arrives first. Refund events fire the same way, once per refund,
 * for v2 and v3 refund notifications alike, after the fee and order are checked against the refund
 * recorded at create-refund.
 *
 * Records check, they never gate: data that contradicts a record (another app, another amount,
 * another order) is refused, but a verified result with no record to check against (placed or
 * refunded elsewhere, or older than the store's retention) is delivered, marked
 * `recordChecked: false`, with a warning in the log.
 */
import { AmountMismatchError, AppMismatchError } from '../errors.js';
import type { PaidEvent, RefundFailedEvent, RefundedEvent, WxPayEventName } from '../events/event-map.js';
import type { OrderRecord } from '../stores/dedup-store.js';
import { after, type MaybePromise } from '../util/maybe-promise.js';
import type { OnceOutcome } from './once-per-key.js';
import type { RefundNotification } from '../model/refund.js';
import type { FlowContext as HandlerContext } from './context.js';
import { storeCall } from './store-call.js';
import { orderKey, paymentKey, refundKey, refundOrderKey, refundRecordKey } from './store-keys.js';
import { forgetSweep, queueSweep } from './sweep-calls.js';

/** What a payment claims about its order. */
export interface PaymentFacts {
  readonly app: string;
  readonly mchId: string;
  readonly outTradeNo: string;
  readonly totalFee: number;
}

/** A payment and the transaction WeChat recorded it under. */
export interface PaidFacts extends PaymentFacts {
  readonly transactionId: string;
}

/**
 * Checks a payment against the order recorded when create-pay placed it, when there is one:
 * another app's order → {@link AppMismatchError}, a different amount → {@link AmountMismatchError}.
 * Answers whether a record was found (and agreed); orders placed elsewhere, or older than the
 * store's retention, have none and pass unchecked.
 */
export function checkRecordedOrder(ctx: HandlerContext, facts: PaymentFacts): MaybePromise<boolean> {
  return after(recordedOrder(ctx, facts.app, facts.mchId, facts.outTradeNo), (order) => {
    assertRecordedTotal(order, facts.outTradeNo, facts.totalFee, 'the payment');
    return order !== undefined;
  });
}

/**
 * The order create-pay recorded for `outTradeNo`, or undefined for orders placed elsewhere; an
 * order recorded for another app → {@link AppMismatchError}.
 */
export function recordedOrder(ctx: HandlerContext, app: string, mchId: string, outTradeNo: string): MaybePromise<OrderRecord | undefined> {
  const key = orderKey(mchId, outTradeNo);
  return after(
    storeCall('read an order', () => ctx.store.getOrder(key)),
    (order) => {
      if (order !== undefined && order.app !== app) {
        throw new AppMismatchError(`order ${outTradeNo} was created for another app than '${app}'`);
      }
      return order;
    },
  );
}

/** A recorded order whose amount differs from what `claimant` says → {@link AmountMismatchError}. */
export function assertRecordedTotal(order: OrderRecord | undefined, outTradeNo: string, totalFee: number, claimant: string): void {
  if (order !== undefined && order.totalFee !== totalFee) {
    throw new AmountMismatchError(`order ${outTradeNo} was created for ${order.totalFee} fen but ${claimant} says ${totalFee} fen`);
  }
}

/**
 * Checks the payment against its recorded order ({@link checkRecordedOrder}), then fires `paid` once
 * for the transaction, awaiting every listener (a rejection rethrows, so the key is released).
 * `build` learns whether the order record was there to check against; when it was not, the event
 * still fires (`recordChecked: false`) and a warning is logged. Synchronous when the store and the
 * listeners are (see {@link OncePerKey.run}).
 */
export function firePaid(
  ctx: HandlerContext,
  facts: PaidFacts,
  build: (redelivery: boolean, recordChecked: boolean) => PaidEvent,
): MaybePromise<OnceOutcome> {
  const fired = after(checkRecordedOrder(ctx, facts), (checked) =>
    ctx.once.run(paymentKey(facts.mchId, facts.transactionId), (redelivery) => {
      if (warnIfUnheard(ctx, 'paid')) return undefined;
      if (!checked) {
        ctx.logger.warn(
          {
            event: 'paid',
            app: facts.app,
            mchId: facts.mchId,
            orderId: facts.outTradeNo,
            transactionId: facts.transactionId,
            recordChecked: false,
          },
          `@wxpay-kit/core: delivering a verified payment unchecked: no order ${facts.outTradeNo} was recorded at create-pay (placed elsewhere, or older than the store keeps orders); check its amount against your own order`,
        );
      }
      return ctx.emitter.emitSettling('paid', build(redelivery, checked));
    }),
  );
  // The order has its result: the sweeper need not query it again.
  return ctx.sweeps === undefined ? fired : after(fired, (outcome) => (forgetSweep(ctx, orderKey(facts.mchId, facts.outTradeNo)), outcome));
}

/** A refund as create-refund asked WeChat for it. */
export interface RequestedRefund {
  readonly app: string;
  readonly appId: string;
  readonly mchId: string;
  readonly outTradeNo: string;
  readonly outRefundNo: string;
  /** The order's amount, in fen. */
  readonly totalFee: number;
  /** The amount refunded, in fen. */
  readonly refundFee: number;
}

/**
 * Records a refund WeChat accepted, to check its notification against ({@link checkRecordedRefund})
 * and to know the app id a v3 refund notification (which names none) belongs to: one record under
 * `<mchId>:refund:<out_refund_no>`, whose `totalFee` holds the refund fee and `orderId` and
 * `orderTotalFee` the order.
 */
export async function recordRefund(ctx: HandlerContext, refund: RequestedRefund): Promise<void> {
  const record: OrderRecord = {
    app: refund.app,
    appId: refund.appId,
    mchId: refund.mchId,
    totalFee: refund.refundFee,
    createdAt: ctx.config.now(),
    orderId: refund.outTradeNo,
    orderTotalFee: refund.totalFee,
  };
  const key = refundRecordKey(refund.mchId, refund.outRefundNo);
  await storeCall('record a refund', () => ctx.store.putOrder(key, record));
  await queueSweep(ctx, key, record.createdAt);
}

/**
 * The refund create-refund recorded for `outRefundNo` ({@link recordRefund}), or undefined for
 * refunds started elsewhere (the merchant console) or older than the store keeps them; a refund
 * recorded for another app → {@link AppMismatchError}.
 */
export async function recordedRefund(
  ctx: HandlerContext,
  app: string,
  mchId: string,
  outRefundNo: string,
): Promise<OrderRecord | undefined> {
  const recorded = await storeCall('read a refund', () => ctx.store.getOrder(refundRecordKey(mchId, outRefundNo)));
  if (recorded !== undefined && recorded.app !== app) {
    throw new AppMismatchError(`refund ${outRefundNo} was created for another app than '${app}'`);
  }
  return recorded;
}

/** What a refund notification claims about its refund, the app whose URL it came to, and the refund recorded for it. */
export interface RefundFacts {
  readonly app: string;
  readonly mchId: string;
  readonly refund: Pick<RefundNotification, 'outTradeNo' | 'outRefundNo' | 'refundId' | 'totalFee' | 'refundFee'>;
  /** What {@link recordedRefund} found for the refund: undefined when create-refund recorded none. */
  readonly recorded: OrderRecord | undefined;
}

/**
 * Checks a refund notification against the refund recorded when create-refund asked for it
 * ({@link recordRefund}), when there is one: a different refund fee, another order, or a different
 * order amount → {@link AmountMismatchError}. Answers whether there was a record to check against.
 */
export async function checkRecordedRefund(ctx: HandlerContext, facts: RefundFacts): Promise<boolean> {
  const { mchId, refund, recorded } = facts;
  if (recorded === undefined) return false;
  if (recorded.totalFee !== refund.refundFee) {
    throw new AmountMismatchError(
      `refund ${refund.outRefundNo} was created for ${recorded.totalFee} fen but the refund notification says ${refund.refundFee} fen`,
    );
  }
  const anotherOrder = (): AmountMismatchError =>
    new AmountMismatchError(
      `refund ${refund.outRefundNo} was created for another order than the refund notification's ${refund.outTradeNo}`,
    );
  if (recorded.orderId !== undefined) {
    if (recorded.orderId !== refund.outTradeNo) throw anotherOrder();
    if (recorded.orderTotalFee !== undefined && recorded.orderTotalFee !== refund.totalFee) {
      throw new AmountMismatchError(
        `order ${refund.outTradeNo} was created for ${recorded.orderTotalFee} fen but the refund notification says ${refund.totalFee} fen`,
      );
    }
    return true;
  }
  // A record written by an earlier version ties the refund to its order under a second key.
  const order = await storeCall('read a refund', () => ctx.store.getOrder(refundOrderKey(mchId, refund.outRefundNo, refund.outTradeNo)));
  if (order === undefined) throw anotherOrder();
  assertRecordedTotal(order, refund.outTradeNo, refund.totalFee, 'the refund notification');
  return true;
}

/**
 * Checks the notification against its recorded refund ({@link checkRecordedRefund}), then fires
 * `refunded` (status SUCCESS) or `refund-failed` (CHANGE, REFUNDCLOSE) once for the refund,
 * awaiting every listener (a rejection rethrows, so the key is released). Without a recorded
 * refund the event still fires (`recordChecked: false`) and a warning is logged.
 */
export async function fireRefund(
  ctx: HandlerContext,
  facts: RefundFacts,
  build: (redelivery: boolean, recordChecked: boolean) => RefundedEvent | RefundFailedEvent,
): Promise<OnceOutcome> {
  const checked = await checkRecordedRefund(ctx, facts);
  const outcome = await ctx.once.run(refundKey(facts.mchId, facts.refund.refundId), (redelivery) => {
    const event = build(redelivery, checked);
    const name = event.refundStatus === 'SUCCESS' ? 'refunded' : 'refund-failed';
    if (warnIfUnheard(ctx, name)) return undefined;
    if (!checked) {
      const { outRefundNo, outTradeNo, refundId } = facts.refund;
      ctx.logger.warn(
        {
          event: name,
          app: facts.app,
          mchId: facts.mchId,
          orderId: outTradeNo,
          refundId: outRefundNo,
          wxRefundId: refundId,
          recordChecked: false,
        },
        `@wxpay-kit/core: delivering a verified refund result unchecked: no refund ${outRefundNo} was recorded at create-refund (started elsewhere, or older than the store keeps refunds); check it against your own records`,
      );
    }
    if (event.refundStatus === 'SUCCESS') return ctx.emitter.emitSettling('refunded', event);
    return ctx.emitter.emitSettling('refund-failed', event);
  });
  forgetSweep(ctx, refundRecordKey(facts.mchId, facts.refund.outRefundNo));
  return outcome;
}
/**
 * Logs a warning when an awaited event fires with nobody listening: the transaction is then
 * recorded as handled, and listeners registered later never see it. Returns whether it warned
 * (then there is nothing to dispatch).
 */
export function warnIfUnheard(ctx: HandlerContext, event: WxPayEventName): boolean {
  if (ctx.emitter.listenerCount(event) !== 0) return false;
  // Once, then every UNHEARD_EVERY-th: a host without listeners would otherwise write a line per
  // request (and spend its time writing them).
  let counts = unheard.get(ctx.emitter);
  if (counts === undefined) unheard.set(ctx.emitter, (counts = new Map()));
  const count = (counts.get(event) ?? 0) + 1;
  counts.set(event, count);
  if (count === 1 || count % UNHEARD_EVERY === 0) {
    ctx.logger.warn(
      { event, count },
      `@wxpay-kit/core: '${event}' fired with no listener (${count} so far, logged once and then every ${UNHEARD_EVERY}th); register listeners before serving requests`,
    );
  }
  return true;
}

const UNHEARD_EVERY = 1000;
/** Per emitter (one per `createWxPay`): how many results of each event found no listener. */
const unheard = new WeakMap<object, Map<WxPayEventName, number>>();
