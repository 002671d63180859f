/**
 * `wxpay-gateway reconcile` as a process, with the simulator as WeChat (notifications off): while
 * the gateway runs on the (file) store it asks the gateway, which delivers the payment WeChat has
 * and nobody heard of; with the gateway stopped it opens the store itself, and the gateway delivers
 * what it found once it is back. Exit codes 0 / 1 / 2 and the `--json` report.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { postJson, requireBuild, runCli, startReceiver, type GatewayProcess, type Receiver } from './helpers.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const MCH_ID = '1900000109';
const APP_ID = 'wxd930ea5d5a258f4f';

let dir: string;
let sim: RunningSimulator;
let receiver: Receiver;
let port: number;
let configFile: string;
const gateways: GatewayProcess[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: p } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return p;
}

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-reconcile-'));
  sim = await startSimulator({ port: 0, notifications: false, merchants: [{ mchId: MCH_ID, apiKey: KEY, appIds: [APP_ID] }] });
  receiver = await startReceiver();
  port = await freePort();
  configFile = join(dir, 'gateway.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      'listen-host': '127.0.0.1',
      'listen-port': port,
      store: `file:${join(dir, 'store')}`,
      'reconcile-at': false,
      merchants: [{ name: 'mch', 'mch-id': MCH_ID, 'mch-app-key': KEY, 'api-base-url': sim.url }],
      apps: [{ name: 'shop', merchant: 'mch', 'app-ids': [APP_ID], 'notify-pay-callback': `${receiver.url}/pay` }],
    }),
  );
});

afterAll(async () => {
  for (const g of gateways) g.child.kill('SIGKILL');
  await receiver?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startGateway(): Promise<{ gateway: GatewayProcess; base: string }> {
  const gateway = runCli(['--config', configFile]);
  gateways.push(gateway);
  const base = (await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  return { gateway, base };
}

async function stopGateway(gateway: GatewayProcess): Promise<void> {
  gateway.child.kill('SIGTERM');
  expect(await gateway.exited).toBe(0);
}

/** Runs `wxpay-gateway reconcile ...args` to its end. */
async function reconcile(args: string[], env: Record<string, string> = {}) {
  const p = runCli(['reconcile', ...args], { LOG_LEVEL: 'error', ...env });
  const code = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

/** The China-time day of epoch ms. */
const chinaDay = (ms: number): string => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);

const createPay = (base: string, orderId: string, fee: number) =>
  postJson(`${base}/wxpay/create-pay/NATIVE`, { appId: APP_ID, payApp: 'shop', goods: 'g', orderId, fee, ip: '127.0.0.1', productId: 'p' });

describe('wxpay-gateway reconcile (built command, file store)', () => {
  it('finds and delivers paid orders nobody heard of, through the running gateway or on its own; exits 1, then 0', async () => {
    const { gateway, base } = await startGateway();
    expect((await createPay(base, 'RC1', 101)).status).toBe(200);
    expect((await createPay(base, 'RC2', 202)).status).toBe(200);
    const paid = await sim.paySilently('RC1');
    const date = chinaDay(paid.paidAt!);

    // The gateway holds the file store: the command asks it.
    const first = await reconcile(['--config', configFile, '--date', date, '--json']);
    expect(first.err).toBe('');
    expect(first.code).toBe(1);
    const report = JSON.parse(first.out.trim());
    expect(report).toMatchObject({ date, merchant: expect.any(String), checked: 1 });
    expect(report.differences).toEqual([
      expect.objectContaining({
        kind: 'missing-here',
        orderId: 'RC1',
        transactionId: paid.transactionId,
        ours: null,
        wechat: { totalFee: 101 },
      }),
    ]);
    // Delivered to the app's callback, once, and counted in /metrics.
    const delivered = await receiver.waitFor((r) => r.path === '/pay' && JSON.parse(r.body).order_id === 'RC1');
    expect(JSON.parse(delivered.body)).toMatchObject({ transaction_id: paid.transactionId, total_fee: 101 });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/wxpay_reconcile_mismatches_total\{kind="missing-here",merchant="[^"]+"\} 1/);
    expect(gateway.logs().filter((l) => l['msg'] === 'reconcile mismatch')).toHaveLength(1);

    // The endpoint the command used: a bad date is a 400 naming the field; GET is a 405.
    const bad = await postJson(`${base}/wxpay/reconcile`, { date: '2026-13-01' });
    expect(bad.status).toBe(400);
    expect(bad.json.msg).toMatch(/^date: /);
    expect((await fetch(`${base}/wxpay/reconcile`)).status).toBe(405);

    // Nothing left: exit 0, and the human report says so.
    const second = await reconcile(['--config', configFile, '--date', date]);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(new RegExp(`^${date} \\S+: 1 checked, no difference\\n$`));

    // The gateway stopped: the command opens the store itself; what it fires waits in the outbox.
    await stopGateway(gateway);
    const paid2 = await sim.paySilently('RC2');
    const third = await reconcile(['--date', chinaDay(paid2.paidAt!), '--json'], { CONF_FILE: configFile });
    expect(third.code).toBe(1);
    expect(JSON.parse(third.out.trim()).differences).toEqual([
      expect.objectContaining({ kind: 'missing-here', orderId: 'RC2', fired: true }),
    ]);
    expect(receiver.received.filter((r) => JSON.parse(r.body).order_id === 'RC2')).toEqual([]);
    expect((await reconcile(['--config', configFile, '--date', chinaDay(paid2.paidAt!)])).code).toBe(0);
    // Back up, the gateway delivers it.
    await startGateway();
    await receiver.waitFor((r) => JSON.parse(r.body).order_id === 'RC2');
    expect(receiver.received.map((r) => JSON.parse(r.body).order_id).sort()).toEqual(['RC1', 'RC2']);
  });

  it('exits 2 with one line on an error: bad date, no config, WeChat unreachable', async () => {
    const badDate = await reconcile(['--config', configFile, '--date', '06/12/2026']);
    expect(badDate.code).toBe(2);
    expect(badDate.err).toMatch(/--date must be a day written YYYY-MM-DD/);
    const noConfig = await reconcile([]);
    expect(noConfig.code).toBe(2);
    expect(noConfig.err).toMatch(/needs the gateway's configuration/);
    const unreachable = join(dir, 'unreachable.json');
    writeFileSync(
      unreachable,
      JSON.stringify({
        store: `file:${join(dir, 'store-unreachable')}`,
        merchants: [{ name: 'mch', 'mch-id': MCH_ID, 'mch-app-key': KEY, 'api-base-url': 'http://127.0.0.1:9' }],
        apps: [{ name: 'shop', merchant: 'mch', 'app-ids': [APP_ID], 'notify-pay-callback': 'http://127.0.0.1:9/pay' }],
      }),
    );
    const down = await reconcile(['--config', unreachable, '--date', '2026-12-06', '--json']);
    expect(down.code).toBe(2);
    expect(down.out).toBe('');
    expect(down.err.trim().split('\n')).toHaveLength(1);
    expect(down.err).toMatch(/^wxpay-gateway: .*(connect|reach|ECONNREFUSED)/i);
  });
});
