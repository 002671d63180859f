/**
 * Slow senders (headers or a body trickled byte by byte) are cut within 40 s of their first byte
 * by the gateway and by the servers the examples start, while other requests are served.
 *
 * Node checks `headersTimeout` / `requestTimeout` only every `connectionsCheckingInterval`
 * (30 s by default), so a limit of 30 s alone cuts after 30-60 s; the servers set all three.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLogger, parseGatewayConfig, startGateway, GATEWAY_SERVER_TIMEOUTS, type GatewayHandle } from '@wxpay-kit/gateway';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { requireBuild, runCli, type GatewayProcess } from '../../packages/gateway/test/helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APP_ID = 'wxd930ea5d5a258f4f';
const KEY = '192006250b4c09247ec02edce69f6a2d';
/** The bound: a slow sender's connection is closed within this many ms of its first byte. */
const BOUND_MS = 40_000;

interface Trickle {
  /** Resolves when the connection closed, or when the bound passed with it still open. */
  readonly done: Promise<{ closedByServer: boolean; afterMs: number; reply: string }>;
  isOpen(): boolean;
}

/**
 * Connects to `port`, sends `prefix` (the first byte counts from here), then one byte of `rest`
 * every `everyMs`; gives up after {@link BOUND_MS}.
 */
function trickle(port: number, prefix: string, rest: string, everyMs: number): Trickle {
  let open = true;
  const done = new Promise<{ closedByServer: boolean; afterMs: number; reply: string }>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let started = 0;
    let reply = '';
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    let giveUp: NodeJS.Timeout | undefined;
    socket.once('connect', () => {
      started = performance.now();
      socket.write(prefix);
      timer = setInterval(() => {
        if (socket.writable) socket.write(rest[i++ % rest.length] ?? 'x');
      }, everyMs);
      giveUp = setTimeout(() => {
        open = false;
        clearInterval(timer);
        socket.destroy();
        resolve({ closedByServer: false, afterMs: performance.now() - started, reply });
      }, BOUND_MS);
    });
    socket.on('data', (d: Buffer) => void (reply += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (!open) return;
      open = false;
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ closedByServer: true, afterMs: performance.now() - started, reply });
    });
  });
  return { done, isOpen: () => open };
}

/** One trickler sending headers that never end, one sending a declared body slowly. */
function slowSenders(port: number, path: string, everyMs: number): Trickle[] {
  return [
    trickle(port, `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `, 'a', everyMs),
    trickle(port, `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: 60000\r\n\r\n<`, 'x', everyMs),
  ];
}

async function expectCut(senders: Trickle[], label: string): Promise<void> {
  for (const outcome of await Promise.all(senders.map((s) => s.done))) {
    expect(outcome.closedByServer, `${label}: a slow sender was still connected ${BOUND_MS} ms after its first byte`).toBe(true);
    // Node answers 408 once a limit passed (or closes without a word).
    if (outcome.reply !== '') expect(outcome.reply, label).toMatch(/^HTTP\/1\.1 408/);
  }
}

const quiet = () => createGatewayLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) });

