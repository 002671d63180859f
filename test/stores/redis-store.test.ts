import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisStore, type RedisStore } from '@wxpay-kit/forwarder';
import { defineStoreSuite } from '../conformance/store-suite.js';
import { hasRedisServer, startRedisServer, type RedisServer } from '../../packages/forwarder/test/helpers/redis-server.js';

describe.skipIf(!hasRedisServer)('redis store', () => {
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
});
