import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileStore } from '@wxpay-kit/forwarder';
import { bundleFixture, ROOT, type BundledFixture } from './helpers/bundle-fixture.js';

const KILLS = 12;
const FIXTURE = fileURLToPath(new URL('./fixtures/compaction-writer.ts', import.meta.url));
let bundle: BundledFixture;

interface Run {
  appended: string[];
  delivered: string[];
}

/** Starts the writer, lets it run for `ms` after it is ready, SIGKILLs it, and returns what it acknowledged. */
function runAndKill(dir: string, prefix: string, ms: number, fill: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle.file], {
      cwd: ROOT,
      env: { ...process.env, STORE_DIR: dir, PREFIX: prefix, FILL: String(fill) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { appended: [], delivered: [] };
    let out = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), ms);
        else if (line.startsWith('appended ')) run.appended.push(line.slice(9));
        else if (line.startsWith('delivered ')) run.delivered.push(line.slice(10));
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(run);
      else reject(new Error(`writer exited on its own (${String(_code)}): ${stderr.slice(0, 2_000)}`));
    });
  });
}

describe('file store compaction under SIGKILL', () => {
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    bundle = await bundleFixture('writer', FIXTURE);
    cleanups.push(() => bundle.remove());
  }, 60_000);
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it(`keeps every acknowledged append and delivery across ${KILLS} kills while compacting without pause`, {
    timeout: 120_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxpay-compaction-crash-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const appended = new Set<string>();
    const delivered = new Set<string>();
    let killedWhileCompacting = 0;
    for (let k = 0; k < KILLS; k += 1) {
      // The first run fills the store so that each compaction rewrites a few MiB.
      const run = await runAndKill(dir, `k${k}`, 40 + Math.floor(Math.random() * 250), k === 0 ? 3_000 : 0);
      for (const id of run.appended) appended.add(id);
      for (const id of run.delivered) delivered.add(id);
      if (existsSync(join(dir, 'outbox.log.compact'))) killedWhileCompacting += 1;
    }
    const store = await createFileStore({ dir });
    try {
      const records = new Map((await store.list({ limit: 1_000_000 })).map((r) => [r.id, r]));
      const missing = [...appended].filter((id) => !records.has(id));
      const undelivered = [...delivered].filter((id) => records.get(id)?.state !== 'delivered');
      expect({ missing, undelivered }).toEqual({ missing: [], undelivered: [] });
      for (const id of delivered) expect(records.get(id)?.body).toContain(`"id":"${id}"`);
    } finally {
      await store.close();
    }
    // The kills must have hit compactions in progress, or this says nothing about them.
    expect(killedWhileCompacting).toBeGreaterThan(0);
    expect(appended.size).toBeGreaterThan(KILLS);
    expect(delivered.size).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'outbox.log.compact'))).toBe(false);
  });
});
