/**
 * Sweeper load: a backlog of pending orders (100,000 by default), all due at once, swept against a
 * loopback WeChat Pay stub that answers every order query NOTPAY. Measures the WeChat calls per
 * second each merchant gets (the sweeper's `rate` must hold them down whatever the backlog), the
 * time one pass takes, and the process's memory (heap and RSS, after a GC) before the backlog is
 * queued, once it is queued, and after sweeping.
 *
 *   node --expose-gc --import tsx bench/src/sweeper-load.ts [--orders 100000] [--merchants 2]
 *        [--rate 10] [--seconds 30] [--store memory|file|redis] [--write]
 *
 * `--write` puts the table into docs/benchmarks.md (section "Sweeper load", between markers; a
 * full `npm run bench` keeps it). `--store redis` starts a throwaway redis-server on a free port.
 * Not part of `npm test`: it is a measurement, not an assertion.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMemoryDedupStore, createWxPay, type DedupStore, type OrderRecord, type WxPay } from '@wxpay-kit/core';
import { buildXml, parseXml, sign } from '@wxpay-kit/core/protocol';
import { createFileStore, createRedisStore } from '@wxpay-kit/forwarder';
import { SWEEPER_BEGIN, SWEEPER_END, replaceSection } from './doc-sections.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (argv[i + 1] ?? fallback);
};
const ORDERS = Number(arg('orders', '100000'));
const MERCHANTS = Number(arg('merchants', '2'));
const RATE = Number(arg('rate', '10'));
const SECONDS = Number(arg('seconds', '30'));
const STORE = arg('store', 'memory') as 'memory' | 'file' | 'redis';
const WRITE = argv.includes('--write');
const repo = fileURLToPath(new URL('../..', import.meta.url));

const KEY = '192006250b4c09247ec02edce69f6a2d';
const APP_ID = 'wxd930ea5d5a258f4f';
const mchIds = Array.from({ length: MERCHANTS }, (_, i) => String(1900000100 + i));

const gc = (globalThis as { gc?: () => void }).gc;
interface Memory {
  readonly heapMiB: number;
  readonly rssMiB: number;
}
function memory(): Memory {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heapMiB: m.heapUsed / 2 ** 20, rssMiB: m.rss / 2 ** 20 };
}

/** The stub: every `/pay/orderquery` answered NOTPAY, signed; each call's time and merchant kept. */
async function startStub(): Promise<{ server: Server; url: string; calls: { at: number; mchId: string }[] }> {
  const calls: { at: number; mchId: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const q = parseXml(Buffer.concat(chunks));
      const mchId = String(q['mch_id']);
      calls.push({ at: performance.now(), mchId });
      const reply: Record<string, string> = {
        return_code: 'SUCCESS',
        return_msg: 'OK',
        appid: String(q['appid']),
        mch_id: mchId,
        nonce_str: 'bench0nonce0000000000000000000000',
        result_code: 'SUCCESS',
        out_trade_no: String(q['out_trade_no']),
        trade_state: 'NOTPAY',
        trade_state_desc: 'not paid',
      };
      reply['sign'] = sign(reply, KEY, 'MD5');
      const body = buildXml(reply);
      res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('error', (e) => reject(new Error(`cannot start redis-server: ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  return { url: `redis://127.0.0.1:${port}`, child };
}

async function openBenchStore(): Promise<{ store: DedupStore & { close?(): Promise<void> }; cleanup: () => Promise<void>; label: string }> {
  if (STORE === 'memory') return { store: createMemoryDedupStore(), cleanup: async () => {}, label: 'memory (the default)' };
  if (STORE === 'file') {
    const dir = mkdtempSync(join(tmpdir(), 'wxpay-sweeper-load-'));
    const store = await createFileStore({ dir });
    return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }), label: 'file' };
  }
  const redis = await startRedis();
  const store = createRedisStore({ redis: redis.url });
  return {
    store,
    cleanup: async () => {
      redis.child.kill('SIGTERM');
    },
    label: 'Redis',
  };
}

/** Per merchant: calls per second over the run, and the most in any one-second window. */
function rates(calls: { at: number; mchId: string }[], from: number, to: number) {
  return mchIds.map((mchId) => {
    const times = calls.filter((c) => c.mchId === mchId && c.at >= from && c.at < to).map((c) => c.at);
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      most = Math.max(most, i - j + 1);
    }
    return { mchId, calls: times.length, perSecond: times.length / ((to - from) / 1000), mostInOneSecond: most };
  });
}

