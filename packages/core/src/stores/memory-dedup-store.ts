import type { ClaimResult, DedupStore, OrderRecord } from './dedup-store.js';

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

/** In-process {@link DedupStore}: the default, for one instance whose restarts may repeat events. */
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
    async claim(key, leaseMs): Promise<ClaimResult> {
      const t = now();
      const entry = keys.get(key);
      if (entry?.done) return { state: 'done' };
      if (entry && entry.leaseUntil > t) return { state: 'busy' };
      if (entry) {
        entry.claims++;
        entry.leaseUntil = t + leaseMs;
        return { state: 'claimed', redelivery: entry.claims > 1 };
      }
      keys.set(key, { done: false, leaseUntil: t + leaseMs, claims: 1 });
      trim(keys);
      return { state: 'claimed', redelivery: false };
    },
    async complete(key) {
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
    async release(key) {
      const entry = keys.get(key);
      if (entry && !entry.done) {
        // A deliberate release is not a crash: the next claim is not a redelivery.
        keys.delete(key);
      }
    },
    async putOrder(key, order) {
      orders.set(key, order);
      trim(orders);
    },
    async getOrder(key) {
      return orders.get(key);
    },
  };
}
