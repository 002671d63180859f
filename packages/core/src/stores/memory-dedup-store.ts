import type { ClaimResult, DedupStore, OrderRecord } from './dedup-store.js';
import { createMemorySweepQueue } from './memory-sweep-queue.js';

interface Entry {
  done: boolean;
  leaseUntil: number;
  claims: number;
}

export interface MemoryDedupStoreOptions {
  /** Clock in epoch ms; injectable for tests. */
  readonly now?: () => number;
  /** Most entries kept; the oldest handled ones are evicted beyond it. Default 100,000. */
  readonly maxEntries?: number;
}

const CLAIMED: ClaimResult = Object.freeze({ state: 'claimed', redelivery: false });
const RECLAIMED: ClaimResult = Object.freeze({ state: 'claimed', redelivery: true });
const DONE: ClaimResult = Object.freeze({ state: 'done' });
const BUSY: ClaimResult = Object.freeze({ state: 'busy' });

/**
 * In-process {@link DedupStore}: the default, for one instance whose restarts may repeat events.
 * Every method answers synchronously (no promise), so the handler needs no extra turn of the event
 * loop per notification; `await` on its results works as with any store.
 */
export function createMemoryDedupStore(options: MemoryDedupStoreOptions = {}): DedupStore {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 100_000;
  const keys = new Map<string, Entry>();
  const orders = new Map<string, OrderRecord>();

  function trim<V>(map: Map<string, V>): void {
    while (map.size > maxEntries) {
      const oldest = map.keys().next().value as string;
      map.delete(oldest);
    }
  }

  return {
    claim(key, leaseMs): ClaimResult {
      const t = now();
      const entry = keys.get(key);
      if (entry?.done) return DONE;
      if (entry && entry.leaseUntil > t) return BUSY;
      if (entry) {
        entry.claims++;
        entry.leaseUntil = t + leaseMs;
        return entry.claims > 1 ? RECLAIMED : CLAIMED;
      }
      keys.set(key, { done: false, leaseUntil: t + leaseMs, claims: 1 });
      trim(keys);
      return CLAIMED;
    },
    complete(key): void {
      const entry = keys.get(key);
      if (entry) {
        entry.done = true;
        keys.delete(key);
        keys.set(key, entry);
      } else {
        keys.set(key, { done: true, leaseUntil: 0, claims: 1 });
        trim(keys);
      }
    },
    renew(key, leaseMs): boolean {
      const entry = keys.get(key);
      if (!entry || entry.done) return false;
      entry.leaseUntil = now() + leaseMs;
      return true;
    },
    release(key): void {
      const entry = keys.get(key);
      if (entry && !entry.done) {
        // A deliberate release is not a crash: the next claim is not a redelivery.
        keys.delete(key);
      }
    },
    putOrder(key, order): void {
      orders.set(key, order);
      trim(orders);
    },
    getOrder(key): OrderRecord | undefined {
      return orders.get(key);
    },
    sweeps: createMemorySweepQueue(),
  };
}
