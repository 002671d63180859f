import { describe, expect, it } from 'vitest';
import { createMemoryDedupStore } from './memory-dedup-store.js';

function clocked() {
  let t = 1_000;
  const store = createMemoryDedupStore({ now: () => t, maxEntries: 3 });
  return { store, advance: (ms: number) => void (t += ms) };
}

describe('createMemoryDedupStore', () => {
  it('claims once; a second claim while the lease runs is busy; completed keys are done', async () => {
    const { store } = clocked();
    expect(await store.claim('k', 100)).toEqual({ state: 'claimed', redelivery: false });
    expect(await store.claim('k', 100)).toEqual({ state: 'busy' });
    await store.complete('k');
    expect(await store.claim('k', 100)).toEqual({ state: 'done' });
  });

  it('lets a released key be claimed again, not as a redelivery', async () => {
    const { store } = clocked();
    await store.claim('k', 100);
    await store.release('k');
    expect(await store.claim('k', 100)).toEqual({ state: 'claimed', redelivery: false });
  });

  it('reports a claim after an expired lease as a redelivery', async () => {
    const { store, advance } = clocked();
    await store.claim('k', 100);
    advance(100);
    expect(await store.claim('k', 100)).toEqual({ state: 'claimed', redelivery: true });
  });

  it('remembers orders and evicts the oldest beyond maxEntries', async () => {
    const { store } = clocked();
    const order = { app: 'shop', appId: 'wx1', mchId: 'm', totalFee: 1, createdAt: 0 };
    for (const id of ['a', 'b', 'c', 'd']) await store.putOrder(`m:${id}`, { ...order, totalFee: id.charCodeAt(0) });
    expect(await store.getOrder('m:a')).toBeUndefined();
    expect((await store.getOrder('m:d'))?.totalFee).toBe(100);
  });

  it('answers synchronously: no method returns a promise', () => {
    const { store } = clocked();
    const order = { app: 'shop', appId: 'wx1', mchId: 'm', totalFee: 1, createdAt: 0 };
    const results = [store.claim('k', 100), store.complete('k'), store.release('k'), store.putOrder('m:o', order), store.getOrder('m:o')];
    for (const result of results) expect(typeof (result as { then?: unknown } | undefined)?.then).not.toBe('function');
    expect(results[0]).toEqual({ state: 'claimed', redelivery: false });
    expect(results[4]).toEqual(order);
  });
});
