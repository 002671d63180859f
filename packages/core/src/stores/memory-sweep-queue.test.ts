import { describe, expect, it } from 'vitest';
import { createMemorySweepQueue } from './memory-sweep-queue.js';

describe('memory sweep queue', () => {
  it('hands keys out in due order, skipping moved and removed ones, across many moves', () => {
    const q = createMemorySweepQueue();
    const due = new Map<string, number>();
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const key = `m:${rnd(300)}`;
      if (rnd(5) === 0) {
        q.remove(key);
        due.delete(key);
      } else {
        const at = rnd(100_000);
        q.schedule(key, at, 0);
        due.set(key, at);
      }
    }
    expect(q.stats()).toEqual({ pending: due.size, oldestCreatedAt: due.size > 0 ? 0 : undefined });
    const taken = q.take(100_000, 10_000, 1_000_000) as string[];
    expect([...taken].sort()).toEqual([...due.keys()].sort());
    // Each taken key carries its due time in order.
    const times = taken.map((k) => due.get(k)!);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(q.take(100_000, 10, 1000)).toEqual([]);
  });
});
