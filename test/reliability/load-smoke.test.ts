/**
 * A short intake run at 500 notifications/s against each adapter and the gateway, each a
 * separate process with the file store (an fsync per write, group commit) and the forwarder.
 * CI checks that every notification is acknowledged; the latency figures go to
 * test-output/reliability/load-smoke.json (`npm run test:soak` runs it longer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenLoopback, type LoopbackServer } from '../helpers/loopback.js';
import { buildHost, startHost } from './host-process.js';
import { runIntakeLoad, type LoadFigures } from './load.js';
import { writeFigures } from './support.js';

const SECONDS = Number(process.env['LOAD_SECONDS'] ?? 2);
const RATE = Number(process.env['LOAD_RATE'] ?? 500);
const targets = ['node', 'express', 'koa', 'fastify', 'gateway'] as const;

describe('notification intake at a fixed rate', () => {
  const figures: LoadFigures[] = [];
  const dirs: string[] = [];
  let receiver: LoopbackServer;
  let delivered = 0;

  beforeAll(async () => {
    await buildHost();
    receiver = await listenLoopback((req, res) => {
      req.resume();
      delivered += 1;
      res.writeHead(204).end();
    });
  });
  afterAll(async () => {
    writeFigures(process.env['LOAD_FIGURES'] ?? 'load-smoke', figures);
    await receiver.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const target of targets) {
    it(`${target}: ${RATE}/s for ${SECONDS} s, every notification acknowledged SUCCESS`, {
      timeout: 60_000 + SECONDS * 2_000,
    }, async () => {
      const dir = mkdtempSync(join(tmpdir(), `wxpay-load-${target}-`));
      dirs.push(dir);
      const host = await startHost({
        ADAPTER: target,
        STORE: 'file',
        STORE_DIR: dir,
        RECEIVER: `${receiver.url}/paid`,
        LOG_LEVEL: 'silent',
      });
      try {
        const result = await runIntakeLoad(target, host.url, RATE, SECONDS);
        figures.push(result);
        expect(result.sent).toBeGreaterThan(0);
        expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, notSuccess: result.notSuccess }).toEqual({
          errors: 0,
          timeouts: 0,
          non2xx: 0,
          notSuccess: 0,
        });
      } finally {
        await host.kill('SIGKILL');
      }
    });
  }
});
