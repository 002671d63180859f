/**
 * The sweeper: WeChat does not guarantee its notifications, so the orders create-pay placed (and
 * the refunds create-refund asked for) that have no result yet are queried on a schedule. A paid
 * order fires `paid` (`source: 'sweep'`) through the same once-per-transaction path as the
 * notification and `confirm`, so a racing notification still gives one `paid`; an order still
 * unpaid at its expiry is closed at WeChat and fires `closed` once; a refund that finished fires
 * `refunded` / `refund-failed`.
 *
 * The queue lives in the store ({@link SweepQueue}), so sweepers on a shared store (Redis) split
 * the work, each sweep of an order leased to one of them; WeChat calls are limited per merchant.
 * Time comes from the injected clock and timer, so tests drive hours of schedule in moments.
 */
import type { WxPayClient } from '../client/types.js';
import type { SweepOptions } from '../config/options.js';
import type { ResolvedConfig, ResolvedMerchant } from '../config/types.js';
import { WxPayError, isWxPayKitError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { OrderQueryResult, RefundQueryItem, RefundQueryResult } from '../model/contract.js';
import type { DedupStore, OrderRecord, SweepQueue } from '../stores/dedup-store.js';

/** WeChat's recommended query points after an order's creation, in seconds ("支付回调和查单实现指引"). */
export const DEFAULT_SWEEP_SCHEDULE: readonly number[] = Object.freeze([5, 30, 60, 180, 300, 600, 1800]);
/** Default WeChat calls per second per merchant. */
export const DEFAULT_SWEEP_RATE = 10;
/** WeChat's minimum age of an order before it may be closed: 5 minutes. */
export const MIN_CLOSE_AGE_MS = 5 * 60_000;
/** How soon a close that failed is tried again. */
const CLOSE_RETRY_MS = 60_000;
/** How long refunds are swept before the sweeper gives up on them (the refund notification, `query-refund` and reconciliation remain). */
export const REFUND_SWEEP_MS = 7 * 24 * 3600_000;

/** A timer, e.g. the simulator's manual clock; default Node's (unref'd). */
export type SweepTimer = NonNullable<SweepOptions['timer']>;

export type { SweepOptions };

/** The resolved sweep settings. */
export interface ResolvedSweepOptions {
  readonly schedule: readonly number[];
  readonly rate: number;
  readonly pollMs: number;
  readonly leaseMs: number;
  readonly timer: SweepTimer | undefined;
  readonly autoStart: boolean;
}

/** What one sweep of one key ended with. */
export type SweepOutcome =
  /** WeChat says paid: `paid` fired now, or had fired before (notification, confirm). */
  | 'paid'
  /** Closed at expiry (or found closed): `closed` fired. */
  | 'closed'
  /** Still unpaid (or the refund still processing): queried again later. */
  | 'unpaid'
  | 'refunded'
  | 'refund-failed'
  /** The record is gone (older than the store's retention) or names an unknown app: dropped. */
  | 'dropped'
  /** A call or a listener failed: retried at the next point. */
  | 'error';

/** The sweeper's state, for `/ready` and logs. */
export interface SweepStats {
  /** Orders and refunds queued, from the store (every instance's). */
  readonly pending: number;
  /** Age of the oldest queued order, in ms (0 when none). */
  readonly oldestUnresolvedMs: number;
  /** Sweeps by outcome since this instance started. */
  readonly outcomes: Readonly<Record<SweepOutcome, number>>;
  /** WeChat calls made by this sweeper since it started. */
  readonly calls: number;
  /** When this instance's last pass over the queue ended (epoch ms, the sweeper's clock); undefined before the first. */
  readonly lastPassAt: number | undefined;
}

/** One pass over the due keys. */
export interface SweepPass {
  /** Keys taken from the queue. */
  readonly taken: number;
  /** Keys put back because their merchant's rate was used up. */
  readonly deferred: number;
}

export interface Sweeper {
  /** Sweeps what is due now, within the rate limit, and resolves when those sweeps ended. */
  runOnce(): Promise<SweepPass>;
  /** Resolves when no pass is running. */
  idle(): Promise<void>;
  stats(): Promise<SweepStats>;
  /** Stops the loop and waits for a running pass. */
  stop(): Promise<void>;
}

/** What the sweeper fires results through (the instance's once-per-key flows). */
export interface SweepFlows {
  paid(record: OrderRecord, result: OrderQueryResult): Promise<unknown>;
  closed(record: OrderRecord, outTradeNo: string, reason: 'expired' | 'closed', tradeState: string): Promise<unknown>;
  refund(record: OrderRecord, result: RefundQueryResult, item: RefundQueryItem): Promise<unknown>;
  /**
   * Finishes a payment-code order whose run stopped (the process died or closed) after its deadline:
   * queries, reverses what did not go through, fires what it found. `undefined`: not final yet.
   */
  micropay(record: OrderRecord, outTradeNo: string): Promise<'paid' | 'closed' | undefined>;
}

export interface SweeperDeps {
  readonly config: ResolvedConfig;
  readonly client: WxPayClient;
  readonly store: DedupStore;
  readonly logger: Logger;
  readonly flows: SweepFlows;
  readonly options: ResolvedSweepOptions;
}

/**
 * When an order created at `createdAt` is next queried after `now` (epoch ms): the first schedule
 * point after `now`, then every last interval; never later than its close time (expiry, but at
 * least {@link MIN_CLOSE_AGE_MS} after creation). At or past the close time the answer is `now`.
 */
export function nextSweepAt(schedule: readonly number[], createdAt: number, closeAt: number, now: number): number {
  if (now >= closeAt) return now;
  let next: number | undefined;
  for (const s of schedule) {
    const at = createdAt + s * 1000;
    if (at > now) {
      next = at;
      break;
    }
  }
  if (next === undefined) {
    const last = schedule[schedule.length - 1] ?? 0;
    const interval = Math.max(1, schedule.length > 1 ? last - schedule[schedule.length - 2]! : last) * 1000;
    const base = createdAt + last * 1000;
    next = base + (Math.floor((now - base) / interval) + 1) * interval;
  }
  return Math.min(next, closeAt);
}

/** When an order may be closed: its expiry, but not before WeChat's minimum age. */
export function closeTimeOf(record: OrderRecord, defaultExpireMinutes: number): number {
  const expiresAt = record.expiresAt ?? record.createdAt + defaultExpireMinutes * 60_000;
  return Math.max(expiresAt, record.createdAt + MIN_CLOSE_AGE_MS);
}

/** Token bucket per merchant: `rate` per second on average, at most one second's worth at once. */
class RateLimit {
  #tokens: number;
  #at: number;
  constructor(
    private readonly rate: number,
    now: number,
  ) {
    this.#tokens = rate;
    this.#at = now;
  }
  #refill(now: number): void {
    if (now > this.#at) {
      this.#tokens = Math.min(this.rate, this.#tokens + ((now - this.#at) * this.rate) / 1000);
      this.#at = now;
    }
  }
  available(now: number): number {
    this.#refill(now);
    return Math.max(0, Math.floor(this.#tokens));
  }
  /** Takes one token when there is one. */
  tryTake(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
  /** Takes one token even when none is left: the debt delays later calls, so the average holds. */
  force(now: number): void {
    this.#refill(now);
    this.#tokens -= 1;
  }
}

const ZERO_OUTCOMES = (): Record<SweepOutcome, number> => ({
  paid: 0,
  closed: 0,
  unpaid: 0,
  refunded: 0,
  'refund-failed': 0,
  dropped: 0,
  error: 0,
});

/** The merchant id a record key starts with (`<mchId>:…`). */
function mchIdOf(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
}

/** Builds the sweeper of one `WxPay` instance. It runs once {@link ResolvedSweepOptions.autoStart} allows. */
export function createSweeper(deps: SweeperDeps): Sweeper {
  const { config, client, store, logger, flows, options } = deps;
  const queue: SweepQueue = store.sweeps!;
  const now = config.now;
  const timer: SweepTimer = options.timer ?? {
    setTimeout: (callback, ms) => {
      const t = setTimeout(callback, ms);
      t.unref?.();
      return t;
    },
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
  const limits = new Map<string, RateLimit>();
  const merchantsById = new Map<string, ResolvedMerchant>();
  for (const m of config.merchants) if (!merchantsById.has(m.mchId)) merchantsById.set(m.mchId, m);
  const outcomes = ZERO_OUTCOMES();
  let calls = 0;
  let lastPassAt: number | undefined;
  let running: Promise<SweepPass> | undefined;
  let handle: unknown;
  let stopped = false;

  const limitOf = (mchId: string): RateLimit => {
    let limit = limits.get(mchId);
    if (!limit) {
      limit = new RateLimit(options.rate, now());
      limits.set(mchId, limit);
    }
    return limit;
  };

  const call = <T>(mchId: string, first: boolean, fn: () => Promise<T>): Promise<T> => {
    if (!first) limitOf(mchId).force(now());
    calls++;
    return fn();
  };

  function count(outcome: SweepOutcome): SweepOutcome {
    outcomes[outcome]++;
    return outcome;
  }

  async function resolve(key: string, record: OrderRecord, resolved: NonNullable<OrderRecord['resolved']>): Promise<void> {
    await queue.remove(key);
    try {
      await store.putOrder(key, { ...record, resolved });
    } catch (error) {
      logger.warn(
        { err: error, key },
        '@wxpay-kit/core: the sweeper could not mark a record resolved; it may be queried once more after a restart',
      );
    }
  }

  async function sweepOrder(key: string, record: OrderRecord, merchant: ResolvedMerchant): Promise<SweepOutcome> {
    const outTradeNo = key.slice(merchant.mchId.length + 1);
    const target = { merchant: merchant.name, appId: record.appId };
    if (record.kind === 'micropay') {
      calls++;
      const outcome = await flows.micropay(record, outTradeNo);
      if (outcome !== undefined) {
        await resolve(key, record, outcome);
        return outcome;
      }
      await queue.schedule(key, now() + CLOSE_RETRY_MS, record.createdAt);
      return 'unpaid';
    }
    const closeAt = closeTimeOf(record, config.orderExpireMinutes);
    const result = await call(merchant.mchId, true, () => client.queryOrder({ ...target, outTradeNo }));
    if (result.tradeState === 'SUCCESS' || result.tradeState === 'REFUND') {
      await flows.paid(record, result);
      await resolve(key, record, 'paid');
      return 'paid';
    }
    if (result.tradeState === 'CLOSED' || result.tradeState === 'REVOKED') {
      await flows.closed(record, outTradeNo, 'closed', result.tradeState);
      await resolve(key, record, 'closed');
      return 'closed';
    }
    const t = now();
    if (t < closeAt) {
      await queue.schedule(key, nextSweepAt(options.schedule, record.createdAt, closeAt, t), record.createdAt);
      return 'unpaid';
    }
    // Expired unpaid: close it at WeChat. If the user paid in between, the close fails (ORDERPAID,
    // or v3's INVALID_REQUEST) and the next sweep, right away, finds it paid: `paid`, never `closed`.
    try {
      await call(merchant.mchId, false, () => client.closeOrder({ ...target, outTradeNo }));
    } catch (error) {
      if (error instanceof WxPayError && error.layer === 'result') {
        const again = await call(merchant.mchId, false, () => client.queryOrder({ ...target, outTradeNo }));
        if (again.tradeState === 'SUCCESS' || again.tradeState === 'REFUND') {
          await flows.paid(record, again);
          await resolve(key, record, 'paid');
          return 'paid';
        }
      }
      await queue.schedule(key, now() + CLOSE_RETRY_MS, record.createdAt);
      throw error;
    }
    await flows.closed(record, outTradeNo, 'expired', result.tradeState);
    await resolve(key, record, 'closed');
    return 'closed';
  }

  async function sweepRefund(key: string, record: OrderRecord, merchant: ResolvedMerchant): Promise<SweepOutcome> {
    const outRefundNo = key.slice(`${merchant.mchId}:refund:`.length);
    const result = await call(merchant.mchId, true, () =>
      client.queryRefund({ merchant: merchant.name, appId: record.appId, outRefundNo }),
    );
    const item = result.refunds.find((r) => r.outRefundNo === outRefundNo);
    if (item !== undefined && item.refundStatus !== 'PROCESSING') {
      await flows.refund(record, result, item);
      const outcome = item.refundStatus === 'SUCCESS' ? 'refunded' : 'refund-failed';
      await resolve(key, record, outcome);
      return outcome;
    }
    const t = now();
    const giveUpAt = record.createdAt + REFUND_SWEEP_MS;
    if (t >= giveUpAt) {
      logger.warn(
        { key, outRefundNo },
        '@wxpay-kit/core: a refund is still processing a week after it was asked for; the sweeper stops querying it (its notification, query-refund and reconciliation still apply)',
      );
      await queue.remove(key);
      return 'dropped';
    }
    await queue.schedule(key, nextSweepAt(options.schedule, record.createdAt, giveUpAt, t), record.createdAt);
    return 'unpaid';
  }

  async function sweepOne(key: string): Promise<SweepOutcome> {
    try {
      const record = await store.getOrder(key);
      const merchant = record === undefined ? undefined : config.merchantOfApp(record.app);
      if (record === undefined || merchant === undefined || record.resolved !== undefined) {
        await queue.remove(key);
        if (record === undefined || merchant === undefined) {
          logger.warn(
            { key },
            '@wxpay-kit/core: the sweeper dropped a queued order whose record is gone or whose app is no longer configured',
          );
        }
        return count('dropped');
      }
      const outcome = record.orderId !== undefined ? await sweepRefund(key, record, merchant) : await sweepOrder(key, record, merchant);
      return count(outcome);
    } catch (error) {
      logger.warn(
        { err: error, key, code: isWxPayKitError(error) ? error.code : undefined },
        '@wxpay-kit/core: a sweep failed; the order is queried again when its lease ends',
      );
      return count('error');
    }
  }

  async function pass(): Promise<SweepPass> {
    const t = now();
    let budget = 0;
    for (const m of merchantsById.keys()) budget += limitOf(m).available(t);
    if (budget === 0) return { taken: 0, deferred: 0 };
    const keys = await queue.take(t, budget, options.leaseMs);
    let deferred = 0;
    const sweeps: Promise<SweepOutcome>[] = [];
    for (const key of keys) {
      const mchId = mchIdOf(key);
      if (!merchantsById.has(mchId)) {
        sweeps.push(sweepOne(key));
        continue;
      }
      if (!limitOf(mchId).tryTake(t)) {
        deferred++;
        await queue.schedule(key, t, t);
        continue;
      }
      sweeps.push(sweepOne(key));
    }
    await Promise.all(sweeps);
    return { taken: keys.length, deferred };
  }

  function runOnce(): Promise<SweepPass> {
    if (running) return running.then(() => runOnce());
    const p = pass().finally(() => {
      lastPassAt = now();
      if (running === p) running = undefined;
    });
    running = p;
    return p;
  }

  function loop(): void {
    if (stopped) return;
    runOnce().then(
      (done) => {
        // A full pass means more is due: come back as soon as a call's worth of rate is there.
        const busy = done.taken > 0 && done.taken > done.deferred;
        arm(busy ? Math.min(options.pollMs, Math.ceil(1000 / options.rate)) : options.pollMs);
      },
      (error: unknown) => {
        logger.error({ err: error }, '@wxpay-kit/core: a sweep pass failed (the store did not answer); trying again');
        arm(options.pollMs);
      },
    );
  }

  function arm(ms: number): void {
    if (stopped) return;
    handle = timer.setTimeout(loop, ms);
  }

  if (options.autoStart) arm(0);

  return {
    runOnce,
    async idle() {
      while (running) await running.catch(() => undefined);
    },
    async stats() {
      const s = await queue.stats();
      return {
        pending: s.pending,
        oldestUnresolvedMs: s.oldestCreatedAt === undefined ? 0 : Math.max(0, now() - s.oldestCreatedAt),
        outcomes: { ...outcomes },
        calls,
        lastPassAt,
      };
    },
    async stop() {
      stopped = true;
      if (handle !== undefined) timer.clearTimeout(handle);
      while (running) await running.catch(() => undefined);
    },
  };
}

/** Resolves `createWxPay`'s `sweep` option: undefined when sweeping is off. */
export function resolveSweepOptions(option: boolean | SweepOptions | undefined): ResolvedSweepOptions | undefined {
  if (option === undefined || option === false) return undefined;
  const o: SweepOptions = option === true ? {} : option;
  return Object.freeze({
    schedule: Object.freeze([...(o.schedule ?? DEFAULT_SWEEP_SCHEDULE)]),
    rate: o.rate ?? DEFAULT_SWEEP_RATE,
    pollMs: o.pollMs ?? 1000,
    leaseMs: o.leaseMs ?? 60_000,
    timer: o.timer,
    autoStart: o.autoStart ?? true,
  });
}
