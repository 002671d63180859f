import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Logger } from '@wxpay-kit/core';
import { createRedisStore } from './redis-store.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('createRedisStore from a URL', () => {
  it('reports connection errors to its logger once per kind while reconnecting', async () => {
    const warnings: object[] = [];
    let errors = 0;
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (obj) => void warnings.push(obj) };
    const store = createRedisStore({ redis: `redis://127.0.0.1:${await closedPort()}`, logger });
    // Wait for several failed connection attempts (ioredis retries after 50, 100, 150 ms …).
    await new Promise<void>((resolve) => {
      store.redis.on('error', () => {
        if (++errors === 3) resolve();
      });
    });
    expect(warnings).toEqual([{ code: 'ECONNREFUSED', err: { name: 'Error', message: expect.stringContaining('ECONNREFUSED') } }]);
    await store.close();
  });
});
