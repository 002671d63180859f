/**
 * A client that starts the gateway and calls it the moment its port accepts a connection gets
 * served, never `503 starting`: the port is bound only once the store, the keys and (in default
 * mode) the simulator are ready. The client connects in a tight loop and sends create-pay on the
 * first connection that succeeds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { requireBuild, runCli, type GatewayProcess } from './helpers.js';

const APP_ID = 'wxd930ea5d5a258f4f';
const KEY = '192006250b4c09247ec02edce69f6a2d';

const dirs: string[] = [];
const processes: GatewayProcess[] = [];
let sim: RunningSimulator;

beforeAll(async () => {
  requireBuild();
  sim = await startSimulator({ port: 0 });
});

afterAll(async () => {
  for (const p of processes) {
    if (p.child.exitCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
  await sim?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-first-'));
  dirs.push(dir);
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The first connection to `port` that succeeds, trying again at once after each refusal. */
async function firstConnection(port: number, gateway: GatewayProcess): Promise<Socket> {
  for (;;) {
    if (gateway.child.exitCode !== null)
      throw new Error(`the gateway exited (${gateway.child.exitCode}):\n${gateway.stdout()}\n${gateway.stderr()}`);
    const socket = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', () => {
        s.destroy();
        resolve(undefined);
      });
    });
    if (socket) return socket;
  }
}

/** Sends create-pay/NATIVE over the already connected `socket` and resolves with the status and body. */
function createPay(socket: Socket, payApp: string, orderId: string): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ appId: APP_ID, payApp, goods: 'coffee', orderId, fee: 1, ip: '127.0.0.1', productId: 'p1' });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        createConnection: () => socket,
        method: 'POST',
        path: '/wxpay/create-pay/NATIVE',
        headers: { host: '127.0.0.1', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => void (text += d.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

describe('the first request after start', () => {
  it('default mode (npm start): create-pay sent the moment the port accepts is served', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const gateway = runCli(['--port', String(port), '--data-dir', tempDir()]);
    processes.push(gateway);
    const socket = await firstConnection(port, gateway);
    const reply = await createPay(socket, 'demo', `first-${Date.now()}`);
    expect(reply.status, reply.body).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ code: 200, msg: 'OK', result: { code_url: expect.stringMatching(/^weixin:\/\//) } });
  });

  it('with a config file: create-pay sent the moment the port accepts is served, repeatedly', { timeout: 120_000 }, async () => {
    for (let run = 0; run < 3; run++) {
      const port = await freePort();
      const dir = tempDir();
      const file = join(dir, 'conf.json');
      writeFileSync(
        file,
        JSON.stringify({
          'listen-host': '127.0.0.1',
          'listen-port': port,
          store: `file:${join(dir, 'store')}`,
          merchants: [{ name: 'mch', 'mch-id': '1900000109', 'mch-app-key': KEY, 'api-base-url': sim.url }],
          apps: [{ name: 'shop', merchant: 'mch', 'app-ids': [APP_ID] }],
        }),
      );
      const gateway = runCli([], { CONF_FILE: file });
      processes.push(gateway);
      const socket = await firstConnection(port, gateway);
      const reply = await createPay(socket, 'shop', `first-${run}-${Date.now()}`);
      expect(reply.status, reply.body).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({ code: 200, msg: 'OK' });
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
    }
  });
});
