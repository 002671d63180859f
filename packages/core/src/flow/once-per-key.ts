import { StoreError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ClaimResult, DedupStore } from '../stores/dedup-store.js';
import { after, isPromiseLike, type MaybePromise } from '../util/maybe-promise.js';
import { storeCall } from './store-call.js';

/**
 * How long a claim lasts without renewal. While listeners run, the claim is renewed every third of
 * it ({@link OncePerKeyOptions.leaseMs}), so listeners may take longer; a process that dies stops
 * renewing, and its claims free this long after its last renewal: before WeChat's first retry,
 * 15 s after a delivery that failed.
 */
export const DEFAULT_LEASE_MS = 10_000;

/** What {@link OncePerKey.run} did. */
export type OnceOutcome =
  /** This call fired the event and the store recorded it. */
  | 'fired'
  /** The key was handled before (or by a concurrent call in this process): nothing fired. */
  | 'duplicate';

/**
 * Fires an event at most once per key (`<mchId>:<transaction_id>`, `<mchId>:refund:<refund_id>`)
 * across notification retries, concurrent duplicates and `confirm`:
 *
 * - concurrent calls for one key in this process share the first call's outcome;
 * - otherwise the store is asked to `claim` the key: `done` → duplicate, `busy` (another instance
 *   holds it) → {@link StoreError}, so WeChat is answered FAIL and delivers again later;
 * - a claimed key runs `fire`; when it throws, the key is released and the error rethrown; when
 *   it resolves, the key is completed;
 * - while an asynchronous `fire` runs, the claim is renewed every third of the lease (when the
 *   store can renew: {@link DedupStore.renew}), so a listener slower than the lease keeps its
 *   claim and a concurrent delivery elsewhere does not fire the event a second time, while the
 *   claim of a process that died frees one lease after its last renewal.
 *
 * Nothing waits for a later turn of the event loop unless the store or `fire` answered with a
 * promise.
 */
export interface OncePerKey {
  /**
   * Runs `fire` once for `key`. Answers synchronously when the store and `fire` did (an in-memory
   * store, listeners that returned nothing), else with a promise; a failure is thrown or rejected
   * the same way.
   */
  run(key: string, fire: (redelivery: boolean) => MaybePromise<void>): MaybePromise<OnceOutcome>;
}

export interface OncePerKeyOptions {
  readonly store: DedupStore;
  readonly logger: Logger;
  /** How long a claim lasts without renewal, in ms. Default {@link DEFAULT_LEASE_MS}. */
  readonly leaseMs?: number;
}

/**
 * Renews the claims of the keys whose listeners are running, every third of the lease, with one
 * timer for all of them (started when the first is held, stopped once none is).
 */
class Heartbeat {
  readonly #store: DedupStore;
  readonly #logger: Logger;
  readonly #leaseMs: number;
  readonly #everyMs: number;
  /** Held keys and when each was claimed or last renewed (monotonic ms). */
  readonly #held = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(store: DedupStore, logger: Logger, leaseMs: number) {
    this.#store = store;
    this.#logger = logger;
    this.#leaseMs = leaseMs;
    this.#everyMs = Math.max(1, Math.floor(leaseMs / 3));
  }

  hold(key: string): void {
    if (this.#store.renew === undefined) return;
    this.#held.set(key, performance.now());
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#beat(), this.#everyMs);
      this.#timer.unref?.();
    }
  }

  drop(key: string): void {
    this.#held.delete(key);
  }

  #beat(): void {
    if (this.#held.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const t = performance.now();
    for (const [key, since] of this.#held) {
      // A key held for less than half a period waits for the next beat: at most half a lease
      // passes between renewals.
      if (t - since < this.#everyMs / 2) continue;
      this.#held.set(key, t);
      this.#renew(key);
    }
  }

  #renew(key: string): void {
    const lost = (): void => {
      if (!this.#held.delete(key)) return;
      this.#logger.warn(
        { key },
        '@wxpay-kit/core: a claim ran out while its listeners were still running (the store lost it); another delivery may fire the event again, as a redelivery',
      );
    };
    const failed = (error: unknown): void => {
      this.#logger.error(
        { err: error, key },
        '@wxpay-kit/core: the dedup store failed to renew a claim; it is tried again at the next beat',
      );
    };
    let renewed: MaybePromise<boolean>;
    try {
      renewed = this.#store.renew!(key, this.#leaseMs);
    } catch (error) {
      failed(error);
      return;
    }
    if (isPromiseLike(renewed)) {
      Promise.resolve(renewed).then((ok) => {
        if (!ok) lost();
      }, failed);
    } else if (!renewed) lost();
  }
}

