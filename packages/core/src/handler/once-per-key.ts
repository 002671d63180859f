import { StoreError, isWxPayKitError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DedupStore } from '../stores/dedup-store.js';

/** How long a claim is held while listeners run. A process that dies frees its claims after it. */
export const DEFAULT_LEASE_MS = 60_000;

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
 *   it resolves, the key is completed.
 */
export interface OncePerKey {
  run(key: string, fire: (redelivery: boolean) => Promise<void>): Promise<OnceOutcome>;
}

export interface OncePerKeyOptions {
  readonly store: DedupStore;
  readonly logger: Logger;
  readonly leaseMs?: number;
}

function storeFailure(action: string, error: unknown): unknown {
  return isWxPayKitError(error) ? error : new StoreError(`the dedup store failed to ${action}`, { cause: error });
}

/** Builds a {@link OncePerKey} over `store`. Its in-flight table belongs to one `WxPay` instance. */
export function createOncePerKey(options: OncePerKeyOptions): OncePerKey {
  const { store, logger } = options;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const inFlight = new Map<string, Promise<OnceOutcome>>();

  async function attempt(key: string, fire: (redelivery: boolean) => Promise<void>): Promise<OnceOutcome> {
    let claim;
    try {
      claim = await store.claim(key, leaseMs);
    } catch (error) {
      throw storeFailure('claim a key', error);
    }
    if (claim.state === 'done') return 'duplicate';
    if (claim.state === 'busy') {
      throw new StoreError('another instance is handling this transaction right now; WeChat will deliver it again');
    }
    try {
      await fire(claim.redelivery);
    } catch (error) {
      try {
        await store.release(key);
      } catch (releaseError) {
        logger.error({ err: releaseError, key }, 'the dedup store failed to release a key; it frees when its lease ends');
      }
      throw error;
    }
    try {
      await store.complete(key);
    } catch (error) {
      throw storeFailure('record a handled key', error);
    }
    return 'fired';
  }

  return {
    run(key, fire) {
      const pending = inFlight.get(key);
      if (pending) return pending.then(() => 'duplicate' as const);
      const run = attempt(key, fire);
      inFlight.set(key, run);
      const forget = (): void => {
        if (inFlight.get(key) === run) inFlight.delete(key);
      };
      run.then(forget, forget);
      return run;
    },
  };
}
