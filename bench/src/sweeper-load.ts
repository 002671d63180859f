/**
 * Sweeper load: a backlog of pending orders (100,000 by default), all due at once, swept against a
 * loopback WeChat Pay stub that answers every order query NOTPAY. Measures the WeChat calls per
 * second each merchant gets (the sweeper's `rate` must hold them down whatever the backlog), the
 * time one pass takes, and the process's memory (heap and RSS, after a GC) before the backlog is
 * queued, once it is queued, and after sweeping.
 *
 *   node --expose-gc --import tsx bench/src/sweeper-load.ts [--orders 100000] [--merchants 2]
 *        [--rate 10] [--seconds 30] [--store memory,file,redis] [--write]
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
const STORE = arg('store', 'memory,file,redis');
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
/** redis-server's `used_memory`, in MiB, when the store is Redis. */
async function redisMemory(store: unknown): Promise<number | undefined> {
  const redis = (store as { redis?: { info(section: string): Promise<string> } }).redis;
  if (redis === undefined) return undefined;
  const used = /used_memory:(\d+)/.exec(await redis.info('memory'))?.[1];
  return used === undefined ? undefined : Number(used) / 2 ** 20;
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

async function openBenchStore(
  STORE: StoreKind,
): Promise<{ store: DedupStore & { close?(): Promise<void> }; cleanup: () => Promise<void>; label: string }> {
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

/** The most of `times` (sorted, ms) in any one-second window. */
function mostInOneSecond(times: readonly number[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/**
 * Per merchant: calls per second over the run, the most in any one-second window, and the same
 * from the second second on (once the bucket's first full second's worth is spent).
 */
function rates(calls: { at: number; mchId: string }[], from: number, to: number) {
  return mchIds.map((mchId) => {
    const times = calls.filter((c) => c.mchId === mchId && c.at >= from && c.at < to).map((c) => c.at);
    const later = times.filter((t) => t >= from + 1000);
    return {
      mchId,
      calls: times.length,
      perSecond: times.length / ((to - from) / 1000),
      most: mostInOneSecond(times),
      mostLater: mostInOneSecond(later),
      laterPerSecond: later.length / ((to - from - 1000) / 1000),
    };
  });
}

/** One run on one store, in this process. */
async function measure(store: StoreKind): Promise<Result> {
  if (!gc) process.stderr.write('note: run with node --expose-gc for memory figures after a GC\n');
  const stub = await startStub();
  const opened = await openBenchStore(store);
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
  const redisBefore = await redisMemory(opened.store);

  // The backlog: orders placed 10 ms apart, alternating merchants, the newest 10 s ago (so every
  // one is past its first query point, 5 s), each expiring 2 h after its creation.
  const queueStarted = performance.now();
  const newest = Date.now() - 10_000;
  const target = opened.store;
  const queue = target.sweeps;
  if (queue === undefined) throw new Error('the store has no sweep queue');
  const batch: Promise<unknown>[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const mchId = mchIds[i % MERCHANTS]!;
    const key = `${mchId}:load${String(i).padStart(8, '0')}`;
    const createdAt = newest - (ORDERS - 1 - i) * 10;
    const record: OrderRecord = { app: `app${mchId}`, appId: APP_ID, mchId, totalFee: 100, createdAt, expiresAt: createdAt + 7_200_000 };
    batch.push(Promise.resolve(target.putOrder(key, record)), Promise.resolve(queue.schedule(key, createdAt + 5_000, createdAt)));
    if (batch.length >= 2_000) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  const queueMs = performance.now() - queueStarted;
  const memQueued = memory();
  const redisQueued = await redisMemory(opened.store);
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
  const redisAfter = await redisMemory(opened.store);
  await wxpay.close();
  await opened.store?.close?.();
  await opened.cleanup();
  stub.server.close();

  passMs.sort((a, b) => a - b);
  const p = (q: number) => passMs[Math.min(passMs.length - 1, Math.floor(q * passMs.length))] ?? 0;
  return {
    store,
    label: opened.label,
    perMerchant: rates(stub.calls, from, to),
    memory: { before: memBefore, queued: memQueued, after: memAfter },
    redisMiB: redisBefore === undefined ? undefined : { before: redisBefore, queued: redisQueued ?? 0, after: redisAfter ?? 0 },
    queueMs,
    pendingBefore,
    pendingAfter: stats.pending,
    passes: passMs.length,
    passMedianMs: p(0.5),
    passP99Ms: p(0.99),
    passMaxMs: passMs[passMs.length - 1] ?? 0,
    cpuCores: (cpu.user + cpu.system) / 1000 / (to - from),
    outcomes: stats.outcomes,
  };
}

type StoreKind = 'memory' | 'file' | 'redis';

interface Result {
  readonly store: StoreKind;
  readonly label: string;
  readonly perMerchant: ReturnType<typeof rates>;
  readonly memory: { readonly before: Memory; readonly queued: Memory; readonly after: Memory };
  /** redis-server's used_memory for the Redis store. */
  readonly redisMiB: { readonly before: number; readonly queued: number; readonly after: number } | undefined;
  readonly queueMs: number;
  readonly pendingBefore: number;
  readonly pendingAfter: number;
  readonly passes: number;
  readonly passMedianMs: number;
  readonly passP99Ms: number;
  readonly passMaxMs: number;
  readonly cpuCores: number;
  readonly outcomes: Readonly<Record<string, number>>;
}

/** Runs each store in a child process of its own (so one's memory does not weigh on the next). */
function runChild(store: StoreKind): Promise<Result> {
  const self = fileURLToPath(import.meta.url);
  const args = ['--expose-gc', '--import', 'tsx', self, '--orders', String(ORDERS), '--merchants', String(MERCHANTS)];
  args.push('--rate', String(RATE), '--seconds', String(SECONDS), '--store', store, '--json');
  const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => void (out += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`the ${store} run failed (exit ${code}): ${out.slice(-2000)}`));
      else resolve(JSON.parse(line) as Result);
    });
  });
}

