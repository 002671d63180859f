import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ForwarderStore, NewOutboxRecord } from '@wxpay-kit/forwarder';

/** One store under test, with control over its time and its life. */
export interface StoreHarness {
  readonly store: ForwarderStore;
  /** The time the store sees, in epoch ms. */
  now(): number;
  /**
   * Moves the store's time forward by at least `ms`, so leases of that length expire. A store
   * whose leases run on a server's clock (Redis TTLs, stream idle times) waits for real.
   */
  advance(ms: number): Promise<void>;
  /** Simulates a restart: drops the store without completing anything in flight, opens it again on the same data. */
  reopen(): Promise<ForwarderStore>;
  /** Closes whatever is open and removes the data. */
  dispose(): Promise<void>;
}

/** Builds a fresh, empty store for one test. */
export type StoreFactory = () => Promise<StoreHarness>;

/** Lease length used throughout; short, because Redis leases run on its real clock. */
const LEASE = 60;

/**
 * The behaviour every store of the forwarder must have: the core's dedup contract (claim,
 * complete, release, lease expiry as redelivery, orders) and the outbox contract (durable
 * idempotent append, leases, ack, retry scheduling, dead letters, replay, list, stats, and
 * recovery after a restart).
 *
 * @example
 * defineStoreSuite('file store', async () => fileHarness());
 */
