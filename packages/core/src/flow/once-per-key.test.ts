import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import type { DedupStore } from '../stores/dedup-store.js';
import { createMemoryDedupStore } from '../stores/memory-dedup-store.js';
import { recordingLogger } from '../../test/helpers/handler-fixtures.js';
import { createOncePerKey, DEFAULT_LEASE_MS } from './once-per-key.js';

const isThenable = (value: unknown): boolean => typeof (value as { then?: unknown } | undefined)?.then === 'function';

/** The memory store behind promises, as a file or Redis store answers. */
function asyncStore(inner: DedupStore = createMemoryDedupStore()): DedupStore {
  return {
    claim: async (key, leaseMs) => inner.claim(key, leaseMs),
    complete: async (key) => inner.complete(key),
    release: async (key) => inner.release(key),
    putOrder: async (key, order) => inner.putOrder(key, order),
    getOrder: async (key) => inner.getOrder(key),
  };
}

function make(store: DedupStore = createMemoryDedupStore()) {
  const logger = recordingLogger();
  return { once: createOncePerKey({ store, logger }), store, logger };
}

describe('createOncePerKey', () => {
  it('answers synchronously over a synchronous store and a synchronous fire', () => {
    const { once } = make();
    let fired = 0;
    const first = once.run('k', () => void fired++);
    expect(isThenable(first)).toBe(false);
    expect(first).toBe('fired');
    expect(once.run('k', () => void fired++)).toBe('duplicate');
    expect(fired).toBe(1);
  });

  it('answers with a promise when the store does, and shares it with concurrent calls', async () => {
    const { once } = make(asyncStore());
    let fired = 0;
    const first = once.run('k', () => void fired++);
    const second = once.run('k', () => void fired++);
    expect(isThenable(first)).toBe(true);
    expect(await Promise.all([first, second])).toEqual(['fired', 'duplicate']);
    expect(fired).toBe(1);
  });

  it('makes a call for the same key from inside a synchronous fire wait for it, then answer duplicate', async () => {
    const { once } = make();
    let inner: unknown;
    let innerSettled = false;
    const outer = once.run('k', () => {
      inner = once.run('k', () => {
        throw new Error('must not fire twice');
      });
      void (inner as Promise<unknown>).then(() => (innerSettled = true));
    });
    expect(outer).toBe('fired');
    expect(isThenable(inner)).toBe(true);
    await expect(inner).resolves.toBe('duplicate');
    expect(innerSettled).toBe(true);
  });

  it('releases the key and rethrows when fire throws synchronously, so the next delivery fires', () => {
    const { once } = make();
    const boom = new Error('listener failed');
    expect(() =>
      once.run('k', () => {
        throw boom;
      }),
    ).toThrow(boom);
    let fired = 0;
    expect(once.run('k', () => void fired++)).toBe('fired');
    expect(fired).toBe(1);
  });

  it('releases the key and rejects when fire rejects', async () => {
    const { once } = make(asyncStore());
    await expect(once.run('k', async () => Promise.reject(new Error('later')))).rejects.toThrow('later');
    await expect(once.run('k', () => undefined)).resolves.toBe('fired');
  });

  it('turns a store that throws synchronously into a StoreError, and answers busy keys with one', () => {
    const throwing: DedupStore = {
      ...createMemoryDedupStore(),
      claim() {
        throw new Error('disk gone');
      },
    };
    expect(() => make(throwing).once.run('k', () => undefined)).toThrow(StoreError);
    const busy: DedupStore = { ...createMemoryDedupStore(), claim: () => ({ state: 'busy' }) };
    expect(() => make(busy).once.run('k', () => undefined)).toThrow(/another instance/);
  });

  it('reports a failed complete as a StoreError after the listeners ran', () => {
    const failing: DedupStore = {
      ...createMemoryDedupStore(),
      complete() {
        throw new Error('write failed');
      },
    };
    let fired = 0;
    expect(() => make(failing).once.run('k', () => void fired++)).toThrow(StoreError);
    expect(fired).toBe(1);
  });

  it('logs a release that fails and still rethrows the listener failure', async () => {
    const store: DedupStore = { ...asyncStore(), release: async () => Promise.reject(new Error('release failed')) };
    const { once, logger } = make(store);
    await expect(once.run('k', () => Promise.reject(new Error('listener failed')))).rejects.toThrow('listener failed');
    expect(logger.lines.some((c) => c.level === 'error' && /failed to release/.test(c.msg ?? ''))).toBe(true);
  });

  describe('lease renewal while listeners run', () => {
    /** The memory store behind promises, counting renewals and answering them as `answer` says. */
    function renewing(answer: () => boolean | Promise<boolean> = () => true) {
      const inner = createMemoryDedupStore();
      const renewals: { key: string; leaseMs: number }[] = [];
      const store: DedupStore = {
        ...asyncStore(inner),
        renew: (key, leaseMs) => {
          renewals.push({ key, leaseMs });
          return answer();
        },
      };
      return { store, renewals };
    }

    it('renews the claim of a slow listener every third of the lease, and stops once it settled', async () => {
      const { store, renewals } = renewing();
      const logger = recordingLogger();
      const once = createOncePerKey({ store, logger, leaseMs: 60 });
      await expect(once.run('slow', () => sleep(200))).resolves.toBe('fired');
      expect(renewals.length).toBeGreaterThanOrEqual(2);
      expect(renewals.every((r) => r.key === 'slow' && r.leaseMs === 60)).toBe(true);
      const count = renewals.length;
      await sleep(100);
      expect(renewals).toHaveLength(count);
      // A rejecting listener stops its renewals too.
      await expect(once.run('failing', () => sleep(120).then(() => Promise.reject(new Error('no'))))).rejects.toThrow('no');
      const afterFailure = renewals.length;
      expect(renewals.filter((r) => r.key === 'failing').length).toBeGreaterThanOrEqual(1);
      await sleep(100);
      expect(renewals).toHaveLength(afterFailure);
    });

    it('never renews for listeners that answer at once', async () => {
      const { store, renewals } = renewing();
      const once = createOncePerKey({ store, logger: recordingLogger(), leaseMs: 30 });
      for (let i = 0; i < 5; i++) await once.run(`k${i}`, () => undefined);
      await sleep(60);
      expect(renewals).toEqual([]);
    });

    it('warns once when the store says the claim was lost, and logs renewals that fail', async () => {
      const lost = renewing(() => false);
      const lostLog = recordingLogger();
      await createOncePerKey({ store: lost.store, logger: lostLog, leaseMs: 30 }).run('k', () => sleep(120));
      expect(lost.renewals).toHaveLength(1);
      expect(lostLog.lines.filter((l) => l.level === 'warn' && /claim ran out/.test(l.msg ?? ''))).toHaveLength(1);

      const failing = renewing(() => Promise.reject(new Error('redis down')));
      const failLog = recordingLogger();
      await expect(createOncePerKey({ store: failing.store, logger: failLog, leaseMs: 30 }).run('k', () => sleep(120))).resolves.toBe(
        'fired',
      );
      expect(failing.renewals.length).toBeGreaterThanOrEqual(2);
      expect(failLog.lines.some((l) => l.level === 'error' && /failed to renew/.test(l.msg ?? ''))).toBe(true);
    });

    it("defaults to a lease that frees a dead instance's claim before WeChat's first retry (15 s)", () => {
      expect(DEFAULT_LEASE_MS).toBeLessThan(15_000);
    });
  });
});
