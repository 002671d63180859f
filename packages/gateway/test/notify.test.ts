/**
 * `wxpay-gateway notify` as its own process (the seed's go-wxpay-notify): the gateway, started
 * with --no-forwarder, stores each result in a shared Redis outbox; the notify process delivers it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { skipWithout } from '../../../test/helpers/external-tools.js';
import {
  postJson,
  requireBuild,
  runCli,
  startRedis,
  startReceiver,
  type GatewayProcess,
  type Receiver,
  type RedisProcess,
} from './helpers.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const APP_ID = 'wxd930ea5d5a258f4f';

let redis: RedisProcess;
let sim: RunningSimulator;
let receiver: Receiver;
let gateway: GatewayProcess;
let notifier: GatewayProcess;
let dir: string;
let base: string;
let configFile: string;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-notify-'));
  redis = await startRedis();
  receiver = await startReceiver();
  sim = await startSimulator({ port: 0, timeFactor: 0.001 });
  const file = join(dir, 'conf.json');
  writeFileSync(
    file,
    JSON.stringify({
      'listen-host': '127.0.0.1',
      'listen-port': 0,
      store: redis.url,
      merchants: [{ name: 'mch', 'mch-id': '1900000109', 'mch-app-key': KEY, 'api-base-url': sim.url }],
      apps: [{ name: 'shop', merchant: 'mch', 'app-ids': [APP_ID], 'notify-pay-callback': `${receiver.url}/pay` }],
    }),
  );
  configFile = file;
  gateway = runCli(['--no-forwarder'], { CONF_FILE: file });
  base = (await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
});

afterAll(async () => {
  for (const p of [gateway, notifier].filter(Boolean)) {
    if (p && p.child.exitCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
  await sim?.close();
  await receiver?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skipWithout(import.meta.url, ['redis-server']))('wxpay-gateway notify', () => {
  it('delivers what the gateway stored; the gateway itself delivers nothing', async () => {
    const created = await postJson(`${base}/wxpay/create-pay/NATIVE`, {
      appId: APP_ID,
      payApp: 'shop',
      goods: 'g',
      orderId: 'n-1',
      fee: 3,
      ip: '127.0.0.1',
      productId: 'p',
    });
    expect(created.status).toBe(200);
    await sim.pay('n-1');
    // WeChat was answered only once the result was in the outbox; nothing delivers it yet.
    await gateway.waitFor(/"msg":"notification"[^\n]*"status":200|"status":200[^\n]*"msg":"notification"/);
    notifier = runCli(['notify', '--config', configFile]);
    await notifier.waitFor(/wxpay-gateway notify: delivering results of 1 app\(s\)/);
    const callback = await receiver.waitFor((r) => r.path === '/pay' && r.body.includes('n-1'));
    expect(JSON.parse(callback.body)).toMatchObject({ order_id: 'n-1', total_fee: 3, result_code: 'SUCCESS' });
    expect(callback.headers['webhook-id']).toBeTruthy();
    expect(gateway.logs().some((l) => l['msg'] === 'notification' && l['status'] === 200)).toBe(true);
    expect(gateway.logs().some((l) => l['msg'] === 'callback delivered')).toBe(false);
    // The notify process logs each delivery, as the README says.
    await expect
      .poll(() => notifier.logs().find((l) => l['msg'] === 'callback delivered'))
      .toMatchObject({ app: 'shop', status: expect.any(Number), url: expect.stringMatching(/\/pay$/) });
  });

  it('both processes stop on SIGTERM with exit code 0', async () => {
    notifier.child.kill('SIGTERM');
    gateway.child.kill('SIGTERM');
    expect(await notifier.exited).toBe(0);
    expect(await gateway.exited).toBe(0);
  });
});
