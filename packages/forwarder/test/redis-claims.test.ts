/**
 * Several instances on one Redis: the claim that makes `paid` fire once is renewed while its
 * listeners run and freed soon after its holder dies, and the consumer group keeps no consumers of
 * dead instances.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWxPay, DEFAULT_LEASE_MS, type PaidEvent, type WxPay } from '@wxpay-kit/core';
import { buildPayNotification, signNotifyXml } from '@wxpay-kit/core/testing';
import { createRedisStore, type RedisStore } from '@wxpay-kit/forwarder';
import { hasRedisServer, startRedisServer, type RedisServer } from './helpers/redis-server.js';

const MCH_ID = '1900000109';
const API_KEY = '192006250b4c09247ec02edce69f6a2d';
const APP_ID = 'wxd930ea5d5a258f4f';
/** The injected short lease: renewed every third of it while listeners run. */
const LEASE_MS = 1_000;

describe.skipIf(!hasRedisServer)('Redis claims and consumers across instances', () => {
  let server: RedisServer;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  function store(prefix: string, extra: Partial<Parameters<typeof createRedisStore>[0]> = {}): RedisStore {
    const s = createRedisStore({ redis: new Redis(server.url, { maxRetriesPerRequest: 1 }), prefix, ...extra });
    cleanups.push(async () => {
      await s.close();
      s.redis.disconnect();
    });
    return s;
  }

  /** One gateway-like instance: its own Redis connection, the shared prefix, a `paid` listener. */
  function instance(prefix: string, listener: (event: PaidEvent) => Promise<void> | void) {
    const s = store(prefix);
    const wxpay: WxPay = createWxPay({
      merchants: [{ name: 'main', mchId: MCH_ID, apiKey: API_KEY, baseUrl: 'http://127.0.0.1:1' }],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
      notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund',
      store: s,
      leaseMs: LEASE_MS,
    });
    wxpay.on('paid', listener);
    cleanups.push(() => wxpay.close());
    return { wxpay, store: s };
  }

  const notification = (transactionId: string): string =>
    signNotifyXml(
      buildPayNotification({
        appid: APP_ID,
        mch_id: MCH_ID,
        out_trade_no: `o${transactionId}`,
        transaction_id: transactionId,
        total_fee: '101',
        cash_fee: '101',
      }),
      API_KEY,
    );

  /** WeChat delivering `xml` to `wxpay`: true when answered SUCCESS. */
  async function deliver(wxpay: WxPay, xml: string): Promise<boolean> {
    const out = await wxpay.handle({
      method: 'POST',
      path: '/notify-pay/shop',
      headers: { 'content-type': 'text/xml' },
      rawBody: Buffer.from(xml),
    });
    return Buffer.from(out.body).toString().includes('<return_code><![CDATA[SUCCESS]]></return_code>');
  }

  it('defaults to a lease shorter than the 15 s before WeChat delivers again', () => {
    expect(DEFAULT_LEASE_MS).toBeLessThanOrEqual(15_000);
  });

  it("an instance that dies holding a claim blocks the transaction for about one lease: the first retry after it fires 'paid' once", async () => {
    const prefix = `dead${randomBytes(3).toString('hex')}:`;
    const xml = notification(`4200${Date.now()}1`);
    let dying!: () => void;
    const hung = new Promise<void>((resolve) => (dying = resolve));
    const a = instance(prefix, () => hung);
    const fired: PaidEvent[] = [];
    const b = instance(prefix, (e) => void fired.push(e));

    // A takes the notification and hangs in its listener; a copy to B meanwhile is refused (busy).
    const first = deliver(a.wxpay, xml);
    await sleep(LEASE_MS * 1.5);
    expect(await deliver(b.wxpay, xml)).toBe(false);
    // A's heartbeat kept the claim past its first lease; now A dies: it renews no more.
    a.store.redis.disconnect();
    const diedAt = Date.now();
    // WeChat's next retry, one lease (plus a margin for this busy machine) after the death, succeeds.
    await sleep(LEASE_MS + 500);
    expect(await deliver(b.wxpay, xml)).toBe(true);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.redelivery).toBe(true);
    expect(Date.now() - diedAt).toBeGreaterThanOrEqual(LEASE_MS);
    dying();
    await first.catch(() => undefined);
  });

  it("a listener slower than the lease keeps its claim (renewed): a concurrent retry on another instance does not fire 'paid' twice", async () => {
    const prefix = `slow${randomBytes(3).toString('hex')}:`;
    const xml = notification(`4200${Date.now()}2`);
    const fired: string[] = [];
    const a = instance(prefix, async () => {
      fired.push('a');
      await sleep(LEASE_MS * 3);
    });
    const b = instance(prefix, () => void fired.push('b'));
    const first = deliver(a.wxpay, xml);
    // WeChat retries on B while A's listener is still running, well past the first lease.
    await sleep(LEASE_MS * 1.5);
    expect(await deliver(b.wxpay, xml)).toBe(false);
    await sleep(LEASE_MS * 0.7);
    expect(await deliver(b.wxpay, xml)).toBe(false);
    expect(await first).toBe(true);
    // Once A completed, B answers SUCCESS without firing again.
    expect(await deliver(b.wxpay, xml)).toBe(true);
    expect(fired).toEqual(['a']);
  });

  it('restarted and killed instances leave no consumers behind; a dead one with entries is pruned once they are taken over, and none is lost', async () => {
    const prefix = `cons${randomBytes(3).toString('hex')}:`;
    const stream = `${prefix}stream:shop`;
    const consumers = async (s: RedisStore): Promise<{ name: string; pending: number }[]> => {
      const rows = (await s.redis.call('XINFO', 'CONSUMERS', stream, 'forwarder')) as unknown[][];
      return rows.map((row) => ({ name: String(row[row.indexOf('name') + 1]), pending: Number(row[row.indexOf('pending') + 1]) }));
    };
    const now = Date.now();
    // Five restarts: three stopped cleanly (close), two killed (connection dropped, nothing closed).
    for (let i = 0; i < 5; i++) {
      const s = store(prefix, { consumer: `old-${i}` });
      expect(await s.lease({ app: 'shop', limit: 10, now, leaseMs: 200 })).toEqual([]);
      if (i % 2 === 0) await s.close();
      s.redis.disconnect();
    }
    // One more dies holding two results it took for delivery.
    const holder = store(prefix, { consumer: 'old-holder' });
    for (const id of ['msg_a', 'msg_b']) await holder.append({ id, app: 'shop', event: 'paid', body: '{}', createdAt: now });
    expect(await holder.lease({ app: 'shop', limit: 10, now, leaseMs: 200 })).toHaveLength(2);
    holder.redis.disconnect();

    await sleep(400);
    const live = store(prefix, { consumer: 'live', staleConsumerMs: 300 });
    // The live instance takes over the dead holder's entries, then prunes every idle, empty consumer.
    const taken = await live.lease({ app: 'shop', limit: 10, now: Date.now(), leaseMs: 200 });
    expect(taken.map((r) => r.id).sort()).toEqual(['msg_a', 'msg_b']);
    expect(await consumers(live)).toEqual([{ name: 'live', pending: 2 }]);
    for (const r of taken) await live.ack(r.id, { at: Date.now(), status: 200 });
    expect((await live.list({ state: 'delivered' })).map((r) => r.id).sort()).toEqual(['msg_a', 'msg_b']);
    // A clean stop removes its own consumer too.
    await live.close();
    const after = store(prefix, { consumer: 'inspector' });
    expect(await consumers(after)).toEqual([]);
  });
});
