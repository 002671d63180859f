/**
 * What the records that notifications are checked against cost while they are kept (a year and a
 * week by default): the file store holds every order and refund record in memory; Redis holds one
 * string key each. Measured here and printed (`npx vitest run test/stores/record-memory.test.ts`);
 * docs/reliability.md has the figures. The bounds are loose: they catch a record that suddenly
 * keeps far more than its fields, not a few bytes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { DedupStore, OrderRecord } from '@wxpay-kit/core';
import { createFileStore, createRedisStore } from '@wxpay-kit/forwarder';
import { hasRedisServer, startRedisServer, type RedisServer } from '../../packages/forwarder/test/helpers/redis-server.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function retainedHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const MCH_ID = '1900000109';
const COUNT = 10_000;

/**
 * Writes `COUNT` orders and `COUNT` refunds as create-pay and create-refund record them: 32-character
 * order and refund numbers (WeChat's maximum), a typical app name and app id.
 */
async function writeRecords(store: DedupStore, run: string): Promise<void> {
  const base = { app: 'shop', appId: 'wxd930ea5d5a258f4f', mchId: MCH_ID, createdAt: Date.now() };
  // In batches of concurrent writes, which the file store commits with one fsync each.
  for (let start = 0; start < COUNT; start += 500) {
    const writes: unknown[] = [];
    for (let i = start; i < Math.min(COUNT, start + 500); i++) {
      const orderId = `${run}${String(i).padStart(32 - run.length, '0')}`;
      const refundId = `R${orderId.slice(1)}`;
      const order: OrderRecord = { ...base, totalFee: 10_000 + i };
      const refund: OrderRecord = { ...base, totalFee: 100 + i, orderId, orderTotalFee: 10_000 + i };
      writes.push(store.putOrder(`${MCH_ID}:${orderId}`, order), store.putOrder(`${MCH_ID}:refund:${refundId}`, refund));
    }
    await Promise.all(writes);
  }
}

const report = (what: string, bytes: number): void => {
  console.log(`${what}: ${Math.round(bytes)} bytes per record (${COUNT * 2} records: ${COUNT} orders + ${COUNT} refunds)`);
};

describe('memory per record kept to check notifications against', () => {
  it('file store: heap held per order or refund record, after a restart (records read back from the log)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxpay-record-memory-'));
    try {
      const writer = await createFileStore({ dir });
      await writeRecords(writer, `T${randomBytes(2).toString('hex')}`);
      await writer.close();
      const before = retainedHeap();
      const store = await createFileStore({ dir });
      const perRecord = (retainedHeap() - before) / (COUNT * 2);
      report('file store, heap', perRecord);
      expect(await store.getOrder(`${MCH_ID}:${'0'.repeat(32)}`)).toBeUndefined();
      await store.close();
      expect(perRecord).toBeGreaterThan(0);
      expect(perRecord).toBeLessThan(1_024);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe.skipIf(!hasRedisServer)('redis store', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedisServer();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('Redis used_memory per order or refund record (one string key with a TTL each)', async () => {
      const store = createRedisStore({ redis: new Redis(server.url), prefix: 'wxpay:' });
      const used = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await store.redis.info('memory'))?.[1]);
      try {
        const before = await used();
        await writeRecords(store, `T${randomBytes(2).toString('hex')}`);
        const perRecord = ((await used()) - before) / (COUNT * 2);
        report('redis store, used_memory', perRecord);
        expect(perRecord).toBeGreaterThan(0);
        expect(perRecord).toBeLessThan(1_024);
      } finally {
        await store.close();
        await store.redis.quit();
      }
    });
  });
});
