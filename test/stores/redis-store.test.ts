import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisStore, type RedisStore } from '@wxpay-kit/forwarder';
import { defineStoreSuite } from '../conformance/store-suite.js';
import { skipWithout } from '../helpers/external-tools.js';
import { startRedisServer, type RedisServer } from '../../packages/forwarder/test/helpers/redis-server.js';

describe.skipIf(skipWithout(import.meta.url, ['redis-server']))('redis store', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  defineStoreSuite('redis store', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}:`;
    const open = (): RedisStore => createRedisStore({ redis: new Redis(server.url), prefix });
    let store = open();
    const close = async (s: RedisStore): Promise<void> => {
      await s.close();
      await s.redis.quit();
    };
    return {
      get store() {
        return store;
      },
      now: () => Date.now(),
      // Leases are Redis TTLs and stream idle times: they run on the server's clock.
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      async reopen() {
        await close(store);
        store = open();
        return store;
      },
      async dispose() {
        const keys = await store.redis.keys(`${prefix}*`);
        if (keys.length > 0) await store.redis.del(...keys);
        await close(store);
      },
    };
  });

  it('recreates its consumer group when the stream was deleted under it', async () => {
    const prefix = `g${randomBytes(4).toString('hex')}:`;
    const store = createRedisStore({ redis: new Redis(server.url), prefix });
    try {
      const rec = (id: string) => ({ id, app: 'shop', event: 'paid' as const, body: '{}', createdAt: Date.now() });
      await store.append(rec('msg_1'));
      expect(await store.lease({ app: 'shop', limit: 5, now: Date.now(), leaseMs: 10_000 })).toHaveLength(1);
      await store.redis.del(`${prefix}stream:shop`);
      await store.append(rec('msg_2'));
      await expect(store.lease({ app: 'shop', limit: 5, now: Date.now(), leaseMs: 10_000 })).rejects.toMatchObject({
        code: 'WXPAY_ERR_STORE',
      });
      const leased = await store.lease({ app: 'shop', limit: 5, now: Date.now(), leaseMs: 10_000 });
      expect(leased.map((r) => r.id)).toEqual(['msg_2']);
    } finally {
      await store.redis.quit();
    }
  });
});
