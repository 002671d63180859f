import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, forwarder, type RedisStore } from '@wxpay-kit/forwarder';
import { fakeHost, paidEvent } from './helpers/events.js';
import { startCallbackServer } from './helpers/callback-server.js';
import { skipWithout } from '../../../test/helpers/external-tools.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

const SECRET = 'whsec_cmVkaXMtdGVzdA==';

describe.skipIf(skipWithout(import.meta.url, ['redis-server']))('forwarder on Redis, several instances', () => {
  let redis: RedisServer;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function instance(prefix: string, callbackUrl: string, leaseMs = 60_000) {
    const store: RedisStore = createRedisStore({ redis: new Redis(redis.url), prefix });
    const fwd = forwarder({ store, pollIntervalMs: 20, leaseMs, apps: { shop: { payCallback: callbackUrl, secret: SECRET } } });
    const host = fakeHost();
    await fwd.setup(host.host);
    cleanups.push(async () => {
      await host.close();
      await store.redis.quit();
    });
    return { store, fwd, ...host };
  }

  it('two instances on one Redis deliver each event once', async () => {
    const callback = await startCallbackServer((_r, res) => res.writeHead(200).end());
    cleanups.push(() => callback.close());
    const prefix = `two${randomBytes(3).toString('hex')}:`;
    const a = await instance(prefix, `${callback.url}/paid`);
    const b = await instance(prefix, `${callback.url}/paid`);
    const events = Array.from({ length: 200 }, () => paidEvent());
    await Promise.all(events.map((e, i) => (i % 2 === 0 ? a : b).dispatch('paid', e)));
    // A notification WeChat repeats to the other instance is stored once.
    await Promise.all(events.slice(0, 20).map((e) => b.dispatch('paid', { ...e, redelivery: true })));

    await callback.waitFor(200);
    await Promise.all([a.fwd.idle(), b.fwd.idle()]);
    const stats = await a.fwd.stats();
    expect(stats).toMatchObject({ delivered: 200, pending: 0, inFlight: 0, dead: 0 });
    const ids = callback.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    // Both instances did part of the work.
    const deliveredBy = [a, b].map((x) => x.emitted.filter((e) => e.event === 'forward-delivered').length);
    expect(deliveredBy[0]! + deliveredBy[1]!).toBe(200);
    expect(Math.min(...deliveredBy)).toBeGreaterThan(0);
  });

  it('takes over deliveries whose worker died (XAUTOCLAIM after the lease)', async () => {
    const callback = await startCallbackServer((_r, res) => res.writeHead(200).end());
    cleanups.push(() => callback.close());
    const prefix = `claim${randomBytes(3).toString('hex')}:`;
    // An instance that stored three results, took them for delivery, and died.
    const dying = createRedisStore({ redis: new Redis(redis.url), prefix });
    for (let i = 0; i < 3; i++) {
      await dying.append({ id: `msg_${i}`, app: 'shop', event: 'paid', body: '{}', createdAt: Date.now() });
    }
    expect(await dying.lease({ app: 'shop', limit: 10, now: Date.now(), leaseMs: 100 })).toHaveLength(3);
    await dying.redis.quit();

    const survivor = await instance(prefix, `${callback.url}/paid`, 100);
    await callback.waitFor(3);
    await survivor.fwd.idle();
    expect(callback.received.map((r) => r.headers['webhook-id']).sort()).toEqual(['msg_0', 'msg_1', 'msg_2']);
    expect(await survivor.fwd.stats()).toMatchObject({ delivered: 3, pending: 0, inFlight: 0 });
  });
});
