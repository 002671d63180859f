#!/usr/bin/env node
// Installs the programs some test suites need besides Node: redis-server, Chromium and openssl.
// Run by `npm test` before the suites and by .ci/run.
//  - Root with apt-get (Debian, Ubuntu): `apt-get update` once, then installs the missing ones.
//  - Otherwise (not root, no apt-get, no network, or TEST_DEPS_INSTALL=0): installs nothing and
//    says which programs are missing; each suite that needs one is then skipped with one line
//    naming it (test/helpers/external-tools.ts). Exit status 0, unless --strict is given
//    (.ci/run): then a program still missing is an error.
// Detection matches test/helpers/external-tools.ts: redis-server and openssl on the PATH;
// Chromium at CHROMIUM_PATH, or `chromium` / `chromium-browser` on the PATH.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const strict = process.argv.includes('--strict');

function isExecutable(file) {
  try {
    return statSync(file).isFile() && (accessSync(file, constants.X_OK), true);
  } catch {
    return false;
  }
}
const onPath = (name) => (process.env.PATH ?? '').split(delimiter).find((dir) => dir && isExecutable(join(dir, name)));
const runs = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;

/** program -> [Debian package, present?] */
const TOOLS = {
  'redis-server': ['redis-server', () => runs('redis-server', ['--version'])],
  chromium: [
    'chromium',
    () => (process.env.CHROMIUM_PATH ? isExecutable(process.env.CHROMIUM_PATH) : Boolean(onPath('chromium') ?? onPath('chromium-browser'))),
  ],
  openssl: ['openssl', () => runs('openssl', ['version'])],
};

const missingNow = () => Object.keys(TOOLS).filter((t) => !TOOLS[t][1]());

/** Why this machine cannot install them, or undefined when it can. */
function cannotInstall() {
  if (process.env.TEST_DEPS_INSTALL === '0') return 'installation turned off by TEST_DEPS_INSTALL=0';
  if (process.platform !== 'linux') return `no apt-get on ${process.platform}`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root';
  if (!onPath('apt-get')) return 'no apt-get';
  return undefined;
}

/** Runs an apt-get step; returns undefined on success, else its last output line. */
function aptGet(args, timeoutMs) {
  const r = spawnSync('apt-get', args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status === 0) return undefined;
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').filter(Boolean);
  return r.error ? `${r.error.message}` : `apt-get ${args[0]} failed: ${out.at(-1) ?? `exit ${r.status}`}`;
}

let missing = missingNow();
let reason;
if (missing.length > 0) {
  reason = cannotInstall();
  if (!reason) {
    const packages = missing.map((t) => TOOLS[t][0]);
    console.log(`test-deps: installing ${packages.join(' ')} with apt-get`);
    reason = aptGet(['update', '-qq'], 5 * 60_000) ?? aptGet(['install', '-y', '-qq', '--no-install-recommends', ...packages], 15 * 60_000);
    missing = missingNow();
  }
}

if (missing.length === 0) {
  console.log(`test-deps: ${Object.keys(TOOLS).join(', ')} present`);
} else {
  const packages = missing.map((t) => TOOLS[t][0]).join(' ');
  console.error(
    `!!! test-deps: ${missing.join(', ')} not installed (${reason ?? 'apt-get installed them, but they are still not found'}); ` +
      `the suites that need ${missing.length === 1 ? 'it' : 'them'} will be SKIPPED. Install: sudo apt-get install -y ${packages}`,
  );
  if (strict) process.exit(1);
}
