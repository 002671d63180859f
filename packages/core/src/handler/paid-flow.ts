/**
 * The one path by which `paid` fires, shared by the pay notification and `confirm`: the amount
 * is checked against the order recorded at create-pay, then the event fires at most once per
 * transaction, whichever of them arrives first. Refund events fire the same way, once per refund,
 * for v2 and v3 refund notifications alike, after the fee and order are checked against the refund
 * recorded at create-refund.
 */
import { AmountMismatchError, AppMismatchError } from '../errors.js';
import type { PaidEvent, RefundFailedEvent, RefundedEvent } from '../events/event-map.js';
import type { OrderRecord } from '../stores/dedup-store.js';
import { after, type MaybePromise } from './maybe-promise.js';
import type { OnceOutcome } from './once-per-key.js';
import type { RefundNotification } from '../protocol/v2/fields.js';
import { orderKey, paymentKey, refundKey, refundOrderKey, refundRecordKey, storeCall, type HandlerContext } from './route-context.js';

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
 * Checks a payment against the order recorded when create-pay placed it, when there is one (orders
 * placed elsewhere have no record and pass): another app's order → {@link AppMismatchError}, a
 * different amount → {@link AmountMismatchError}.
 */
export function checkRecordedOrder(ctx: HandlerContext, facts: PaymentFacts): MaybePromise<void> {
  return after(recordedOrder(ctx, facts.app, facts.mchId, facts.outTradeNo), (order) =>
    assertRecordedTotal(order, facts.outTradeNo, facts.totalFee, 'the payment'),
  );
}

/**
 * The order create-pay recorded for `outTradeNo`, or undefined for orders placed elsewhere; an
 * order recorded for another app → {@link AppMismatchError}.
 */
export function recordedOrder(ctx: HandlerContext, app: string, mchId: string, outTradeNo: string): MaybePromise<OrderRecord | undefined> {
  const key = orderKey(mchId, outTradeNo);
  return after(storeCall('read an order', () => ctx.store.getOrder(key)), (order) => {
    if (order !== undefined && order.app !== app) {
      throw new AppMismatchError(`order ${outTradeNo} was created for another app than '${app}'`);
    }
    return order;
  });
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
 * Synchronous when the store and the listeners are (see {@link OncePerKey.run}).
 */
export function firePaid(ctx: HandlerContext, facts: PaidFacts, build: (redelivery: boolean) => PaidEvent): MaybePromise<OnceOutcome> {
  return after(checkRecordedOrder(ctx, facts), () =>
    ctx.once.run(paymentKey(facts.mchId, facts.transactionId), (redelivery) => {
      if (warnIfUnheard(ctx, 'paid')) return undefined;
      return ctx.emitter.emitSettling('paid', build(redelivery));
    }),
  );
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
 * Records a refund WeChat accepted, to check its notification against ({@link checkRecordedRefund}).
 * Two order records in the dedup store: `<mchId>:refund:<out_refund_no>`, whose `totalFee` holds the
 * refund fee, and `<mchId>:refund:<out_refund_no>:order:<out_trade_no>`, whose `totalFee` holds the
 * order's amount. The tie to the order is written first, so a refund record never lacks it.
 */
export async function recordRefund(ctx: HandlerContext, refund: RequestedRefund): Promise<void> {
  const base = { app: refund.app, appId: refund.appId, mchId: refund.mchId, createdAt: ctx.config.now() };
  await storeCall('record a refund', async () => {
    await ctx.store.putOrder(refundOrderKey(refund.mchId, refund.outRefundNo, refund.outTradeNo), { ...base, totalFee: refund.totalFee });
    await ctx.store.putOrder(refundRecordKey(refund.mchId, refund.outRefundNo), { ...base, totalFee: refund.refundFee });
  });
}

/** What a refund notification claims about its refund, and the app whose URL it came to. */
export interface RefundFacts {
  readonly app: string;
  readonly mchId: string;
  readonly refund: Pick<RefundNotification, 'outTradeNo' | 'outRefundNo' | 'refundId' | 'totalFee' | 'refundFee'>;
}

/**
 * Checks a refund notification against the refund recorded when create-refund asked for it
 * ({@link recordRefund}), when there is one (refunds started elsewhere, such as the merchant
 * console, have no record and pass): another app's refund → {@link AppMismatchError}; a different
 * refund fee, another order, or a different order amount → {@link AmountMismatchError}.
 */
export async function checkRecordedRefund(ctx: HandlerContext, facts: RefundFacts): Promise<void> {
  const { app, mchId, refund } = facts;
  const recorded = await storeCall('read a refund', () => ctx.store.getOrder(refundRecordKey(mchId, refund.outRefundNo)));
  if (recorded === undefined) return;
  if (recorded.app !== app) throw new AppMismatchError(`refund ${refund.outRefundNo} was created for another app than '${app}'`);
  if (recorded.totalFee !== refund.refundFee) {
    throw new AmountMismatchError(`refund ${refund.outRefundNo} was created for ${recorded.totalFee} fen but the refund notification says ${refund.refundFee} fen`);
  }
  const order = await storeCall('read a refund', () => ctx.store.getOrder(refundOrderKey(mchId, refund.outRefundNo, refund.outTradeNo)));
  if (order === undefined) {
    throw new AmountMismatchError(`refund ${refund.outRefundNo} was created for another order than the refund notification's ${refund.outTradeNo}`);
  }
  assertRecordedTotal(order, refund.outTradeNo, refund.totalFee, 'the refund notification');
}

/**
 * Checks the notification against its recorded refund ({@link checkRecordedRefund}), then fires
 * `refunded` (status SUCCESS) or `refund-failed` (CHANGE, REFUNDCLOSE) once for the refund,
 * awaiting every listener (a rejection rethrows, so the key is released).
 */
export async function fireRefund(
  ctx: HandlerContext,
  facts: RefundFacts,
  build: (redelivery: boolean) => RefundedEvent | RefundFailedEvent,
): Promise<OnceOutcome> {
  await checkRecordedRefund(ctx, facts);
  return ctx.once.run(refundKey(facts.mchId, facts.refund.refundId), (redelivery) => {
    const event = build(redelivery);
    if (warnIfUnheard(ctx, event.refundStatus === 'SUCCESS' ? 'refunded' : 'refund-failed')) return undefined;
    if (event.refundStatus === 'SUCCESS') return ctx.emitter.emitSettling('refunded', event);
    return ctx.emitter.emitSettling('refund-failed', event);
  });
}

/**
 * Logs a warning when an awaited event fires with nobody listening: the transaction is then
 * recorded as handled, and listeners registered later never see it. Returns whether it warned
 * (then there is nothing to dispatch).
 */
export function warnIfUnheard(ctx: HandlerContext, event: 'paid' | 'refunded' | 'refund-failed'): boolean {
  if (ctx.emitter.listenerCount(event) !== 0) return false;
  ctx.logger.warn({ event }, `@wxpay-kit/core: '${event}' fired with no listener; register listeners before serving requests`);
  return true;
}
