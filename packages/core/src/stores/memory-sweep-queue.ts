import type { SweepQueue, SweepQueueStats } from './dedup-store.js';

interface Slot {
  dueAt: number;
  readonly createdAt: number;
}

/**
 * A {@link SweepQueue} in this process's memory: a map of the queued keys and a binary min-heap of
 * (due time, key) pairs. Moving a key pushes a new pair and leaves the old one to be skipped when it
 * surfaces (its due time no longer matches the map's), so every operation is O(log n).
 * The memory store uses it, and the file store rebuilds one from its order records when it opens.
 */
export function createMemorySweepQueue(): SweepQueue {
  const slots = new Map<string, Slot>();
  // Parallel arrays: due times and keys of the heap's pairs.
  let due: number[] = [];
  let keys: string[] = [];

  const swap = (i: number, j: number): void => {
    const d = due[i]!;
    due[i] = due[j]!;
    due[j] = d;
    const k = keys[i]!;
    keys[i] = keys[j]!;
    keys[j] = k;
  };

  function push(key: string, at: number): void {
    due.push(at);
    keys.push(key);
    let i = due.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (due[parent]! <= due[i]!) break;
      swap(i, parent);
      i = parent;
    }
  }

  function pop(): void {
    const last = due.length - 1;
    swap(0, last);
    due.pop();
    keys.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < due.length && due[l]! < due[m]!) m = l;
      if (r < due.length && due[r]! < due[m]!) m = r;
      if (m === i) break;
      swap(i, m);
      i = m;
    }
  }

  /** Rebuilds the heap from the map when stale pairs outnumber live ones. */
  function compact(): void {
    if (due.length <= 2 * slots.size + 64) return;
    const live = [...slots].sort((a, b) => a[1].dueAt - b[1].dueAt);
    due = live.map(([, s]) => s.dueAt);
    keys = live.map(([k]) => k);
  }

  return {
    schedule(key, dueAt, createdAt) {
      const slot = slots.get(key);
      if (slot) {
        if (slot.dueAt === dueAt) return;
        slot.dueAt = dueAt;
      } else {
        slots.set(key, { dueAt, createdAt });
      }
      push(key, dueAt);
      compact();
    },
    take(now, limit, leaseMs) {
      const taken: string[] = [];
      const leased = now + leaseMs;
      while (taken.length < limit && due.length > 0 && due[0]! <= now) {
        const at = due[0]!;
        const key = keys[0]!;
        pop();
        const slot = slots.get(key);
        if (slot === undefined || slot.dueAt !== at) continue;
        taken.push(key);
      }
      for (const key of taken) {
        slots.get(key)!.dueAt = leased;
        push(key, leased);
      }
      return taken;
    },
    remove(key) {
      slots.delete(key);
      compact();
    },
    stats(): SweepQueueStats {
      let oldest: number | undefined;
      for (const slot of slots.values()) if (oldest === undefined || slot.createdAt < oldest) oldest = slot.createdAt;
      return { pending: slots.size, oldestCreatedAt: oldest };
    },
  };
}
