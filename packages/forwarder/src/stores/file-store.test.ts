import { mkdtemp, readdir, readFile, readlink, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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
    const whole = encodeRecord(
      Buffer.from(JSON.stringify({ t: 'rec', r: { ...rec('c'), state: 'pending', attempts: 0, since: 1, nextAttemptAt: 1 } })),
    );
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
    await writeFile(
      join(dir, 'outbox.log'),
      Buffer.concat([
        encodeRecord(Buffer.from('not json')),
        encodeRecord(
          Buffer.from(JSON.stringify({ t: 'rec', r: { ...rec('z'), state: 'pending', attempts: 0, since: 1, nextAttemptAt: 1 } })),
        ),
      ]),
    );
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

describe('file store under sustained load', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wxpay-fs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const big = (id: string, bytes: number) => ({ ...rec(id), body: JSON.stringify({ order_id: id, pad: 'x'.repeat(bytes) }) });

  it('keeps the bodies of delivered and dead records on disk only, and reads them back whole', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const store = await createFileStore({ dir, compactBytes: 1e12 });
    const n = 2_000;
    const bodyBytes = 8 * 1024;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i += 100) {
      const ids = Array.from({ length: 100 }, (_, k) => `r${i + k}`);
      await Promise.all(ids.map((id) => store.append(big(id, bodyBytes))));
      await store.lease({ app: 'shop', limit: 100, now: 1_000, leaseMs: 60_000 });
      await Promise.all(
        ids.map((id, k) =>
          k % 10 === 0 ? store.dead(id, { at: 2_000, status: 500, error: 'HTTP 500' }) : store.ack(id, { at: 2_000, status: 204 }),
        ),
      );
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // Held in memory, the bodies alone would take n * bodyBytes (16 MiB).
    expect(grown).toBeLessThan((n * bodyBytes) / 8);
    expect(await store.get('r1')).toMatchObject({
      id: 'r1',
      state: 'delivered',
      attempts: 1,
      lastStatus: 204,
      finishedAt: 2_000,
      body: big('r1', bodyBytes).body,
    });
    expect(await store.get('r10')).toMatchObject({ id: 'r10', state: 'dead', lastError: 'HTTP 500', body: big('r10', bodyBytes).body });
    expect((await store.list({ state: 'dead', limit: 1_000 })).map((r) => r.id)).toEqual(
      Array.from({ length: n / 10 }, (_, k) => `r${k * 10}`),
    );
    expect(await store.stats(3_000)).toMatchObject({ pending: 0, inFlight: 0, delivered: n - n / 10, dead: n / 10 });
    expect(await store.replay('r1', 3_000)).toBe(true);
    expect(await store.get('r1')).toMatchObject({ state: 'pending', attempts: 0, since: 3_000, body: big('r1', bodyBytes).body });
    await store.close();
  });

  it('keeps every change made while a compaction runs, before and after a restart', async () => {
    let t = 10_000;
    const store = await createFileStore({ dir, now: () => t, compactBytes: 1e12 });
    const n = 3_000;
    for (let i = 0; i < n; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, k) => store.append(big(`old${i + k}`, 200))));
    }
    await store.lease({ app: 'shop', limit: n, now: t, leaseMs: 60_000 });
    await Promise.all(Array.from({ length: n / 2 }, (_, i) => store.ack(`old${i}`, { at: t, status: 200 })));
    await store.claim('released', 60_000);

    // Changes of every kind, issued while the snapshot is being written.
    const compaction = store.compact();
    const during: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      during.push(store.append(big(`new${i}`, 200)));
      during.push(Promise.resolve(store.claim(`key${i}`, 60_000)).then(() => store.complete(`key${i}`)));
    }
    during.push(store.ack(`old${n - 1}`, { at: t, status: 201 }));
    during.push(store.retry(`old${n - 2}`, { at: t, error: 'HTTP 503', status: 503, nextAttemptAt: t + 5_000 }));
    during.push(store.dead(`old${n - 3}`, { at: t, error: 'timeout' }));
    during.push(store.replay('old0', t + 1));
    during.push(Promise.resolve(store.release('released')));
    during.push(
      Promise.resolve(store.putOrder('1900000109:o1', { app: 'shop', appId: 'wx1', mchId: '1900000109', totalFee: 101, createdAt: t })),
    );
    await Promise.all([compaction, ...during]);
    await store.append(big('after', 200));

    const expected = await store.list({ limit: 10_000 });
    expect(expected).toHaveLength(n + 201);
    expect(expected.find((r) => r.id === 'old0')).toMatchObject({ state: 'pending', since: t + 1 });
    expect(expected.find((r) => r.id === `old${n - 1}`)).toMatchObject({ state: 'delivered', lastStatus: 201 });
    expect(expected.find((r) => r.id === `old${n - 2}`)).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastStatus: 503,
      nextAttemptAt: t + 5_000,
    });
    expect(expected.find((r) => r.id === `old${n - 3}`)).toMatchObject({ state: 'dead', lastError: 'timeout' });
    await store.close();

    const reopened = await createFileStore({ dir, now: () => t });
    expect(await reopened.list({ limit: 10_000 })).toEqual(expected);
    for (let i = 0; i < 200; i++) expect(await reopened.claim(`key${i}`, 60_000)).toEqual({ state: 'done' });
    expect(await reopened.claim('released', 60_000)).toEqual({ state: 'claimed', redelivery: false });
    expect(await reopened.getOrder('1900000109:o1')).toMatchObject({ totalFee: 101 });
    // Compacting again over the compacted log keeps the same state.
    await reopened.compact();
    expect(await reopened.list({ limit: 10_000 })).toEqual(expected);
    await reopened.close();
    const third = await createFileStore({ dir, now: () => t });
    expect(await third.list({ limit: 10_000 })).toEqual(expected);
    await third.close();
  });

  it('acknowledges appends while a compaction writes its snapshot', async () => {
    const store = await createFileStore({ dir, compactBytes: 1e12 });
    const n = 20_000;
    for (let i = 0; i < n; i += 1_000) {
      await Promise.all(Array.from({ length: 1_000 }, (_, k) => store.append(big(`r${i + k}`, 600))));
    }
    await store.lease({ app: 'shop', limit: n, now: 2_000, leaseMs: 60_000 });
    for (let i = 0; i < n; i += 1_000) {
      await Promise.all(Array.from({ length: 1_000 }, (_, k) => store.ack(`r${i + k}`, { at: 2_000, status: 204 })));
    }
    const order: string[] = [];
    const compaction = store.compact().then(() => order.push('compacted'));
    await store.append(rec('during')).then(() => order.push('appended'));
    await compaction;
    expect(order).toEqual(['appended', 'compacted']);
    await store.close();
  });

  it('drops the copy of a compaction that a crash cut short, and keeps the log', async () => {
    const store = await createFileStore({ dir });
    await store.append(rec('a'));
    await store.close();
    await writeFile(join(dir, 'outbox.log.compact'), Buffer.from('half a snapshot'));
    const reopened = await createFileStore({ dir });
    expect((await reopened.list()).map((r) => r.id)).toEqual(['a']);
    expect(await readdir(dir)).not.toContain('outbox.log.compact');
    await reopened.close();
  });

  it('reads a log whose deliveries were recorded as small outcome records, and rewrites it', async () => {
    const image = (id: string) => ({ t: 'rec', r: { ...rec(id), state: 'pending', attempts: 0, since: 1_000, nextAttemptAt: 1_000 } });
    const ops = [
      image('a'),
      image('b'),
      image('c'),
      { t: 'ok', id: 'a', at: 2_000, attempts: 1, status: 200 },
      { t: 'dead', id: 'b', at: 2_000, attempts: 1, error: 'HTTP 500' },
    ];
    await writeFile(join(dir, 'outbox.log'), Buffer.concat(ops.map((op) => encodeRecord(Buffer.from(JSON.stringify(op))))));
    const store = await createFileStore({ dir, now: () => 3_000 });
    expect((await store.list()).map((r) => [r.id, r.state])).toEqual([
      ['a', 'delivered'],
      ['b', 'dead'],
      ['c', 'pending'],
    ]);
    expect(await store.get('a')).toMatchObject({ finishedAt: 2_000, lastStatus: 200, body: rec('a').body });
    await store.close();
    const log = await readFile(join(dir, 'outbox.log'));
    expect(log.includes(Buffer.from('"t":"ok"'))).toBe(false);
  });
});

