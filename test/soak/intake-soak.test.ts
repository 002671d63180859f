/**
 * Ten minutes of notification intake (SOAK_MINUTES, SOAK_RATE per second) into one host process
 * (node listener, file store, forwarder to a local app), its RSS sampled every 10 s. Every
 * notification must be acknowledged SUCCESS; the RSS series and its slope after the first
 * minute go to test-output/reliability/soak-rss.json.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenLoopback } from '../helpers/loopback.js';
import { startHost } from '../reliability/host-process.js';
import { runIntakeLoad } from '../reliability/load.js';
import { writeFigures } from '../reliability/support.js';

const MINUTES = Number(process.env['SOAK_MINUTES'] ?? 10);
const RATE = Number(process.env['SOAK_RATE'] ?? 200);

/** Resident set size of `pid` in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

describe('soak', () => {
  it(`${MINUTES} min at ${RATE} notifications/s: all acknowledged, RSS recorded every 10 s`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxpay-soak-'));
    let delivered = 0;
    const receiver = await listenLoopback((req, res) => {
      req.resume();
      delivered += 1;
      res.writeHead(204).end();
    });
    const host = await startHost({ STORE: 'file', STORE_DIR: dir, RECEIVER: `${receiver.url}/paid` });
    const pid = host.child.pid ?? 0;
    const samples: [number, number][] = [[0, rssMiB(pid)]];
    const started = Date.now();
    const timer = setInterval(() => samples.push([(Date.now() - started) / 60_000, rssMiB(pid)]), 10_000);
    try {
      const load = await runIntakeLoad('node (soak)', host.url, RATE, MINUTES * 60);
      clearInterval(timer);
      samples.push([(Date.now() - started) / 60_000, rssMiB(pid)]);
      const afterWarmUp = samples.filter(([m]) => m >= 1);
      const figures = {
        minutes: MINUTES,
        rate: RATE,
        load,
        forwarded: delivered,
        rssMiB: samples.map(([m, r]) => [Number(m.toFixed(2)), Number(r.toFixed(1))]),
        slopeMiBPerMinuteAfterFirstMinute: afterWarmUp.length >= 2 ? Number(slope(afterWarmUp).toFixed(3)) : undefined,
        firstMiB: samples[0]?.[1],
        lastMiB: samples.at(-1)?.[1],
      };
      writeFigures('soak-rss', figures);
      expect({ errors: load.errors, timeouts: load.timeouts, non2xx: load.non2xx, notSuccess: load.notSuccess }).toEqual({
        errors: 0,
        timeouts: 0,
        non2xx: 0,
        notSuccess: 0,
      });
    } finally {
      clearInterval(timer);
      await host.kill('SIGKILL');
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
