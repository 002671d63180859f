import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { skipWithout } from '../helpers/external-tools.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts/test-deps.mjs');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A PATH holding only stand-ins for `tools` (scripts that exit 0). */
function fakePath(tools: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-kit-tools-'));
  dirs.push(dir);
  for (const tool of tools) {
    writeFileSync(join(dir, tool), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}

function runScript(path: string, args: string[] = []) {
  return spawnSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    env: { PATH: path, TEST_DEPS_INSTALL: '0', HOME: process.env['HOME'] ?? '/root' },
  });
}

describe('scripts/test-deps.mjs', () => {
  it('when it may not install: one line naming each missing program and how to install it; exit 0', () => {
    const r = runScript(fakePath(['openssl']));
    expect(r.status).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^!!! test-deps: redis-server, chromium not installed \(installation turned off by TEST_DEPS_INSTALL=0\)/);
    expect(lines[0]).toContain('will be SKIPPED');
    expect(lines[0]).toContain('apt-get install -y redis-server chromium');
  });

  it('--strict (CI) fails when a program is still missing', () => {
    expect(runScript(fakePath([]), ['--strict']).status).toBe(1);
    expect(runScript(fakePath(['redis-server', 'chromium', 'openssl']), ['--strict']).status).toBe(0);
  });

  it('says so in one line when every program is there, and installs nothing', () => {
    const r = runScript(fakePath(['redis-server', 'chromium', 'openssl']));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('test-deps: redis-server, chromium, openssl present');
  });
});

describe('skipWithout (test/helpers/external-tools.ts)', () => {
  it('skips when a program is missing, with one line (once per file) naming the suite, the program and the install command', () => {
    const path = process.env['PATH'];
    process.env['PATH'] = fakePath(['openssl']);
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const suite = pathToFileURL(join(root, 'test/stores/redis-store.test.ts')).href;
      expect([
        skipWithout(suite, ['redis-server']),
        skipWithout(suite, ['redis-server'], 'again'),
        skipWithout(suite, ['openssl']),
      ]).toEqual([true, true, false]);
    } finally {
      spy.mockRestore();
      process.env['PATH'] = path;
    }
    expect(written.join('').trim().split('\n')).toEqual([
      '!!! SKIPPED test/stores/redis-store.test.ts: redis-server not installed. Install: apt-get install -y redis-server (npm test installs it itself when run as root on Debian/Ubuntu).',
    ]);
  });
});