describe('file store leases over a backlog', () => {
  it('hands out the earliest due records first, each once per lease, whatever their order of arrival', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxpay-fs-'));
    try {
      const store = await createFileStore({ dir, compactBytes: 1e12 });
      const n = 5_000;
      for (let i = 0; i < n; i += 500)
        await Promise.all(Array.from({ length: 500 }, (_, k) => store.append({ ...rec(`r${i + k}`), createdAt: 1_000 })));
      // Every record is leased once and rescheduled: the odd ones to 5,000, the others to a time
      // counting down, so due order is the reverse of arrival; one keeps its due time.
      expect(await store.lease({ app: 'shop', limit: n, now: 1_000, leaseMs: 100 })).toHaveLength(n);
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          store.retry(`r${i}`, { at: 1_000, error: 'HTTP 500', nextAttemptAt: i === 7 ? 1_000 : i % 2 === 1 ? 5_000 : 4_000 - i / 2 }),
        ),
      );
      const first = await store.lease({ app: 'shop', limit: 3, now: 10_000, leaseMs: 60_000 });
      expect(first.map((r) => r.id)).toEqual(['r7', `r${n - 2}`, `r${n - 4}`]);
      const rest = await store.lease({ app: 'shop', limit: n, now: 10_000, leaseMs: 60_000 });
      expect(rest).toHaveLength(n - 3);
      expect(rest.map((r) => r.nextAttemptAt)).toEqual([...rest.map((r) => r.nextAttemptAt)].sort((a, b) => a - b));
      expect(new Set([...first, ...rest].map((r) => r.id)).size).toBe(n);
      expect(await store.lease({ app: 'shop', limit: n, now: 69_999, leaseMs: 60_000 })).toEqual([]);
      await store.ack('r7', { at: 10_000, status: 200 });
      const again = await store.lease({ app: 'shop', limit: n, now: 70_000, leaseMs: 60_000 });
      expect(again).toHaveLength(n - 1);
      expect(again.map((r) => r.id)).not.toContain('r7');
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
