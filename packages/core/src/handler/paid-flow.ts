/**
 * The one path by which `paid` fires, shared by the pay notification and `confirm`: the amount
 * is checked against the order recorded at create-pay, then the event fires at most once per
 * transaction, whichever of them arrives first.
 */
import { AmountMismatchError, AppMismatchError } from '../errors.js';
import type { PaidEvent } from '../events/event-map.js';
import type { OnceOutcome } from './once-per-key.js';
import { orderKey, paymentKey, storeCall, type HandlerContext } from './route-context.js';

/** What a payment claims about its order. */
export interface PaymentFacts {
  readonly app: string;
  readonly mchId: string;
  readonly outTradeNo: string;
  readonly totalFee: number;
}

/**
 * Checks a payment against the order recorded when create-pay placed it, when there is one (orders
 * placed elsewhere have no record and pass): another app's order → {@link AppMismatchError}, a
 * different amount → {@link AmountMismatchError}.
 */
export async function checkRecordedOrder(ctx: HandlerContext, facts: PaymentFacts): Promise<void> {
  const order = await storeCall('read an order', () => ctx.store.getOrder(orderKey(facts.mchId, facts.outTradeNo)));
  if (order === undefined) return;
  if (order.app !== facts.app) {
    throw new AppMismatchError(`order ${facts.outTradeNo} was created for another app than '${facts.app}'`);
  }
  if (order.totalFee !== facts.totalFee) {
    throw new AmountMismatchError(
      `order ${facts.outTradeNo} was created for ${order.totalFee} fen but the payment says ${facts.totalFee} fen`,
    );
  }
}

/** Fires `paid` once for the transaction, awaiting every listener (a rejection rethrows, so the key is released). */
export function firePaid(
  ctx: HandlerContext,
  mchId: string,
  transactionId: string,
  build: (redelivery: boolean) => PaidEvent,
): Promise<OnceOutcome> {
  return ctx.once.run(paymentKey(mchId, transactionId), async (redelivery) => {
    warnIfUnheard(ctx, 'paid');
    await ctx.emitter.emitAndWait('paid', build(redelivery));
  });
}

/**
 * Logs a warning when an awaited event fires with nobody listening: the transaction is then
 * recorded as handled, and listeners registered later never see it.
 */
export function warnIfUnheard(ctx: HandlerContext, event: 'paid' | 'refunded' | 'refund-failed'): void {
  if (ctx.emitter.listenerCount(event) === 0) {
    ctx.logger.warn({ event }, `@wxpay-kit/core: '${event}' fired with no listener; register listeners before serving requests`);
  }
}
