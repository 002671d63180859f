import { mkdtemp, readdir, readFile, readlink, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '@wxpay-kit/core';
import { createFileStore } from './file-store.js';
import { encodeRecord } from './record-log.js';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (_obj, msg) => warnings.push(msg ?? '') };
}

const rec = (id: string, app = 'shop') => ({ id, app, event: 'paid' as const, body: `{"order_id":"${id}"}`, createdAt: 1_000 });

describe('file store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wxpay-fs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('cuts off a torn last record on open, with a warning, and keeps everything before it', async () => {
    const store = await createFileStore({ dir });
    await store.append(rec('a'));
    await store.append(rec('b'));
    await store.close();
    const log = join(dir, 'outbox.log');
    const whole = encodeRecord(Buffer.from(JSON.stringify({ t: 'rec', r: { ...rec('c'), state: 'pending', attempts: 0, since: 1, nextAttemptAt: 1 } })));
    await appendFile(log, whole.subarray(0, whole.length - 5));
    const sizeWithTorn = (await stat(log)).size;

    const logger = recordingLogger();
    const reopened = await createFileStore({ dir, logger });
    expect((await reopened.list()).map((r) => r.id)).toEqual(['a', 'b']);
    expect(logger.warnings.some((w) => w.includes('torn'))).toBe(true);
    expect((await stat(log)).size).toBe(sizeWithTorn - (whole.length - 5));
    await reopened.append(rec('d'));
    await reopened.close();
    const again = await createFileStore({ dir });
    expect((await again.list()).map((r) => r.id)).toEqual(['a', 'b', 'd']);
    await again.close();
  });

  it('skips a corrupt record in the middle, keeps it in a side file, and reads the records after it', async () => {
    const store = await createFileStore({ dir });
    for (const id of ['a', 'b', 'c']) await store.append(rec(id));
    await store.close();
    const log = join(dir, 'outbox.log');
    const data = await readFile(log);
    // Flip a byte inside the second record's payload.
    const firstLength = data.readUInt32BE(0);
    const second = 8 + firstLength;
    data[second + 8 + 10] = data[second + 8 + 10]! ^ 0xff;
    await writeFile(log, data);

    const logger = recordingLogger();
    const reopened = await createFileStore({ dir, logger });
    expect((await reopened.list()).map((r) => r.id)).toEqual(['a', 'c']);
    expect(logger.warnings.some((w) => w.includes('malformed'))).toBe(true);
    const side = (await readdir(dir)).filter((f) => f.startsWith('outbox.log.bad-'));
    expect(side).toHaveLength(1);
    expect((await readFile(join(dir, side[0]!))).length).toBe(data.readUInt32BE(second) + 8);
    await reopened.close();
    // The log was compacted: opening again finds nothing wrong.
    const logger2 = recordingLogger();
    const clean = await createFileStore({ dir, logger: logger2 });
    expect(logger2.warnings).toEqual([]);
    expect((await clean.list()).map((r) => r.id)).toEqual(['a', 'c']);
    await clean.close();
  });

  it('skips a record whose checksum is right but whose content is not an operation', async () => {
    await writeFile(join(dir, 'outbox.log'), Buffer.concat([encodeRecord(Buffer.from('not json')), encodeRecord(Buffer.from(JSON.stringify({ t: 'rec', r: { ...rec('z'), state: 'pending', attempts: 0, since: 1, nextAttemptAt: 1 } })))]));
    const logger = recordingLogger();
    const store = await createFileStore({ dir, logger });
    expect((await store.list()).map((r) => r.id)).toEqual(['z']);
    expect(logger.warnings).toHaveLength(1);
    await store.close();
  });

  it('shares one fsync among concurrent changes (group commit)', async () => {
    const store = await createFileStore({ dir });
    const before = store.syncs;
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.append(rec(`r${i}`))));
    const used = store.syncs - before;
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThan(20);
    await store.close();
  });

  it('compacts to the live state, atomically, and reads the same afterwards', async () => {
    let t = 10_000;
    const store = await createFileStore({ dir, now: () => t, compactBytes: 1e9 });
    for (let i = 0; i < 50; i++) await store.append({ ...rec(`r${i}`), createdAt: t });
    for (let i = 0; i < 50; i++) {
      await store.lease({ app: 'shop', limit: 1, now: t, leaseMs: 1 });
      await store.retry(`r${i}`, { at: t, error: 'HTTP 500', nextAttemptAt: t });
    }
    for (let i = 0; i < 40; i++) await store.ack(`r${i}`, { at: t, status: 200 });
    await store.claim('k', 1_000);
    await store.complete('k');
    const log = join(dir, 'outbox.log');
    const before = (await stat(log)).size;
    const snapshot = await store.list({ limit: 1_000 });
    await store.compact();
    expect((await stat(log)).size).toBeLessThan(before);
    await store.append(rec('after'));
    await store.close();
    const reopened = await createFileStore({ dir, now: () => t });
    expect((await reopened.list({ limit: 1_000 })).slice(0, 50)).toEqual(snapshot);
    expect((await reopened.get('after'))?.state).toBe('pending');
    expect(await reopened.claim('k', 1_000)).toEqual({ state: 'done' });
    await reopened.close();
  });

  it('compacts on its own as the log grows', async () => {
    const store = await createFileStore({ dir, compactBytes: 16 * 1024 });
    await store.append(rec('live'));
    for (let i = 0; i < 400; i++) {
      await store.claim(`k${i % 3}`, 10);
      await store.release(`k${i % 3}`);
    }
    // Compaction runs between write batches, so the next write lands after it.
    await store.append(rec('last'));
    expect((await stat(join(dir, 'outbox.log'))).size).toBeLessThan(20 * 1024);
    await store.close();
    const reopened = await createFileStore({ dir });
    expect((await reopened.get('live'))?.state).toBe('pending');
    await reopened.close();
  });

  it('closes the log it replaced at each compaction (no file descriptor left behind)', async () => {
    const openLogs = async (): Promise<number> => {
      const links = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
      return links.filter((target) => target.startsWith(join(dir, 'outbox.log'))).length;
    };
    const store = await createFileStore({ dir, compactBytes: 1e9 });
    await store.append(rec('live'));
    expect(await openLogs()).toBe(1);
    for (let i = 0; i < 4; i++) await store.compact();
    expect(await openLogs()).toBe(1);
    await store.close();
    expect(await openLogs()).toBe(0);
  });

  it('drops delivered records past their retention when compacting', async () => {
    let t = 0;
    const store = await createFileStore({ dir, now: () => t, retainDeliveredMs: 1_000 });
    await store.append(rec('old'));
    await store.append(rec('kept'));
    await store.ack('old', { at: 0, status: 200 });
    t = 5_000;
    await store.compact();
    expect(await store.get('old')).toBeUndefined();
    expect(await store.get('kept')).toBeDefined();
    await store.close();
  });

  it('refuses a second owner while the first lives, and allows a read-only view', async () => {
    const store = await createFileStore({ dir });
    await store.append(rec('a'));
    await expect(createFileStore({ dir })).rejects.toMatchObject({ code: 'WXPAY_ERR_STORE' });
    const view = await createFileStore({ dir, readOnly: true });
    expect((await view.list()).map((r) => r.id)).toEqual(['a']);
    await expect(view.append(rec('b'))).rejects.toMatchObject({ code: 'WXPAY_ERR_STORE' });
    await view.close();
    await store.close();
  });

  it('takes over the lock of a process that died', async () => {
    await writeFile(join(dir, 'LOCK'), '999999999');
    const store = await createFileStore({ dir });
    await store.append(rec('a'));
    await store.close();
  });
});

describe('file store leases', () => {
  it('ends the dedup leases of a process that died when it opens, so its keys come back as redeliveries', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxpay-fs-'));
    try {
      const store = await createFileStore({ dir });
      expect(await store.claim('k', 3_600_000)).toEqual({ state: 'claimed', redelivery: false });
      await store.close();
      const next = await createFileStore({ dir });
      expect(await next.claim('k', 3_600_000)).toEqual({ state: 'claimed', redelivery: true });
      expect(await next.claim('k', 3_600_000)).toEqual({ state: 'busy' });
      await next.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