async function main(): Promise<void> {
  if (!gc) process.stderr.write('note: run with node --expose-gc for memory figures after a GC\n');
  const stub = await startStub();
  const opened = await openBenchStore();
  const wxpay: WxPay = createWxPay({
    merchants: mchIds.map((mchId) => ({ name: `m${mchId}`, mchId, apiKey: KEY, baseUrl: stub.url })),
    apps: mchIds.map((mchId) => ({ name: `app${mchId}`, merchant: `m${mchId}`, appIds: [APP_ID] })),
    notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
    notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
    store: opened.store,
    sweep: { rate: RATE, autoStart: false },
    logger: false,
  });
  await wxpay.ready();
  const sweeper = wxpay.sweeper!;
  const memBefore = memory();

  // The backlog: orders placed 10 s ago (their first query point, 5 s, is past), expiring in 2 h.
  const queueStarted = performance.now();
  const createdAt = Date.now() - 10_000;
  const target = opened.store;
  const queue = target.sweeps;
  if (queue === undefined) throw new Error('the store has no sweep queue');
  const batch: Promise<unknown>[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const mchId = mchIds[i % MERCHANTS]!;
    const key = `${mchId}:load${String(i).padStart(8, '0')}`;
    const record: OrderRecord = { app: `app${mchId}`, appId: APP_ID, mchId, totalFee: 100, createdAt, expiresAt: createdAt + 7_200_000 };
    batch.push(Promise.resolve(target.putOrder(key, record)), Promise.resolve(queue.schedule(key, createdAt + 5_000, createdAt)));
    if (batch.length >= 2_000) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  const queueMs = performance.now() - queueStarted;
  const memQueued = memory();
  const pendingBefore = (await sweeper.stats()).pending;

  // Sweep as the loop does: a pass, then the next one as soon as a call's worth of rate is there.
  const passMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  const from = performance.now();
  const until = from + SECONDS * 1000;
  while (performance.now() < until) {
    const t = performance.now();
    const done = await sweeper.runOnce();
    if (done.taken > 0) passMs.push(performance.now() - t);
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(1000 / RATE)));
  }
  const to = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const stats = await sweeper.stats();
  const memAfter = memory();
  await wxpay.close();
  await opened.store?.close?.();
  await opened.cleanup();
  stub.server.close();

  const perMerchant = rates(stub.calls, from, to);
  passMs.sort((a, b) => a - b);
  const p = (q: number) => passMs[Math.min(passMs.length - 1, Math.floor(q * passMs.length))] ?? 0;
  const mib = (v: number) => v.toFixed(1);
  const command = `node --expose-gc --import tsx bench/src/sweeper-load.ts --orders ${ORDERS} --merchants ${MERCHANTS} --rate ${RATE} --seconds ${SECONDS} --store ${STORE}${WRITE ? ' --write' : ''}`;
  const lines = [
    SWEEPER_BEGIN,
    '## Sweeper load',
    '',
    `${ORDERS.toLocaleString('en')} pending orders, all due at once, over ${MERCHANTS} merchants, swept for ${SECONDS} s with \`sweep.rate\` ${RATE} ` +
      `against a loopback stub that answers every order query NOTPAY (so every order stays queued). Store: ${opened.label}. ` +
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB.`,
    '',
    '```sh',
    command,
    '```',
    '',
    '| merchant | order queries | per second (average) | most in any 1 s | rate limit |',
    '|---|---:|---:|---:|---:|',
    ...perMerchant.map(
      (m) => `| ${m.mchId} | ${m.calls} | ${m.perSecond.toFixed(2)} | ${m.mostInOneSecond} | ${RATE}/s (bursts of ${RATE}) |`,
    ),
    '',
    '| memory (after GC) | heap MiB | RSS MiB |',
    '|---|---:|---:|',
    `| before the backlog | ${mib(memBefore.heapMiB)} | ${mib(memBefore.rssMiB)} |`,
    `| ${ORDERS.toLocaleString('en')} orders queued | ${mib(memQueued.heapMiB)} | ${mib(memQueued.rssMiB)} |`,
    `| after ${SECONDS} s of sweeping | ${mib(memAfter.heapMiB)} | ${mib(memAfter.rssMiB)} |`,
    '',
    `Queuing took ${(queueMs / 1000).toFixed(1)} s (${Math.round(ORDERS / (queueMs / 1000)).toLocaleString('en')} orders/s, record and queue entry each); ` +
      `${pendingBefore.toLocaleString('en')} pending before, ${stats.pending.toLocaleString('en')} after. ` +
      `${passMs.length} passes took keys: median ${p(0.5).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms, max ${(passMs[passMs.length - 1] ?? 0).toFixed(1)} ms; ` +
      `CPU ${((cpu.user + cpu.system) / 1000 / (to - from)).toFixed(3)} cores while sweeping (process, stub included). ` +
      `Outcomes: ${Object.entries(stats.outcomes)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}.` +
      (STORE === 'memory' || STORE === 'file'
        ? ' The queue and the records live in this process, so its heap holds them.'
        : ' The queue and the records live in Redis, not in this process.'),
    '',
    "The token bucket starts full (one second's worth), so the first second may carry up to twice the rate; after it, calls follow the rate. A backlog is worked through in order of due time at the rate: each order is still queried, later than its schedule point.",
    SWEEPER_END,
  ];
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  if (WRITE) {
    const docPath = join(repo, 'docs', 'benchmarks.md');
    const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
    writeFileSync(docPath, replaceSection(doc, SWEEPER_BEGIN, SWEEPER_END, text));
    process.stdout.write('(written to docs/benchmarks.md)\n');
  }
}

await main();
process.exit(0);
