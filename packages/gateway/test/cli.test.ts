/**
 * The built command's one-shot behaviours: version, help, sandbox key, and start-up failures
 * that must end in one clear line.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxKeyFor, startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { requireBuild, ROOT, runCli } from './helpers.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
let dir: string;
let sim: RunningSimulator;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-cli-'));
  sim = await startSimulator({ port: 0 });
});
afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'listen-host': '127.0.0.1',
    'listen-port': 0,
    store: `file:${join(dir, 'store')}`,
    merchants: [{ name: 'mch', 'mch-id': '1900000109', 'mch-app-key': KEY, 'api-base-url': sim.url }],
    apps: [{ name: 'shop', merchant: 'mch', 'app-ids': ['wxd930ea5d5a258f4f'], 'notify-pay-callback': 'http://127.0.0.1:9/pay' }],
    ...extra,
  };
}

function writeConfig(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** Runs the command to its end; resolves code, stdout and stderr. */
async function run(args: string[], env: Record<string, string> = {}) {
  const p = runCli(args, env);
  const code = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

describe.concurrent('wxpay-gateway (built command)', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages/gateway/package.json'), 'utf8')) as { version: string };
    expect(await run(['--version'])).toEqual({ code: 0, out: `wxpay-gateway ${pkg.version}\n`, err: '' });
  });

  it('--help lists the commands', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('wxpay-gateway notify');
    expect(out).toContain('wxpay-gateway getsandbox <appId> <mchId> <apiKey>');
  });

  it('getsandbox prints the sandbox key the server hands out', async () => {
    const { code, out } = await run(['getsandbox', 'wxd930ea5d5a258f4f', '1900000109', KEY, '--base-url', sim.url]);
    expect(code).toBe(0);
    expect(out).toBe(`${sandboxKeyFor('1900000109', KEY)}\n`);
  });

  it('getsandbox without its three arguments is a usage error', async () => {
    const { code, err } = await run(['getsandbox', 'wx1']);
    expect(code).toBe(2);
    expect(err).toContain('Usage: wxpay-gateway getsandbox');
  });

  it('an unknown command or option is a usage error', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['--nope'])).code).toBe(2);
  });

  it('a missing config file fails with one line', async () => {
    const file = join(dir, 'missing.json');
    const { code, err } = await run([], { CONF_FILE: file });
    expect(code).toBe(1);
    expect(err).toBe(`wxpay-gateway: invalid configuration ${file}: file not found\n`);
  });

  it('a config file that is not JSON fails with one line', async () => {
    const file = writeConfig('broken.json', '{ "listen-port": 7080,, }');
    const { code, err } = await run(['--config', file]);
    expect(code).toBe(1);
    expect(err).toMatch(/^wxpay-gateway: invalid configuration .*broken\.json: not valid JSON \(.*\)\n$/);
  });

  it('an app naming an unknown merchant fails with one line', async () => {
    const file = writeConfig('unknown-merchant.json', config({ apps: [{ name: 'shop', merchant: 'other', 'app-ids': ['wx1'] }] }));
    const { code, err } = await run(['--config', file]);
    expect(code).toBe(1);
    expect(err).toBe(`wxpay-gateway: invalid configuration ${file}: apps[0].merchant: unknown merchant "other" (merchants: mch)\n`);
  });

  it('a value of the wrong type fails with one line naming the key', async () => {
    const file = writeConfig('wrong-type.json', config({ 'listen-port': '7080' }));
    const { code, err } = await run(['--config', file]);
    expect(code).toBe(1);
    expect(err).toBe(`wxpay-gateway: invalid configuration ${file}: listen-port: must be a number, not a string\n`);
  });

  it('a port in use fails with a clear message', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const { port } = blocker.address() as AddressInfo;
    try {
      const file = writeConfig('busy.json', config({ 'listen-port': port }));
      const { code, err } = await run(['--config', file]);
      expect(code).toBe(1);
      expect(err).toBe(
        `wxpay-gateway: port ${port} is already in use (127.0.0.1:${port}); stop the other process or set "listen-port" to a free port\n`,
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
