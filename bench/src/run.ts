/**
 * `npm run bench` (full; writes docs/benchmarks.md) and `npm run bench -- --quick` (every
 * scenario briefly, for CI; writes a scratch report under the OS temp folder and prints it).
 * `--only M,H,F,Mem` limits the groups run. `--compare <commit>` runs this checkout and an older
 * commit side by side instead (see compare.ts). Servers and clients are child processes pinned to
 * separate cores with `taskset`; every server listens on 127.0.0.1 port 0.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { median } from './harness.js';
import { canPin, run, start, useBuilt } from './proc.js';
import { BUILD_DIR, buildEntries } from './build.js';
import { writeCertificates } from './certs.js';
import { COMPARE_BEGIN, COMPARE_END, compareBuilds } from './compare.js';
import { SWEEPER_BEGIN, SWEEPER_END, sectionOf } from './doc-sections.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.includes('--only') ? new Set(argv[argv.indexOf('--only') + 1]!.split(',')) : undefined;
const wants = (group: string): boolean => only === undefined || only.has(group);

/** Run sizes: full is the published run; quick only proves that every scenario runs. */
const S = quick
  ? {
      microProcs: 1,
      microRounds: 1,
      sliceMs: 20,
      httpRounds: 1,
      warmupMs: 100,
      durationMs: 400,
      tlsCalls: 200,
      fwRounds: 1,
      fwWarmup: 0,
      fwDuration: 1,
      fwPool: 5000,
      memory: 2000,
      memorySeconds: 10,
    }
  : {
      microProcs: 3,
      microRounds: 5,
      sliceMs: 200,
      httpRounds: 3,
      warmupMs: 1000,
      durationMs: 4000,
      tlsCalls: 200,
      fwRounds: 3,
      fwWarmup: 1,
      fwDuration: 5,
      fwPool: 150_000,
      memory: 1_000_000,
      memorySeconds: 150,
    };

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
const ratio = (a: number, b: number): string => (Number.isFinite(a / b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
const verdict = (value: number, goal: number): string =>
  !Number.isFinite(value) ? '—' : value >= goal ? 'met' : `**missed** (${((1 - value / goal) * 100).toFixed(0)} % short)`;

interface GoalRow {
  readonly id: string;
  readonly goal: string;
  readonly measured: string;
  readonly verdict: string;
}
const goals: GoalRow[] = [];
function goal(id: string, text: string, value: number, target: number): void {
  goals.push({ id, goal: text, measured: Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a', verdict: verdict(value, target) });
}

const sections: string[] = [];

// ---------------------------------------------------------------------------------------------
// M1–M6: micro scenarios, round-robin in several processes.

type MicroResult = Record<string, Record<string, number>>;

const MICRO_TITLES: Record<string, string> = {
  M1: 'M1 — MD5 sign of the 18-field unifiedorder (Chinese text)',
  M2: 'M2 — HMAC-SHA256 sign, same parameters',
  M3: 'M3 — build the unifiedorder request XML (19 elements with `sign`)',
  M4: 'M4 — parse the 1.2 KB pay notification (26 fields, CDATA)',
  M5: 'M5 — parse + constant-time verify the pay notification',
  M6: 'M6 — parse + verify the unifiedorder reply',
};

async function micro(): Promise<void> {
  const perProcess: MicroResult[] = [];
  for (let p = 0; p < S.microProcs; p++) {
    log(`micro: process ${p + 1}/${S.microProcs}`);
    perProcess.push(await run<MicroResult>('micro.ts', ['--rounds', String(S.microRounds), '--slice', String(S.sliceMs)], 0));
  }
  const result: MicroResult = {};
  for (const group of Object.keys(perProcess[0]!)) {
    result[group] = {};
    for (const id of Object.keys(perProcess[0]![group]!)) result[group]![id] = median(perProcess.map((r) => r[group]![id]!));
  }
  for (const [group, cases] of Object.entries(result)) {
    const ids = Object.keys(cases);
    const ours = ids.find((id) => id.startsWith('wxpay-kit'))!;
    const lines = [
      `### ${MICRO_TITLES[group]}`,
      '',
      `| implementation | ops/s | µs/op | wxpay-kit (${ours.replace('wxpay-kit ', '')}) × this |`,
      '|---|---:|---:|---:|',
      ...ids.map(
        (id) =>
          `| ${id.startsWith('wxpay-kit') ? `**${id}**` : id} | ${fmt(cases[id]!)} | ${fmt(1e6 / cases[id]!, 2)} | ${id === ours ? '—' : ratio(cases[ours]!, cases[id]!)} |`,
      ),
      '',
    ];
    sections.push(lines.join('\n'));
    const peers = ['tenpay', 'wechatpay-axios-plugin', 'weixin-pay', 'weixin-pay (pure-JS MD5)'].filter((p) => cases[p] !== undefined);
    const bestPeer = Math.max(...peers.map((p) => cases[p]!));
    const o = cases[ours]!;
    if (group === 'M1') {
      goal('M1', '≥ 0.9× `createHash` floor', o / cases['floor: createHash']!, 0.9);
      goal('M1', '≥ 1.1× tenpay', o / cases['tenpay']!, 1.1);
    } else if (group === 'M2') {
      goal('M2', '≥ 0.9× `createHmac(KeyObject)` floor', o / cases['floor: createHmac(KeyObject)']!, 0.9);
      goal('M2', '≥ 1.1× tenpay', o / cases['tenpay']!, 1.1);
    } else if (group === 'M3') {
      goal('M3', '≥ 3.5× wechatpay-axios-plugin', o / cases['wechatpay-axios-plugin']!, 3.5);
    } else {
      goal(group, '≥ 5× best peer', o / bestPeer, 5);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// H1–H3: HTTP clients against the loopback stub.

interface ClientResult {
  rps: number;
  p50: number;
  p99: number;
  calls: number;
  errors: number;
  error?: string;
}
interface StubStats {
  connections: number;
  handshakes: number;
  clientCertHandshakes: number;
}

async function withStub<T>(mode: 'none' | 'tls' | 'mtls', certDir: string, fn: (url: string, control: string) => Promise<T>): Promise<T> {
  const stub = start('stub.ts', ['--tls', mode, '--certs', certDir], 1);
  try {
    const { port, controlPort } = (await stub.ready) as { port: number; controlPort: number };
    return await fn(`${mode === 'none' ? 'http' : 'https'}://127.0.0.1:${port}`, `http://127.0.0.1:${controlPort}`);
  } finally {
    await stub.stop();
  }
}

async function stubStats(control: string, reset = false): Promise<StubStats> {
  const res = await fetch(`${control}/__${reset ? 'reset' : 'stats'}`, { method: reset ? 'POST' : 'GET' });
  if (reset) {
    await res.arrayBuffer();
    return { connections: 0, handshakes: 0, clientCertHandshakes: 0 };
  }
  return (await res.json()) as StubStats;
}

const H_CLIENTS = ['wxpay-kit', 'floor-e2e', 'undici-pool', 'tenpay', 'wechatpay-axios-plugin'] as const;
const H_LABELS: Record<string, string> = {
  'wxpay-kit': '**wxpay-kit** `client.unifiedOrder()`',
  'floor-e2e': 'floor: undici Pool + string builder + flat scanner + MD5 verify',
  'undici-pool': 'floor: undici Pool, transport only (same body and reply)',
  tenpay: 'tenpay `unifiedOrder()` (urllib, no keep-alive, xml2js)',
  'wechatpay-axios-plugin': 'wechatpay-axios-plugin `v2.pay.unifiedorder.post()` (axios)',
};

async function clientRun(impl: string, url: string, certDir: string, extra: string[]): Promise<ClientResult> {
  const result = await run<ClientResult>('client.ts', ['--impl', impl, '--url', url, '--certs', certDir, ...extra], 0);
  if (result.errors > 0) log(`  ${impl}: ${result.errors} errors (${result.error})`);
  return result;
}

async function http(certDir: string): Promise<void> {
  const results: Record<string, Record<number, ClientResult[]>> = {};
  await withStub('none', certDir, async (url) => {
    for (let round = 0; round < S.httpRounds; round++) {
      for (const c of [1, 50]) {
        for (let k = 0; k < H_CLIENTS.length; k++) {
          const impl = H_CLIENTS[(k + round) % H_CLIENTS.length]!;
          log(`H: round ${round + 1} c=${c} ${impl}`);
          const r = await clientRun(impl, url, certDir, [
            '--c',
            String(c),
            '--warmup',
            String(S.warmupMs),
            '--duration',
            String(S.durationMs),
          ]);
          ((results[impl] ??= {})[c] ??= []).push(r);
        }
      }
    }
  });
  const med = (impl: string, c: number, key: 'rps' | 'p99'): number => median((results[impl]?.[c] ?? []).map((r) => r[key]));
  const ours = (c: number) => med('wxpay-kit', c, 'rps');
  sections.push(
    [
      '### H1 / H2 — end-to-end unifiedorder (sign, build, POST, parse, verify) against the loopback stub',
      '',
      'Closed loop, 1 and 50 requests in flight; client on core 0, stub (node:http, fixed signed reply) on core 1.',
      '',
      '| client | c=1 req/s | c=1 p99 ms | wxpay-kit × this (c=1) | c=50 req/s | c=50 p99 ms | wxpay-kit × this (c=50) |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...H_CLIENTS.map(
        (impl) =>
          `| ${H_LABELS[impl]} | ${fmt(med(impl, 1, 'rps'))} | ${fmt(med(impl, 1, 'p99'), 2)} | ${impl === 'wxpay-kit' ? '—' : ratio(ours(1), med(impl, 1, 'rps'))} | ${fmt(med(impl, 50, 'rps'))} | ${fmt(med(impl, 50, 'p99'), 2)} | ${impl === 'wxpay-kit' ? '—' : ratio(ours(50), med(impl, 50, 'rps'))} |`,
      ),
      '',
    ].join('\n'),
  );
  goal('H1', 'c=1 ≥ 2× tenpay', ours(1) / med('tenpay', 1, 'rps'), 2);
  goal('H1', 'c=1 ≥ 2× wechatpay-axios-plugin', ours(1) / med('wechatpay-axios-plugin', 1, 'rps'), 2);
  goal('H1', 'c=1 ≥ 0.5× undici Pool floor', ours(1) / med('undici-pool', 1, 'rps'), 0.5);
  goal('H2', 'c=50 ≥ 5× tenpay', ours(50) / med('tenpay', 50, 'rps'), 5);
  goal('H2', 'c=50 ≥ 0.5× undici Pool floor', ours(50) / med('undici-pool', 50, 'rps'), 0.5);

  // H3: TLS. Handshakes over 200 sequential calls alternating unifiedorder and the mutual-TLS
  // refund, counted by the stub; then the c=1 rate over TLS against raw undici.
  const tls: Record<string, { stats: StubStats; result: ClientResult }> = {};
  const tlsRate: Record<string, number[]> = {};
  await withStub('mtls', certDir, async (url, control) => {
    for (const impl of ['wxpay-kit', 'tenpay', 'wechatpay-axios-plugin']) {
      log(`H3: ${impl} ${S.tlsCalls} calls over TLS`);
      await stubStats(control, true);
      const result = await clientRun(impl, url, certDir, ['--calls', String(S.tlsCalls), '--op', 'mixed']);
      tls[impl] = { stats: await stubStats(control), result };
    }
    for (let round = 0; round < S.httpRounds; round++) {
      for (const impl of ['wxpay-kit', 'undici-pool', 'floor-e2e', 'tenpay']) {
        log(`H3: round ${round + 1} ${impl} c=1 over TLS`);
        const r = await clientRun(impl, url, certDir, ['--c', '1', '--warmup', String(S.warmupMs), '--duration', String(S.durationMs)]);
        (tlsRate[impl] ??= []).push(r.rps);
      }
    }
  });
  const rate = (impl: string) => median(tlsRate[impl] ?? []);
  sections.push(
    [
      '### H3 — TLS: connection and session reuse, including the mutual-TLS refund',
      '',
      `${S.tlsCalls} sequential calls alternating unifiedorder (server-authenticated TLS) and refund (the merchant certificate presented), one process per client; the stub counts completed TLS handshakes and those that presented a client certificate. Then unifiedorder over TLS at c=1 for ${S.durationMs / 1000} s.`,
      '',
      '| client | TLS handshakes in the calls | with client certificate | calls/s (mixed) | unifiedorder c=1 over TLS, req/s | wxpay-kit × this |',
      '|---|---:|---:|---:|---:|---:|',
      `| **wxpay-kit** | ${tls['wxpay-kit']?.stats.handshakes ?? 'n/a'} | ${tls['wxpay-kit']?.stats.clientCertHandshakes ?? 'n/a'} | ${fmt(tls['wxpay-kit']?.result.rps ?? NaN)} | ${fmt(rate('wxpay-kit'))} | — |`,
      `| floor: undici Pool, transport only | — | — | — | ${fmt(rate('undici-pool'))} | ${ratio(rate('wxpay-kit'), rate('undici-pool'))} |`,
      `| floor: undici Pool + string builder + flat scanner + MD5 verify | — | — | — | ${fmt(rate('floor-e2e'))} | ${ratio(rate('wxpay-kit'), rate('floor-e2e'))} |`,
      `| tenpay (urllib; \`pfx\` per call for refunds) | ${tls['tenpay']?.stats.handshakes ?? 'n/a'} | ${tls['tenpay']?.stats.clientCertHandshakes ?? 'n/a'} | ${fmt(tls['tenpay']?.result.rps ?? NaN)} | ${fmt(rate('tenpay'))} | ${ratio(rate('wxpay-kit'), rate('tenpay'))} |`,
      `| wechatpay-axios-plugin (new \`https.Agent\` per certificate call) | ${tls['wechatpay-axios-plugin']?.stats.handshakes ?? 'n/a'} | ${tls['wechatpay-axios-plugin']?.stats.clientCertHandshakes ?? 'n/a'} | ${fmt(tls['wechatpay-axios-plugin']?.result.rps ?? NaN)} | — | — |`,
      '',
    ].join('\n'),
  );
  const hs = tls['wxpay-kit']?.stats;
  goals.push({
    id: 'H3',
    goal: 'exactly one handshake per origin and merchant certificate (2 in all, 1 with the certificate)',
    measured: hs
      ? `${hs.handshakes} handshakes, ${hs.clientCertHandshakes} with certificate, ${tls['wxpay-kit']!.result.calls} calls, ${tls['wxpay-kit']!.result.errors} errors`
      : 'n/a',
    verdict: hs && hs.handshakes === 2 && hs.clientCertHandshakes === 1 && tls['wxpay-kit']!.result.errors === 0 ? 'met' : '**missed**',
  });
  goal(
    'H3',
    'TLS c=1 ≥ 0.9× raw undici Pool (our whole call, protocol work included, against transport only)',
    rate('wxpay-kit') / rate('undici-pool'),
    0.9,
  );
  goal('H3', 'TLS c=1 ≥ 8× a handshake-per-call client (tenpay)', rate('wxpay-kit') / rate('tenpay'), 8);
}

// ---------------------------------------------------------------------------------------------
// F1–F3: notify routes per framework under autocannon.

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}
const FRAMEWORKS = ['raw', 'express', 'koa', 'fastify'] as const;
const F_KINDS: Record<string, readonly string[]> = {
  raw: ['ceiling', 'hand', 'wxpay-kit'],
  express: ['ceiling', 'hand', 'wxpay-kit', 'tenpay'],
  koa: ['ceiling', 'hand', 'wxpay-kit'],
  fastify: ['ceiling', 'hand', 'wxpay-kit'],
};
const F_LABELS: Record<string, string> = {
  ceiling: 'ceiling: read body, fixed reply, no parsing (F3)',
  hand: 'hand-written route: `parseXml` + `verifySign` + in-memory dedup',
  'wxpay-kit': '**wxpay-kit adapter** notify route',
  tenpay: "tenpay `middlewareForExpress('pay')` after `express.text()`",
};

async function frameworks(): Promise<void> {
  const variants = FRAMEWORKS.flatMap((f) => F_KINDS[f]!.map((k) => `${f}-${k}`));
  const results: Record<string, LoadResult[]> = {};
  for (let round = 0; round < S.fwRounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(k + round * 5) % variants.length]!;
      log(`F: round ${round + 1} ${variant}`);
      const server = start('fw-server.ts', ['--variant', variant], 1);
      try {
        const { port } = (await server.ready) as { port: number };
        const load = await run<LoadResult>(
          'load.ts',
          [
            '--url',
            `http://127.0.0.1:${port}/wxpay/notify-pay/shop`,
            '--connections',
            '50',
            '--warmup',
            String(S.fwWarmup),
            '--duration',
            String(S.fwDuration),
            ...(variant.endsWith('-ceiling') ? [] : ['--unique', '--pool', String(S.fwPool)]),
          ],
          0,
        );
        if (load.non2xx > 0 || load.errors > 0) log(`  ${variant}: ${load.non2xx} non-2xx, ${load.errors} errors`);
        (results[variant] ??= []).push(load);
      } finally {
        await server.stop();
      }
    }
  }
  const med = (v: string, key: 'rps' | 'p99'): number => median((results[v] ?? []).map((r) => r[key]));
  const bad = (v: string): number => (results[v] ?? []).reduce((n, r) => n + r.non2xx + r.errors, 0);
  const rows: string[] = [];
  for (const f of FRAMEWORKS) {
    for (const k of F_KINDS[f]!) {
      const v = `${f}-${k}`;
      const vsHand = k === 'wxpay-kit' ? ratio(med(v, 'rps'), med(`${f}-hand`, 'rps')) : '';
      const vsTenpay = k === 'wxpay-kit' && f === 'express' ? ratio(med(v, 'rps'), med('express-tenpay', 'rps')) : '';
      rows.push(
        `| ${f === 'raw' ? 'node:http' : f} | ${F_LABELS[k]} | ${fmt(med(v, 'rps'))} | ${fmt(med(v, 'p99'), 1)} | ${vsHand} | ${vsTenpay} | ${bad(v)} |`,
      );
    }
  }
  sections.push(
    [
      '### F1 / F2 / F3 — notify route, 50 connections',
      '',
      `autocannon 9 on core 0, server on core 1; ${S.fwWarmup} s warm-up discarded, then ${S.fwDuration} s measured, ${S.fwRounds} interleaved rounds, median. Requests carry signed 1.2 KB notifications, each with its own transaction id (a pool of ${fmt(S.fwPool)} made before the run; past that they repeat, as redeliveries), except the ceilings, which get one fixed body. On node:http, the wxpay-kit row is \`createNodeListener\`.`,
      '',
      '| framework | route | req/s | p99 ms | wxpay-kit × hand-written | wxpay-kit × tenpay | non-2xx + errors |',
      '|---|---|---:|---:|---:|---:|---:|',
      ...rows,
      '',
    ].join('\n'),
  );
  for (const f of FRAMEWORKS)
    goal(
      'F1',
      `${f === 'raw' ? 'node:http' : f} adapter ≥ 0.9× hand-written route`,
      med(`${f}-wxpay-kit`, 'rps') / med(`${f}-hand`, 'rps'),
      0.9,
    );
  goal('F2', 'express adapter ≥ 1.15× tenpay middleware', med('express-wxpay-kit', 'rps') / med('express-tenpay', 'rps'), 1.15);
}

// ---------------------------------------------------------------------------------------------
// Memory.

interface MemoryResult {
  alloc: Record<string, number | null>;
  samples: { notifications: number; rssMb: number; heapMb: number }[];
  total: number;
  seconds: number;
}

async function memory(): Promise<void> {
  log(`Memory: up to ${S.memory} notifications (${S.memorySeconds} s at most) through the fastify adapter`);
  const { alloc } = await run<Pick<MemoryResult, 'alloc'>>('memory.ts', ['--phase', 'alloc'], 1, [
    '--expose-gc',
    '--min-semi-space-size=64',
    '--max-semi-space-size=64',
  ]);
  const r: MemoryResult = {
    alloc,
    ...(await run<Omit<MemoryResult, 'alloc'>>(
      'memory.ts',
      ['--phase', 'rss', '--notifications', String(S.memory), '--seconds', String(S.memorySeconds)],
      1,
      ['--expose-gc'],
    )),
  };
  // The dedup store fills up (100,000 ids, one per two notifications) by 200,000 notifications;
  // from then on memory should stay level.
  const settled = r.samples.find((s) => s.notifications >= 220_000);
  const last = r.samples[r.samples.length - 1]!;
  sections.push(
    [
      '### Memory — allocation per notification, RSS over a long run (fastify adapter)',
      '',
      'Allocation: heap growth over 500 calls between two full GCs, with a young generation large enough that no GC runs in between (checked with a GC observer; `n/a` if one did).',
      '',
      '| path | bytes allocated per notification |',
      '|---|---:|',
      ...Object.entries(r.alloc).map(([k, v]) => `| ${k} | ${v === null ? 'n/a' : fmt(v)} |`),
      '',
      `RSS through \`fastify.inject()\`: ${fmt(r.total)} notifications in ${fmt(r.seconds, 1)} s (the run stops at ${fmt(S.memory)} notifications or ${S.memorySeconds} s), every second one with a new transaction id (the in-memory dedup store keeps 100,000 and evicts the oldest). Default V8 heap settings; a full GC runs before each sample.`,
      '',
      '| notifications | RSS MiB | heap used after a full GC, MiB |',
      '|---:|---:|---:|',
      ...r.samples.map((s) => `| ${fmt(s.notifications)} | ${fmt(s.rssMb, 1)} | ${fmt(s.heapMb, 1)} |`),
      '',
    ].join('\n'),
  );
  goals.push({
    id: 'Memory',
    goal: 'memory level once the dedup store is full (from 220,000 notifications on)',
    measured: settled
      ? `RSS ${fmt(settled.rssMb, 0)} → ${fmt(last.rssMb, 0)} MiB, heap ${fmt(settled.heapMb, 0)} → ${fmt(last.heapMb, 0)} MiB (${fmt(settled.notifications)} → ${fmt(last.notifications)})`
      : `run too short (${fmt(last.notifications)} notifications)`,
    verdict: settled === undefined ? '—' : last.heapMb <= settled.heapMb * 1.1 && last.rssMb <= settled.rssMb * 1.15 ? 'met' : '**missed**',
  });
}

// ---------------------------------------------------------------------------------------------

function versions(): string {
  const require = createRequire(join(here, 'run.ts'));
  const v = (name: string): string => {
    try {
      return (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      try {
        const path = require.resolve(name);
        const root = path.slice(0, path.lastIndexOf(`node_modules/${name}/`) + `node_modules/${name}/`.length);
        return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
      } catch {
        return '?';
      }
    }
  };
  const names = [
    'tenpay',
    'wechatpay-axios-plugin',
    'weixin-pay',
    'undici',
    'fast-xml-parser',
    'xml2js',
    'urllib',
    'axios',
    'express',
    'koa',
    'fastify',
    'autocannon',
  ];
  return names.map((n) => `${n} ${v(n)}`).join(', ');
}

/** The hand-written reading of the numbers (bench/analysis.md), appended to the report. */
function analysis(): string {
  try {
    return readFileSync(join(here, '..', 'analysis.md'), 'utf8');
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const certDir = await writeCertificates();

  await buildEntries();
  useBuilt(BUILD_DIR);

  if (wants('M')) await micro();
  if (wants('H')) await http(certDir);
  if (wants('F')) await frameworks();
  if (wants('Mem')) await memory();

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  const doc = [
    '# Benchmarks',
    '',
    quick
      ? '> **Quick smoke run** (`npm run bench -- --quick`): every scenario ran briefly; the numbers are not meaningful.'
      : '> Generated by `npm run bench` (bench/). Ratios are what matter: absolute numbers move with the machine.',
    '',
    `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version} (V8 ${process.versions.v8}, OpenSSL ${process.versions.openssl}), ${process.platform}. ${canPin ? 'Clients and load generators pinned to core 0, servers to core 1 (`taskset`).' : 'Not pinned (fewer than 2 cores).'}`,
    '',
    `Versions: ${versions()}. Run on ${new Date(started).toISOString().slice(0, 16).replace('T', ' ')} UTC, ${minutes} min.`,
    '',
    `Method: micro cases run round-robin in ${S.microProcs} separate process(es), ${S.microRounds} measured rounds of ${S.sliceMs} ms slices each after a warm-up round, the case order rotating every round; a case's number is the median over the processes of its median over the rounds. HTTP clients: a fresh process per run, ${S.warmupMs} ms warm-up, ${S.durationMs} ms measured, ${S.httpRounds} interleaved round(s), median. Every column "wxpay-kit × this" is wxpay-kit's rate divided by that row's rate, in the same run.`,
    '',
    '## Goals',
    '',
    '| scenario | goal | measured | verdict |',
    '|---|---|---:|---|',
    ...goals.map((g) => `| ${g.id} | ${g.goal} | ${g.measured} | ${g.verdict} |`),
    '',
    '## Results',
    '',
    ...sections,
    analysis(),
  ].join('\n');
  if (quick || only !== undefined) {
    const out = join(tmpdir(), 'wxpay-kit-bench', quick ? 'quick.md' : 'partial.md');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${doc}\n`);
    process.stdout.write(`${doc}\n\n(written to ${out}; docs/benchmarks.md is only written by a full run)\n`);
  } else {
    // A side-by-side comparison written by `--compare <commit> --write` is kept, and so are the
    // sweeper load figures (`bench/src/sweeper-load.ts --write`).
    const previous = (() => {
      try {
        return readFileSync(join(repo, 'docs', 'benchmarks.md'), 'utf8');
      } catch {
        return '';
      }
    })();
    const kept = [sectionOf(previous, COMPARE_BEGIN, COMPARE_END), sectionOf(previous, SWEEPER_BEGIN, SWEEPER_END)]
      .filter((s) => s !== '')
      .join('\n\n');
    await writeFile(join(repo, 'docs', 'benchmarks.md'), `${doc}\n${kept ? `\n${kept}\n` : ''}`);
    process.stdout.write(`${doc}\n\n(written to docs/benchmarks.md)\n`);
  }
}

if (argv.includes('--compare')) await compareBuilds(argv);
else await main();
process.exit(0);
