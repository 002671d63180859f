/** How the routes and the payment flow keep the sweeper's queue: add what was placed, drop what has its result. */
import type { FlowContext } from './context.js';
import { storeCall } from './store-call.js';

/**
 * Queues a just-recorded order or refund for the sweeper, due at its first schedule point (or at
 * `dueAt`), when a sweeper runs.
 */
export function queueSweep(ctx: FlowContext, key: string, createdAt: number, dueAt?: number): Promise<void> | undefined {
  const sweeps = ctx.sweeps;
  if (sweeps === undefined) return undefined;
  const due = dueAt ?? createdAt + (ctx.sweepSchedule?.[0] ?? 5) * 1000;
  return Promise.resolve(storeCall('queue an order for the sweeper', () => sweeps.schedule(key, due, createdAt)));
}

/**
 * Takes an order off the sweeper's queue once its result fired (by notification or `confirm`),
 * without waiting: a failure only costs the sweeper one more query, so it is logged, never thrown.
 */
export function forgetSweep(ctx: FlowContext, key: string): void {
  const sweeps = ctx.sweeps;
  if (sweeps === undefined) return;
  const failed = (error: unknown): void => {
    ctx.logger.debug(
      { err: error, key },
      '@wxpay-kit/core: could not take a resolved order off the sweep queue; the sweeper will find it resolved',
    );
  };
  try {
    const out = sweeps.remove(key);
    if (out !== undefined && typeof (out as PromiseLike<void>).then === 'function') Promise.resolve(out).catch(failed);
  } catch (error) {
    failed(error);
  }
}
