import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { merchantKeys, v3, verifyWechatpay } from './v3-helpers.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const children: ChildProcess[] = [];

function run(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

/** Resolves with the first line of stdout, and keeps draining it so later writes do not hit a closed pipe. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += String(chunk);
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.stdout!.on('end', () => resolve(out));
  });
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('wxpay-simulator CLI', () => {
  it('starts on the given port, serves the control API and stops on SIGTERM', async () => {
    const child = run([
      '--port',
      '0',
      '--mch-id',
      '1230000109',
      '--api-key',
      'z'.repeat(32),
      '--app-id',
      'wxA',
      '--app-id',
      'wxB',
      '--quiet',
    ]);
    const line = await firstLine(child);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
    expect(url, line).toBeDefined();
    const res = await request(`${url}/_sim/merchants`);
    expect(await res.body.json()).toMatchObject([{ mchId: '1230000109', appIds: ['wxA', 'wxB'] }]);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
  });

  it('serves a v3 merchant given its public key file, serial number and APIv3 key', async () => {
    const keys = merchantKeys();
    const dir = mkdtempSync(join(tmpdir(), 'wxpay-sim-cli-'));
    try {
      writeFileSync(join(dir, 'mch.pem'), keys.publicKey);
      const child = run([
        '--port',
        '0',
        '--mch-id',
        '1230000109',
        '--api-key',
        'z'.repeat(32),
        '--app-id',
        'wxA',
        '--quiet',
        '--mch-public-key',
        join(dir, 'mch.pem'),
        '--mch-serial-no',
        keys.serialNo,
        '--api-v3-key',
        'k'.repeat(32),
      ]);
      const line = await firstLine(child);
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
      expect(url, line).toBeDefined();
      const wechatpay = (await (await request(`${url}/_sim/v3/keys`)).body.json()) as { publicKeyId: string; publicKey: string };
      const res = await v3(url!, 'GET', '/v3/pay/transactions/out-trade-no/NONE?mchid=1230000109', undefined, {
        mchid: '1230000109',
        keys,
      });
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ code: 'ORDER_NOT_EXIST' });
      expect(verifyWechatpay(res.headers, res.text, new Map([[wechatpay.publicKeyId, wechatpay.publicKey]]))).toBe(true);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits with status 2 and the usage on bad arguments', async () => {
    const child = run(['--port', 'eighty']);
    let err = '';
    child.stderr!.on('data', (c) => (err += String(c)));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(err).toContain('--port must be an integer');
    expect(err).toContain('Usage: wxpay-simulator');
  });
});