function render(results: readonly Result[], stores: readonly StoreKind[]): string {
  const mib = (v: number) => v.toFixed(1);
  const command = `node --expose-gc --import tsx bench/src/sweeper-load.ts --orders ${ORDERS} --merchants ${MERCHANTS} --rate ${RATE} --seconds ${SECONDS} --store ${stores.join(',')}${WRITE ? ' --write' : ''}`;
  const lines = [
    SWEEPER_BEGIN,
    '## Sweeper load',
    '',
    `${ORDERS.toLocaleString('en')} pending orders, all overdue (created 10 ms apart over the last ${Math.round((ORDERS * 10) / 1000)} s, alternating merchants), ` +
      `over ${MERCHANTS} merchants, swept for ${SECONDS} s with \`sweep.rate\` ${RATE}, against a loopback stub that answers every order query ` +
      `NOTPAY (so every order stays queued), on each store in a process of its own. Calls are counted where the stub receives them. ` +
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB.`,
    '',
    '```sh',
    command,
    '```',
    '',
    '| store | merchant | order queries | per second (whole run) | most in any 1 s | per second after the 1st s | most in any 1 s after the 1st s |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...results.flatMap((r) =>
      r.perMerchant.map(
        (m) =>
          `| ${r.label} | ${m.mchId} | ${m.calls} | ${m.perSecond.toFixed(2)} | ${m.most} | ${m.laterPerSecond.toFixed(2)} | ${m.mostLater} |`,
      ),
    ),
    '',
    `The limit: ${RATE} calls per second per merchant, bursts of ${RATE}.`,
    '',
    `| store | heap MiB before | heap MiB, ${ORDERS.toLocaleString('en')} queued | heap MiB after sweeping | RSS MiB before | RSS MiB queued | RSS MiB after |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.label} | ${mib(r.memory.before.heapMiB)} | ${mib(r.memory.queued.heapMiB)} | ${mib(r.memory.after.heapMiB)} | ${mib(r.memory.before.rssMiB)} | ${mib(r.memory.queued.rssMiB)} | ${mib(r.memory.after.rssMiB)} |`,
    ),
    '',
    '| store | queuing the backlog | pending before → after | passes that took keys | pass median / p99 / max ms | CPU while sweeping (cores) |',
    '|---|---:|---|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.label} | ${(r.queueMs / 1000).toFixed(1)} s | ${r.pendingBefore.toLocaleString('en')} → ${r.pendingAfter.toLocaleString('en')} | ${r.passes} | ${r.passMedianMs.toFixed(1)} / ${r.passP99Ms.toFixed(1)} / ${r.passMaxMs.toFixed(1)} | ${r.cpuCores.toFixed(3)} |`,
    ),
    '',
    ...results
      .filter((r) => r.redisMiB !== undefined)
      .map(
        (r) =>
          `redis-server's \`used_memory\`: ${mib(r.redisMiB!.before)} MiB before, ${mib(r.redisMiB!.queued)} MiB with the backlog queued, ${mib(r.redisMiB!.after)} MiB after sweeping.`,
      ),
    '',
    "Memory and file stores hold the queue and the order records in the process's heap (the file store also on disk); the Redis store holds them in Redis. " +
      "The limit is a token bucket per merchant holding one second's worth: it starts full, so the first second may carry up to twice the rate, " +
      "and after any pause (a slow pass, a GC) the saved-up second's worth may go out at once; over any longer stretch the calls average the rate. " +
      'A backlog is worked through in order of due time at the rate: ' +
      "every order is still queried, later than its schedule point. The queue is one per store, not one per merchant: a merchant's overdue " +
      "orders wait behind every older overdue order of the others (each merchant's queries stay within its rate meanwhile).",
    SWEEPER_END,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const stores = STORE.split(',') as StoreKind[];
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(await measure(stores[0]!))}\n`);
    return;
  }
  const results: Result[] = [];
  for (const store of stores) results.push(await runChild(store));
  const text = render(results, stores);
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
