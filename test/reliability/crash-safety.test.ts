/**
 * Crash safety: a host process (core + forwarder, file store or Redis) is SIGKILLed at random
 * moments while notifications arrive and results are forwarded. The test stands in for WeChat:
 * whatever was not acknowledged is sent again. Every acknowledged notification must reach the
 * app. Also: a torn final record, and a restart over a large backlog.
 */
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createFileStore } from '@wxpay-kit/forwarder';
import { skipWithout } from '../helpers/external-tools.js';
import { startRedisServer, type RedisServer } from '../../packages/forwarder/test/helpers/redis-server.js';
import { listenLoopback, type LoopbackServer } from '../helpers/loopback.js';
import { buildHost, prepareHost, startHost, type HostProcess, type PreparedHost } from './host-process.js';
import { payNotification, replyCode, writeFigures } from './support.js';

/** False when redis-server is missing: the Redis variants are skipped, with one line saying so. */
const hasRedisServer = !skipWithout(import.meta.url, ['redis-server'], 'the Redis variants');

/** Kills per store per run; `npm run test:soak` raises it. */
const KILLS = Number(process.env['CRASH_KILLS'] ?? (hasRedisServer ? 25 : 50));
/** Records queued before the timed restart; `npm run test:soak` raises it. */
const BACKLOG = Number(process.env['BACKLOG_RECORDS'] ?? 20_000);
const SENDERS = 6;
/** File store compaction threshold in the crash runs: small, so compactions happen between and during kills. */
const COMPACT_BYTES = 32 * 1024;

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-crash-'));
  dirs.push(dir);
  return dir;
}
let redis: RedisServer | undefined;
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  await buildHost();
  if (hasRedisServer) redis = await startRedisServer();
});
afterAll(async () => {
  writeFigures('crash-safety', figures);
  await redis?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The app: records the transaction id of every delivery (duplicates included). */
async function startReceiver(): Promise<{ server: LoopbackServer; received: string[]; waitFor: (ids: Iterable<string>) => Promise<void> }> {
  const received: string[] = [];
  const waiters = new Set<() => void>();
  const server = await listenLoopback((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => void (body += d.toString()));
    req.on('end', () => {
      const txn = (JSON.parse(body) as { transaction_id?: string }).transaction_id ?? '?';
      received.push(txn);
      res.writeHead(204).end();
      for (const w of waiters) w();
    });
  });
  const waitFor = (ids: Iterable<string>): Promise<void> => {
    const want = new Set(ids);
    return new Promise<void>((resolve) => {
      const check = (): void => {
        const have = new Set(received);
        if ([...want].every((id) => have.has(id))) {
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      check();
    });
  };
  return { server, received, waitFor };
}

async function post(url: string, xml: string): Promise<'SUCCESS' | 'FAIL' | 'ERROR'> {
  try {
    const res = await request(`${url}/notify-pay/shop`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: xml,
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    const body = await res.body.text();
    const type = res.headers['content-type'];
    return replyCode({ body, headers: { 'content-type': String(Array.isArray(type) ? type[0] : (type ?? '')) } }) ?? 'ERROR';
  } catch {
    return 'ERROR';
  }
}

/** WeChat's side of the test: notifications by transaction id, and which ones were acknowledged. */
class WeChat {
  readonly bodies = new Map<string, string>();
  readonly acked = new Set<string>();
  private seq = 0;
  /** A transaction not acknowledged yet (to send again), else a new one. */
  next(): string {
    for (const txn of this.bodies.keys()) if (!this.acked.has(txn) && !this.inFlight.has(txn)) return txn;
    const txn = `42000${Date.now()}${String((this.seq += 1)).padStart(8, '0')}`.slice(0, 28);
    this.bodies.set(txn, payNotification({ transaction_id: txn, out_trade_no: `C${txn.slice(-20)}` }));
    return txn;
  }
  readonly inFlight = new Set<string>();
  unacked(): string[] {
    return [...this.bodies.keys()].filter((t) => !this.acked.has(t));
  }
  /** Sends from `SENDERS` loops until `stop()` resolves true. */
  async send(url: string, stopped: () => boolean): Promise<void> {
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (!stopped()) {
          const txn = this.next();
          this.inFlight.add(txn);
          const code = await post(url, this.bodies.get(txn) ?? '');
          this.inFlight.delete(txn);
          if (code === 'SUCCESS') this.acked.add(txn);
          if (code === 'ERROR') return;
        }
      }),
    );
  }
}

const kinds = hasRedisServer ? (['file', 'redis'] as const) : (['file'] as const);

describe.each(kinds)('SIGKILL during intake and forwarding (%s store)', (kind) => {
  it(`${KILLS} random kills: every acknowledged notification reaches the app`, { timeout: Math.max(240_000, KILLS * 5_000) }, async () => {
    const receiver = await startReceiver();
    const dir = tempDir();
    const env: Record<string, string> =
      kind === 'file'
        ? { STORE: 'file', STORE_DIR: dir, RECEIVER: `${receiver.server.url}/paid`, LEASE_MS: '300', COMPACT_BYTES: String(COMPACT_BYTES) }
        : {
            STORE: 'redis',
            REDIS_URL: redis?.url ?? '',
            REDIS_PREFIX: `crash${randomBytes(4).toString('hex')}:`,
            RECEIVER: `${receiver.server.url}/paid`,
            LEASE_MS: '300',
          };
    const wechat = new WeChat();
    let torn = 0;
    // File store: how often the log was found replaced by a compaction between two kills, and how
    // many kills left a compaction's copy behind (the process died while compacting).
    let compactions = 0;
    let killedWhileCompacting = 0;
    let inode = -1;
    const started = performance.now();
    const spares: (() => Promise<void>)[] = [];
    try {
      // The next process loads its code while the current one runs; it opens the store only
      // after the current one is dead.
      let next: PreparedHost = await prepareHost(env);
      spares.push(() => next.cancel());
      for (let k = 0; k < KILLS; k += 1) {
        const host = await next.go();
        next = await prepareHost(env);
        let dead = false;
        // The kill comes a random 30–330 ms after this process has acknowledged its first two
        // notifications (or after 5 s at most), so a slow start on a loaded machine does not turn a
        // run into kills of processes that never served anything.
        const window = 30 + Math.floor(Math.random() * 300);
        const ackedBefore = wechat.acked.size;
        const armDeadline = performance.now() + 5_000;
        let killer: NodeJS.Timeout | undefined;
        const arm = setInterval(() => {
          if (killer !== undefined || (wechat.acked.size < ackedBefore + 2 && performance.now() < armDeadline)) return;
          clearInterval(arm);
          killer = setTimeout(() => {
            dead = true;
            void host.kill('SIGKILL');
          }, window);
        }, 5);
        await wechat.send(host.url, () => dead);
        clearInterval(arm);
        clearTimeout(killer);
        dead = true;
        expect(await host.kill('SIGKILL')).toBe('SIGKILL');
        if (kind === 'file') {
          if (existsSync(join(dir, 'outbox.log.compact'))) killedWhileCompacting += 1;
          const now = existsSync(join(dir, 'outbox.log')) ? statSync(join(dir, 'outbox.log')).ino : -1;
          if (inode !== -1 && now !== inode) compactions += 1;
          inode = now;
        }
        // Every fifth kill, leave a torn record at the end of the log, as a kill mid-write would.
        if (kind === 'file' && k % 5 === 4) {
          appendFileSync(join(dir, 'outbox.log'), randomBytes(1 + Math.floor(Math.random() * 40)));
          torn += 1;
        }
      }
      // The last start: WeChat sends everything it still holds until each is acknowledged.
      const host: HostProcess = await next.go();
      try {
        // A transaction claimed by a killed process stays busy for its lease (300 ms here), so
        // WeChat's retries are spaced like its schedule, compressed.
        for (let round = 0; wechat.unacked().length > 0 && round < 30; round += 1) {
          if (round > 0) await new Promise((resolve) => setTimeout(resolve, 200));
          await Promise.all(
            wechat.unacked().map(async (txn) => {
              if ((await post(host.url, wechat.bodies.get(txn) ?? '')) === 'SUCCESS') wechat.acked.add(txn);
            }),
          );
        }
        expect(wechat.unacked()).toEqual([]);
        // Deliveries retry every 50–200 ms and in-flight leases last 1 s: 20 s is ample.
        await Promise.race([receiver.waitFor(wechat.acked), new Promise((resolve) => setTimeout(resolve, 20_000))]);
      } finally {
        await host.kill('SIGKILL');
      }
      const delivered = new Set(receiver.received);
      const lost = [...wechat.acked].filter((t) => !delivered.has(t));
      if (lost.length > 0 && kind === 'file') {
        const view = await createFileStore({ dir, readOnly: true });
        const records = (await view.list({ limit: 100_000 })).filter((r) => lost.some((t) => r.body.includes(t)));
        expect({ lost, records: records.map((r) => ({ state: r.state, attempts: r.attempts, lastError: r.lastError })) }).toEqual({
          lost: [],
          records: [],
        });
      }
      expect(lost).toEqual([]);
      expect(wechat.acked.size).toBeGreaterThan(KILLS);
      figures[kind] = {
        kills: KILLS,
        tornRecordsInjected: torn,
        notifications: wechat.bodies.size,
        acknowledged: wechat.acked.size,
        lost: lost.length,
        deliveries: receiver.received.length,
        duplicateDeliveries: receiver.received.length - delivered.size,
        seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      };
      if (kind === 'file') {
        expect(readdirSync(dir)).toContain('outbox.log');
        // Kills that land mid-compaction are asserted in packages/forwarder/test/compaction-crash.test.ts;
        // here compactions happen as the log grows, and are only counted.
        figures[kind] = { ...(figures[kind] as object), compactionsBetweenKills: compactions, killedWhileCompacting };
      }
    } finally {
      for (const cancel of spares.splice(0)) await cancel();
      await receiver.server.close();
    }
  });
});

describe('restart over a large backlog (file store)', () => {
  // CI queues 20,000 records; `npm run test:soak` queues 100,000 (BACKLOG_RECORDS).
  it(`serves and forwards again after a restart with ${BACKLOG} queued records (time measured, not asserted)`, {
    timeout: 120_000,
  }, async () => {
    const dir = tempDir();
    const store = await createFileStore({ dir });
    const fillStarted = performance.now();
    const body = JSON.stringify({ transaction_id: 'backlog', padding: 'x'.repeat(600) });
    const now = Date.now();
    for (let i = 0; i < BACKLOG; i += 1000) {
      await Promise.all(
        Array.from({ length: Math.min(1000, BACKLOG - i) }, (_, j) =>
          store.append({ id: `msg_backlog_${i + j}`, app: 'shop', event: 'paid', body, createdAt: now }),
        ),
      );
    }
    const fillMs = performance.now() - fillStarted;
    expect((await store.stats(Date.now())).pending).toBe(BACKLOG);
    await store.close();

    let firstDelivery = 0;
    const receiver = await listenLoopback((req, res) => {
      req.resume();
      firstDelivery ||= performance.now();
      res.writeHead(204).end();
    });
    const spawned = performance.now();
    const host = await startHost({ STORE: 'file', STORE_DIR: dir, RECEIVER: `${receiver.url}/paid` });
    const readyMs = performance.now() - spawned;
    try {
      const reply = await post(host.url, payNotification());
      const servedMs = performance.now() - spawned;
      expect(reply).toBe('SUCCESS');
      while (firstDelivery === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      figures['backlog'] = {
        records: BACKLOG,
        fillSeconds: Number((fillMs / 1000).toFixed(1)),
        spawnToListeningMs: Math.round(readyMs),
        hostReportedStartMs: Math.round(host.startMs),
        spawnToFirstNotificationAckedMs: Math.round(servedMs),
        spawnToFirstDeliveryMs: Math.round(firstDelivery - spawned),
      };
    } finally {
      await host.kill('SIGKILL');
      await receiver.close();
    }
  });
});