export function defineStoreSuite(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    let h: StoreHarness;
    let store: ForwarderStore;
    let seq = 0;

    const record = (app = 'shop', extra: Partial<NewOutboxRecord> = {}): NewOutboxRecord => ({
      id: `msg_${++seq}_${Math.random().toString(36).slice(2, 8)}`,
      app,
      event: 'paid',
      body: JSON.stringify({ order_id: `o${seq}`, total_fee: 101 }),
      createdAt: h.now(),
      ...extra,
    });

    beforeEach(async () => {
      h = await factory();
      store = h.store;
    });
    afterEach(async () => {
      await h.dispose();
    });

    describe('dedup', () => {
      it('claims a key once; a second claim while the lease runs is busy', async () => {
        expect(await store.claim('k1', 10_000)).toEqual({ state: 'claimed', redelivery: false });
        expect(await store.claim('k1', 10_000)).toEqual({ state: 'busy' });
      });

      it('answers done after complete, also across a restart', async () => {
        await store.claim('k2', 10_000);
        await store.complete('k2');
        expect(await store.claim('k2', 10_000)).toEqual({ state: 'done' });
        store = await h.reopen();
        expect(await store.claim('k2', 10_000)).toEqual({ state: 'done' });
      });

      it('lets a released key be claimed again, not as a redelivery', async () => {
        await store.claim('k3', 10_000);
        await store.release('k3');
        expect(await store.claim('k3', 10_000)).toEqual({ state: 'claimed', redelivery: false });
      });

      it('hands an expired lease to the next claimant as a redelivery, also after a restart', async () => {
        expect(await store.claim('k4', LEASE)).toEqual({ state: 'claimed', redelivery: false });
        store = await h.reopen();
        await h.advance(LEASE + 20);
        expect(await store.claim('k4', 10_000)).toEqual({ state: 'claimed', redelivery: true });
        await store.complete('k4');
        expect(await store.claim('k4', 10_000)).toEqual({ state: 'done' });
      });

      it('renews a claim it holds past its first lease; answers false for a key it does not hold', async () => {
        expect(store.renew).toBeTypeOf('function');
        expect(await store.claim('k6', LEASE * 10)).toEqual({ state: 'claimed', redelivery: false });
        await h.advance(LEASE * 7);
        expect(await store.renew!('k6', LEASE * 10)).toBe(true);
        await h.advance(LEASE * 7);
        // Past the first lease, but renewed: still held.
        expect(await store.claim('k6', LEASE * 10)).toEqual({ state: 'busy' });
        await store.complete('k6');
        expect(await store.renew!('k6', LEASE * 10)).toBe(false);
        expect(await store.renew!('k-never-claimed', LEASE * 10)).toBe(false);
        expect(await store.claim('k6', LEASE * 10)).toEqual({ state: 'done' });
      });

      it('gives a key to exactly one of many concurrent claimants', async () => {
        const results = await Promise.all(Array.from({ length: 20 }, () => store.claim('k5', 10_000)));
        expect(results.filter((r) => r.state === 'claimed')).toHaveLength(1);
        expect(results.filter((r) => r.state === 'busy')).toHaveLength(19);
      });

      it('remembers orders across a restart', async () => {
        const order = { app: 'shop', appId: 'wx1', mchId: '1900000001', totalFee: 101, createdAt: h.now() };
        await store.putOrder('1900000001:o1', order);
        expect(await store.getOrder('1900000001:o1')).toEqual(order);
        expect(await store.getOrder('1900000001:none')).toBeUndefined();
        store = await h.reopen();
        expect(await store.getOrder('1900000001:o1')).toEqual(order);
      });
    });

    describe('sweep queue', () => {
      it('takes due keys earliest first, up to the limit, and leases them', async () => {
        const q = store.sweeps!;
        const t = h.now();
        await q.schedule('m:k1', t + 100, t);
        await q.schedule('m:k2', t + 50, t + 1);
        await q.schedule('m:k3', t + 5000, t + 2);
        expect(await q.take(t + 200, 1, 1000)).toEqual(['m:k2']);
        expect(await q.take(t + 200, 10, 1000)).toEqual(['m:k1']);
        expect(await q.take(t + 200, 10, 1000)).toEqual([]);
        expect(await q.stats()).toEqual({ pending: 3, oldestCreatedAt: t });
        // The leases end: both are due again.
        expect([...(await q.take(t + 1300, 10, 1000))].sort()).toEqual(['m:k1', 'm:k2']);
        await q.remove('m:k1');
        await q.remove('m:unknown');
        await q.schedule('m:k2', t + 9000, t + 999);
        expect(await q.take(t + 8000, 10, 1000)).toEqual(['m:k3']);
        expect(await q.stats()).toEqual({ pending: 2, oldestCreatedAt: t + 1 });
      });

      it('gives each due key to exactly one of many concurrent takers', async () => {
        const q = store.sweeps!;
        const t = h.now();
        for (let i = 0; i < 30; i++) await q.schedule(`m:c${i}`, t - i, t);
        const taken = (await Promise.all(Array.from({ length: 6 }, () => q.take(t, 10, 60_000)))).flat();
        expect(taken).toHaveLength(30);
        expect(new Set(taken).size).toBe(30);
      });

      it('keeps unresolved orders queued across a restart, and not resolved ones', async () => {
        const t = h.now();
        const order = { app: 'shop', appId: 'wx1', mchId: '1900000001', totalFee: 101, createdAt: t, expiresAt: t + 3_600_000 };
        await store.putOrder('1900000001:open', order);
        await store.putOrder('1900000001:done', order);
        await store.sweeps!.schedule('1900000001:open', t + 5000, t);
        await store.sweeps!.schedule('1900000001:done', t + 5000, t);
        // What the sweeper does with a result: off the queue, and marked resolved.
        await store.sweeps!.remove('1900000001:done');
        await store.putOrder('1900000001:done', { ...order, resolved: 'paid' });
        store = await h.reopen();
        expect(await store.sweeps!.take(h.now() + 10_000, 10, 1000)).toEqual(['1900000001:open']);
      });
    });

    describe('outbox', () => {
      it('appends once per id and returns the record as pending', async () => {
        const r = record();
        expect(await store.append(r)).toBe(true);
        expect(await store.append({ ...r, body: '{"other":1}' })).toBe(false);
        const got = await store.get(r.id);
        expect(got).toMatchObject({ id: r.id, app: 'shop', event: 'paid', body: r.body, state: 'pending', attempts: 0 });
        expect(await store.get('msg_unknown')).toBeUndefined();
      });

      it('leases due records of one app, up to the limit, and not again while leased', async () => {
        const a = [record(), record(), record()];
        const b = record('members');
        for (const r of [...a, b]) await store.append(r);
        const first = await store.lease({ app: 'shop', limit: 2, now: h.now(), leaseMs: 10_000 });
        expect(first).toHaveLength(2);
        expect(first.every((r) => r.app === 'shop')).toBe(true);
        const second = await store.lease({ app: 'shop', limit: 10, now: h.now(), leaseMs: 10_000 });
        expect(second.map((r) => r.id)).toEqual(a.map((r) => r.id).filter((id) => !first.some((f) => f.id === id)));
        expect(await store.lease({ app: 'shop', limit: 10, now: h.now(), leaseMs: 10_000 })).toEqual([]);
        const other = await store.lease({ app: 'members', limit: 10, now: h.now(), leaseMs: 10_000 });
        expect(other.map((r) => r.id)).toEqual([b.id]);
      });

      it('hands a record out again when its lease expires without an outcome', async () => {
        const r = record();
        await store.append(r);
        expect(await store.lease({ app: 'shop', limit: 1, now: h.now(), leaseMs: LEASE })).toHaveLength(1);
        await h.advance(LEASE + 20);
        const again = await store.lease({ app: 'shop', limit: 1, now: h.now(), leaseMs: LEASE });
        expect(again.map((x) => x.id)).toEqual([r.id]);
      });

      it('acks a delivery: delivered, never leased again', async () => {
        const r = record();
        await store.append(r);
        await store.lease({ app: 'shop', limit: 1, now: h.now(), leaseMs: LEASE });
        await store.ack(r.id, { at: h.now(), status: 204 });
        expect(await store.get(r.id)).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 204 });
        await h.advance(LEASE + 20);
        expect(await store.lease({ app: 'shop', limit: 1, now: h.now() + 1e9, leaseMs: LEASE })).toEqual([]);
      });

      it('schedules a retry: counted, not due before its time, due after', async () => {
        const r = record();
        await store.append(r);
        await store.lease({ app: 'shop', limit: 1, now: h.now(), leaseMs: 10_000 });
        const at = h.now();
        await store.retry(r.id, { at, status: 500, error: 'HTTP 500', nextAttemptAt: at + 5_000 });
        expect(await store.get(r.id)).toMatchObject({
          state: 'pending',
          attempts: 1,
          nextAttemptAt: at + 5_000,
          lastStatus: 500,
          lastError: 'HTTP 500',
        });
        expect(await store.lease({ app: 'shop', limit: 1, now: at + 4_999, leaseMs: 10_000 })).toEqual([]);
        const due = await store.lease({ app: 'shop', limit: 1, now: at + 5_000, leaseMs: 10_000 });
        expect(due.map((x) => x.id)).toEqual([r.id]);
        expect(due[0]!.attempts).toBe(1);
      });

      it('dead-letters, lists dead letters, and replays them under the same id', async () => {
        const r1 = record();
        const r2 = record();
        await store.append(r1);
        await store.append(r2);
        await store.lease({ app: 'shop', limit: 2, now: h.now(), leaseMs: 10_000 });
        await store.dead(r1.id, { at: h.now(), status: 500, error: 'HTTP 500' });
        await store.dead(r2.id, { at: h.now(), error: 'timeout' });
        expect((await store.list({ state: 'dead' })).map((x) => x.id).sort()).toEqual([r1.id, r2.id].sort());
        expect(await store.get(r1.id)).toMatchObject({ state: 'dead', attempts: 1, lastError: 'HTTP 500' });

        const t = h.now();
        expect(await store.replay(r1.id, t)).toBe(true);
        expect(await store.get(r1.id)).toMatchObject({ id: r1.id, state: 'pending', attempts: 0, since: t });
        expect(await store.replay(r1.id, t)).toBe(false);
        expect(await store.replay('msg_unknown', t)).toBe(false);
        expect(await store.replayDead(t)).toBe(1);
        expect(await store.list({ state: 'dead' })).toEqual([]);
        const leased = await store.lease({ app: 'shop', limit: 10, now: t, leaseMs: 10_000 });
        expect(leased.map((x) => x.id).sort()).toEqual([r1.id, r2.id].sort());
      });

      it('replays a delivered record', async () => {
        const r = record();
        await store.append(r);
        await store.lease({ app: 'shop', limit: 1, now: h.now(), leaseMs: 10_000 });
        await store.ack(r.id, { at: h.now(), status: 200 });
        expect(await store.replay(r.id, h.now())).toBe(true);
        const leased = await store.lease({ app: 'shop', limit: 1, now: h.now(), leaseMs: 10_000 });
        expect(leased.map((x) => x.id)).toEqual([r.id]);
      });

      it('lists records by state, oldest first', async () => {
        const rs = [record(), record(), record()];
        for (const r of rs) await store.append(r);
        expect((await store.list()).map((r) => r.id)).toEqual(rs.map((r) => r.id));
        expect((await store.list({ state: 'pending', limit: 2 })).map((r) => r.id)).toEqual(rs.slice(1).map((r) => r.id));
        expect(await store.list({ state: 'delivered' })).toEqual([]);
      });

      it('counts pending, in flight, delivered and dead, and the oldest pending age', async () => {
        const rs = [record(), record(), record(), record()];
        for (const r of rs) await store.append(r);
        const leased = await store.lease({ app: 'shop', limit: 3, now: h.now(), leaseMs: 10_000 });
        await store.ack(leased[0]!.id, { at: h.now(), status: 200 });
        await store.dead(leased[1]!.id, { at: h.now(), error: 'HTTP 410' });
        // Records are stamped by the clock as they are made, so ages are measured from the
        // youngest one: every record still open is at least 1 s old at `at`.
        const at = Math.max(...rs.map((r) => r.createdAt)) + 1_000;
        const s = await store.stats(at);
        expect(s).toMatchObject({ pending: 1, inFlight: 1, delivered: 1, dead: 1 });
        expect(s.oldestPendingAgeMs).toBeGreaterThanOrEqual(1_000);
        expect(s.oldestPendingAgeMs).toBeLessThanOrEqual(at - Math.min(...rs.map((r) => r.createdAt)));
      });

      it('keeps every concurrent append', async () => {
        const rs = Array.from({ length: 50 }, () => record());
        expect(await Promise.all(rs.map((r) => store.append(r)))).toEqual(rs.map(() => true));
        store = await h.reopen();
        expect((await store.list({ limit: 1_000 })).map((r) => r.id).sort()).toEqual(rs.map((r) => r.id).sort());
      });

      it('recovers after a restart: outcomes are kept and unfinished deliveries are handed out again', async () => {
        const [done, lost, waiting, dead] = [record(), record(), record(), record()];
        for (const r of [done, lost, waiting, dead]) await store.append(r);
        await store.lease({ app: 'shop', limit: 4, now: h.now(), leaseMs: LEASE });
        await store.ack(done.id, { at: h.now(), status: 200 });
        await store.dead(dead.id, { at: h.now(), error: 'HTTP 500' });
        const at = h.now();
        await store.retry(waiting.id, { at, error: 'timeout', nextAttemptAt: at + 1_000_000 });
        // `lost` stays leased: its worker died with the process.
        store = await h.reopen();
        await h.advance(LEASE + 20);
        expect(await store.get(done.id)).toMatchObject({ state: 'delivered' });
        expect(await store.get(dead.id)).toMatchObject({ state: 'dead' });
        expect(await store.get(waiting.id)).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: at + 1_000_000 });
        const leased = await store.lease({ app: 'shop', limit: 10, now: h.now(), leaseMs: LEASE });
        expect(leased.map((r) => r.id)).toEqual([lost.id]);
        const later = await store.lease({ app: 'shop', limit: 10, now: at + 1_000_000, leaseMs: LEASE });
        expect(later.map((r) => r.id)).toContain(waiting.id);
        expect(later.map((r) => r.id)).not.toContain(done.id);
        expect(later.map((r) => r.id)).not.toContain(dead.id);
      });
    });
  });
}
