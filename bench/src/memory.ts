/**
 * Child process (run with `--expose-gc`): allocation per notification, and RSS over a long run of
 * notifications through the fastify adapter (`fastify.inject`, no sockets, so only our stack and
 * fastify's are measured). Prints one JSON line.
 *
 * Allocation is measured between two full GCs with a young generation large enough that no
 * collection runs in between (checked with a GC observer), so the heap growth is the allocation.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import Fastify from 'fastify';
import { createWxPay } from '@wxpay-kit/core';
import { parseXml, verifySign } from '@wxpay-kit/core/protocol';
import { wxpayPlugin } from '@wxpay-kit/fastify';
import { API_KEY, notificationXml } from './fixtures.js';
import { WXPAY_OPTIONS } from './fw-options.js';
import * as floor from './floors.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1]!;
};
const phase = arg('phase', 'alloc'); // `alloc` (run with a large fixed young generation) or `rss`
const limit = Number(arg('notifications', '1000000'));
const maxSeconds = Number(arg('seconds', '150'));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

let gcCount = 0;
new PerformanceObserver((list) => (gcCount += list.getEntries().length)).observe({ entryTypes: ['gc'] });

const prefix = '4200000123202408';
const bodies = Array.from({ length: 1000 }, (_, i) => Buffer.from(notificationXml(`${prefix}${String(i).padStart(12, '0')}`)));

/** Bytes allocated per call of `fn` over `n` calls, or NaN when a GC ran in between. */
async function allocation(label: string, n: number, fn: (i: number) => unknown): Promise<[string, number]> {
  for (let i = 0; i < 200; i++) await fn(i); // warm up
  gc!();
  gc!();
  await new Promise((r) => setTimeout(r, 20)); // let the observer see the forced GCs
  const gcBefore = gcCount;
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) await fn(i);
  const after = process.memoryUsage().heapUsed;
  await new Promise((r) => setTimeout(r, 20));
  return [label, gcCount === gcBefore ? (after - before) / n : Number.NaN];
}

const app = Fastify({ logger: false });
await app.register(wxpayPlugin, { ...WXPAY_OPTIONS, prefix: '/wxpay' });
await app.ready();
const wxpay = createWxPay(WXPAY_OPTIONS);

let unique = 0;
const fresh = (): Buffer => Buffer.from(notificationXml(`${prefix}9${String(unique++).padStart(11, '0')}`));
const inject = async (body: Buffer): Promise<void> => {
  const res = await app.inject({ method: 'POST', url: '/wxpay/notify-pay/shop', headers: { 'content-type': 'text/xml' }, payload: body });
  if (res.statusCode !== 200) throw new Error(`notify answered ${res.statusCode}: ${res.body}`);
};

if (phase === 'alloc') {
  const alloc = Object.fromEntries([
    await allocation('parseXml + verifySign (hand route work)', 500, (i) => {
      const record = parseXml(bodies[i % 1000]!);
      return verifySign(record, API_KEY);
    }),
    await allocation('floor: flat scanner + crypto.hash', 500, (i) => floor.flatVerify(bodies[i % 1000]!.toString(), API_KEY)),
    await allocation('wxpay-kit handler (core handle())', 500, (i) =>
      wxpay.handle({
        method: 'POST',
        path: '/notify-pay/shop',
        headers: { 'content-type': 'text/xml' },
        rawBody: bodies[i % 1000]!,
        remoteAddress: '127.0.0.1',
      }),
    ),
    await allocation('fastify adapter via inject()', 500, (i) => inject(bodies[i % 1000]!)),
  ]);
  await app.close();
  await wxpay.close();
  process.stdout.write(`${JSON.stringify({ alloc })}\n`);
  process.exit(0);
}

// RSS over the long run: every notification has its own transaction id (the dedup store keeps
// up to 100,000; beyond that it evicts the oldest, so memory should level off).
const samples: { notifications: number; rssMb: number; heapMb: number }[] = [];
const start = performance.now();
const deadline = start + maxSeconds * 1000;
let total = 0;
let nextSample = 1000;
while (total < limit && (total % 1000 !== 0 || performance.now() < deadline)) {
  total++;
  await inject(total % 2 === 0 ? fresh() : bodies[total % 1000]!);
  if (total === nextSample) {
    gc(); // heap used after a full GC: what is retained, not garbage waiting for collection
    const m = process.memoryUsage();
    samples.push({ notifications: total, rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 });
    nextSample = nextSample < 100_000 ? nextSample * 2 : nextSample + 100_000;
  }
}
gc();
const final = process.memoryUsage();
samples.push({ notifications: total, rssMb: final.rss / 2 ** 20, heapMb: final.heapUsed / 2 ** 20 });
const seconds = (performance.now() - start) / 1000;
await app.close();
await wxpay.close();
process.stdout.write(`${JSON.stringify({ samples, total, seconds })}\n`);
process.exit(0);