/**
 * A key being handled. Concurrent calls for it wait on `promise`: the run's own promise when it
 * went asynchronous, or one made on demand while it is still running synchronously (a listener
 * that handles the same transaction again from inside `fire`).
 */
class InFlight {
  promise: Promise<OnceOutcome> | undefined;
  #settle: { resolve(outcome: OnceOutcome): void; reject(error: unknown): void } | undefined;

  wait(): Promise<OnceOutcome> {
    this.promise ??= new Promise<OnceOutcome>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    return this.promise;
  }

  /** The synchronous run finished: settles the waiters' promise, if any was made. */
  settle(outcome: { value: OnceOutcome } | { error: unknown }): void {
    if (!this.#settle) return;
    if ('value' in outcome) this.#settle.resolve(outcome.value);
    else this.#settle.reject(outcome.error);
  }

  /** The run went asynchronous: waiters follow `run`. */
  adopt(run: Promise<OnceOutcome>): void {
    if (this.#settle) run.then(this.#settle.resolve, this.#settle.reject);
    else this.promise = run;
  }
}

const duplicate = (): OnceOutcome => 'duplicate';
const fired = (): OnceOutcome => 'fired';

/** Builds a {@link OncePerKey} over `store`. Its in-flight table belongs to one `WxPay` instance. */
export function createOncePerKey(options: OncePerKeyOptions): OncePerKey {
  const { store, logger } = options;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const inFlight = new Map<string, InFlight>();
  const heartbeat = new Heartbeat(store, logger, leaseMs);

  function attempt(key: string, fire: (redelivery: boolean) => MaybePromise<void>): MaybePromise<OnceOutcome> {
    return after(
      storeCall('claim a key', () => store.claim(key, leaseMs)),
      (claim) => afterClaim(key, claim, fire),
    );
  }

  function afterClaim(key: string, claim: ClaimResult, fire: (redelivery: boolean) => MaybePromise<void>): MaybePromise<OnceOutcome> {
    if (claim.state === 'done') return 'duplicate';
    if (claim.state === 'busy') {
      throw new StoreError('another instance is handling this transaction right now; WeChat will deliver it again');
    }
    let fired: MaybePromise<void>;
    try {
      fired = fire(claim.redelivery);
    } catch (error) {
      return releaseAndThrow(key, error);
    }
    if (isPromiseLike(fired)) {
      heartbeat.hold(key);
      return Promise.resolve(fired).then(
        () => {
          heartbeat.drop(key);
          return completeKey(key);
        },
        (error: unknown) => {
          heartbeat.drop(key);
          return releaseAndThrow(key, error);
        },
      );
    }
    return completeKey(key);
  }

  function releaseAndThrow(key: string, error: unknown): MaybePromise<never> {
    const logRelease = (releaseError: unknown): void => {
      logger.error({ err: releaseError, key }, 'the dedup store failed to release a key; it frees when its lease ends');
    };
    let released: MaybePromise<void>;
    try {
      released = store.release(key);
    } catch (releaseError) {
      logRelease(releaseError);
      throw error;
    }
    if (isPromiseLike(released)) {
      return Promise.resolve(released).then(
        () => {
          throw error;
        },
        (releaseError: unknown) => {
          logRelease(releaseError);
          throw error;
        },
      );
    }
    throw error;
  }

  function completeKey(key: string): MaybePromise<OnceOutcome> {
    return after(
      storeCall('record a handled key', () => store.complete(key)),
      fired,
    );
  }

  return {
    run(key, fire) {
      const pending = inFlight.get(key);
      if (pending) return pending.wait().then(duplicate);
      const entry = new InFlight();
      inFlight.set(key, entry);
      let outcome: MaybePromise<OnceOutcome>;
      try {
        outcome = attempt(key, fire);
      } catch (error) {
        inFlight.delete(key);
        entry.settle({ error });
        throw error;
      }
      if (!isPromiseLike(outcome)) {
        inFlight.delete(key);
        entry.settle({ value: outcome });
        return outcome;
      }
      const run = Promise.resolve(outcome);
      entry.adopt(run);
      const forget = (): void => {
        if (inFlight.get(key) === entry) inFlight.delete(key);
      };
      run.then(forget, forget);
      return run;
    },
  };
}