describe('the gateway', () => {
  let sim: RunningSimulator;
  let dir: string;
  const gateways: GatewayHandle[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'wxpay-slow-senders-'));
  });
  afterAll(async () => {
    for (const g of gateways) await g.close();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function gateway(serverTimeouts?: Parameters<typeof startGateway>[0]['serverTimeouts']): Promise<GatewayHandle> {
    const { config } = parseGatewayConfig({
      'listen-host': '127.0.0.1',
      'listen-port': 0,
      store: `file:${join(dir, `store-${gateways.length}`)}`,
      merchants: [{ name: 'mch', 'mch-id': '1900000109', 'mch-app-key': KEY, 'api-base-url': sim.url }],
      apps: [{ name: 'shop', merchant: 'mch', 'app-ids': [APP_ID] }],
    });
    const g = await startGateway({ config, logger: quiet(), ...(serverTimeouts ? { serverTimeouts } : {}) });
    gateways.push(g);
    return g;
  }

  it('cuts trickled headers and bodies on its limits while create-pay is served', { timeout: 60_000 }, async () => {
    const g = await gateway({ headersTimeoutMs: 1_000, requestTimeoutMs: 2_000, checkIntervalMs: 200 });
    const senders = [1, 2, 3].flatMap(() => slowSenders(g.port, '/wxpay/notify-pay/shop', 100));
    const res = await fetch(`${g.url}/wxpay/create-pay/NATIVE`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        appId: APP_ID,
        payApp: 'shop',
        goods: 'tea',
        orderId: `slow-${Date.now()}`,
        fee: 1,
        ip: '127.0.0.1',
        productId: 'p1',
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ code: 200, result: { code_url: expect.any(String) } });
    await expectCut(senders, 'gateway');
    // Cut by the limits given, not by anything shorter.
    for (const outcome of await Promise.all(senders.map((s) => s.done))) expect(outcome.afterMs).toBeGreaterThanOrEqual(900);
  });

  it('by default checks its limits often enough to cut a slow sender within 40 s of its first byte', async () => {
    const g = await gateway();
    const server = g.server as typeof g.server & { connectionsCheckingInterval: number };
    const { headersTimeout, requestTimeout, connectionsCheckingInterval } = server;
    expect({ headersTimeout, requestTimeout, connectionsCheckingInterval }).toEqual({
      headersTimeout: GATEWAY_SERVER_TIMEOUTS.headersTimeoutMs,
      requestTimeout: GATEWAY_SERVER_TIMEOUTS.requestTimeoutMs,
      connectionsCheckingInterval: GATEWAY_SERVER_TIMEOUTS.checkIntervalMs,
    });
    for (const limit of [headersTimeout, requestTimeout]) {
      expect(limit).toBeGreaterThan(0);
      // The latest cut: the limit, plus one checking interval, plus a few seconds of a busy machine.
      expect(limit + connectionsCheckingInterval + 5_000).toBeLessThanOrEqual(BOUND_MS);
    }
  });
});

/** A free loopback port (the examples listen on a fixed one, as a shop does). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

interface Started {
  readonly name: string;
  readonly port: number;
  /** Where slow senders post, and a request that must still be served meanwhile. */
  readonly slowPath: string;
  readonly normalPath: string;
  stop(): Promise<void>;
}

/** Starts `examples/<name>` (not in demo mode: it keeps serving) and waits for its URL. */
async function startExample(name: string): Promise<Started> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'index.ts'], {
    cwd: join(ROOT, 'examples', name),
    env: { ...process.env, PORT: String(port), OUTBOX_DIR: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /(?:shop|payment service) on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`examples/${name} exited (${code}): ${output}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const prefix = name === 'multi-app' ? '' : '/wxpay';
  return {
    name,
    port: Number(new URL(url).port),
    slowPath: `${prefix}/notify-pay/shop`,
    normalPath: name === 'multi-app' ? '/query-order' : '/',
    stop,
  };
}

async function startGatewayCli(): Promise<Started & { process: GatewayProcess }> {
  requireBuild();
  const dataDir = mkdtempSync(join(tmpdir(), 'wxpay-slow-cli-'));
  const cli = runCli(['--port', '0', '--data-dir', dataDir], { LOG_LEVEL: 'warn' });
  const url = (await cli.waitFor(/Demo shop\s+(http:\/\/127\.0\.0\.1:\d+)\//))[1]!;
  return {
    name: 'gateway (wxpay-gateway, default settings)',
    port: Number(new URL(url).port),
    slowPath: '/wxpay/notify-pay/demo',
    normalPath: '/health',
    process: cli,
    stop: async () => {
      if (cli.child.exitCode === null) {
        cli.child.kill('SIGTERM');
        await cli.exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('the gateway command and the example servers, on their own settings', () => {
  const started: Started[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it('cut a sender trickling 1 byte/s within 40 s of its first byte, and serve others meanwhile', { timeout: 180_000 }, async () => {
    const servers = await Promise.all([startGatewayCli(), ...['express', 'koa', 'fastify', 'multi-app'].map(startExample)]);
    started.push(...servers);
    await Promise.all(
      servers.map(async (s) => {
        const senders = slowSenders(s.port, s.slowPath, 1_000);
        // Served while the slow senders are connected.
        const res = await fetch(`http://127.0.0.1:${s.port}${s.normalPath}`, {
          method: s.normalPath === '/query-order' ? 'POST' : 'GET',
          body: s.normalPath === '/query-order' ? '{}' : undefined,
          headers: { 'content-type': 'application/json' },
        });
        await res.arrayBuffer();
        expect(res.status, s.name).toBeLessThan(500);
        expect(
          senders.every((t) => t.isOpen()),
          `${s.name}: the slow senders were cut before the other request was served`,
        ).toBe(true);
        await expectCut(senders, s.name);
      }),
    );
  });
});
