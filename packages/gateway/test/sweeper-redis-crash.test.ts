/**
 * Two `wxpay-gateway` processes on one redis-server share the sweeper's queue while WeChat sends
 * no notification at all; one or the other is SIGKILLed again and again while it sweeps, and
 * started again. No order is lost (every paid order reaches its app; every unpaid one is still
 * queued) and none is fired twice (one result, one `webhook-id`, per order).
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
  startReceiver,
  startRedis,
  type GatewayProcess,
  type Receiver,
  type RedisProcess,
} from './helpers.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const MCH_ID = '1900000109';
const APP_ID = 'wxd930ea5d5a258f4f';
/** Orders placed; the first PAID of them are paid (silently), the rest never. */
const ORDERS = Number(process.env['SWEEP_CRASH_ORDERS'] ?? 48);
const PAID = Math.round(ORDERS * 0.75);
/** SIGKILLs per run. */
const KILLS = Number(process.env['SWEEP_CRASH_KILLS'] ?? 6);

const noRedis = skipWithout(import.meta.url, ['redis-server']);

let redis: RedisProcess;
let sim: RunningSimulator;
let receiver: Receiver;
let dir: string;
let confFile: string;
/** Every gateway process started, the killed ones included (their log lines count too). */
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  if (noRedis) return;
  requireBuild();
  redis = await startRedis();
  sim = await startSimulator({ port: 0, merchants: [{ mchId: MCH_ID, apiKey: KEY, appIds: [APP_ID] }], notifications: false });
  receiver = await startReceiver();
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-sweep-crash-'));
  confFile = join(dir, 'wxpay-gateway.conf.json');
  writeFileSync(
    confFile,
    JSON.stringify({
      'listen-host': '127.0.0.1',
      'listen-port': 0,
      store: redis.url,
      // Queried 1 s and 2 s after creation, then every second: the instances sweep all the time.
      'sweep-schedule': [1, 2],
      'sweep-rate': 20,
      // A killed instance's sweeps and claims are taken over quickly.
      'sweep-lease-ms': 2_000,
      'lease-ms': 1_000,
      merchants: [{ name: 'mch', 'mch-id': MCH_ID, 'mch-app-key': KEY, 'api-base-url': sim.url }],
      apps: [
        {
          name: 'shop',
          merchant: 'mch',
          'app-ids': [APP_ID],
          'notify-pay-callback': `${receiver.url}/shop/pay`,
          'callback-secret': 'whsec_c2hvcC1jYWxsYmFjay1zZWNyZXQtZm9yLXRlc3Rz',
        },
      ],
    }),
  );
}, 60_000);

afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  await receiver?.close();
  await sim?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Instance {
  process: GatewayProcess;
  url: string;
}

async function start(): Promise<Instance> {
  const process = runCli([], { CONF_FILE: confFile, LOG_LEVEL: 'info' });
  processes.push(process);
  const url = (await process.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  await process.waitFor(/"msg":"wxpay-gateway listening"/);
  return { process, url };
}

async function kill(instance: Instance): Promise<void> {
  instance.process.child.kill('SIGKILL');
  await instance.process.exited;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The callbacks the app received for an order, by `webhook-id`. */
function deliveries(orderId: string): { ids: Set<string>; count: number; transactionIds: Set<string> } {
  const got = receiver.received.filter((r) => (JSON.parse(r.body) as { order_id?: string }).order_id === orderId);
  return {
    ids: new Set(got.map((r) => String(r.headers['webhook-id']))),
    count: got.length,
    transactionIds: new Set(got.map((r) => (JSON.parse(r.body) as { transaction_id: string }).transaction_id)),
  };
}

describe.skipIf(noRedis)('two gateways on one Redis, SIGKILLed while they sweep', () => {
  it('lose no order and fire none twice', async () => {
    const instances: [Instance, Instance] = [await start(), await start()];
    const ids = Array.from({ length: ORDERS }, (_, i) => `kill-${i}`);
    for (const [i, id] of ids.entries()) {
      const { status, json } = await postJson(`${instances[i % 2]!.url}/wxpay/create-pay/NATIVE`, {
        appId: APP_ID,
        payApp: 'shop',
        goods: 'Crash goods',
        orderId: id,
        fee: 100 + i,
        ip: '127.0.0.1',
        productId: 'p1',
      });
      expect(status, JSON.stringify(json)).toBe(200);
    }
    const paidIds = ids.slice(0, PAID);
    const unpaidIds = ids.slice(PAID);

    // Users pay while the instances are killed and restarted, one at a time, at random moments.
    let paying = true;
    const payer = (async () => {
      for (const id of paidIds) {
        await sim.paySilently(id);
        await sleep(40 + Math.random() * 80);
      }
      paying = false;
    })();
    let kills = 0;
    while (kills < KILLS || paying) {
      await sleep(300 + Math.random() * 900);
      if (kills >= KILLS) continue;
      const which = kills % 2;
      await kill(instances[which]!);
      kills++;
      await sleep(Math.random() * 400);
      instances[which] = await start();
    }
    await payer;

    // Every paid order reaches the app (WeChat never notified any of them).
    await expect.poll(() => paidIds.filter((id) => deliveries(id).count === 0), { timeout: 80_000, interval: 200 }).toEqual([]);
    // Quiet: nothing left to deliver, nothing paid left in the sweeper's queue.
    await expect
      .poll(
        async () => {
          const ready = (await (await fetch(`${instances[0].url}/ready`)).json()) as { details: { sweeper: { pending: number } } };
          const metrics = await (await fetch(`${instances[0].url}/metrics`)).text();
          const backlog = Number(/^wxpay_forwarder_backlog (\d+)$/m.exec(metrics)?.[1]);
          return { pending: ready.details.sweeper.pending, backlog };
        },
        { timeout: 20_000, interval: 200 },
      )
      .toEqual({ pending: unpaidIds.length, backlog: 0 });

    for (const id of paidIds) {
      const got = deliveries(id);
      const order = await sim.order(id);
      // One result per order: one webhook-id (a redelivery after a kill repeats the same id), the right transaction.
      expect([...got.ids], id).toHaveLength(1);
      expect([...got.transactionIds], id).toEqual([order.transactionId]);
    }
    for (const id of unpaidIds) expect(deliveries(id).count, id).toBe(0);

    const paidLines = processes.flatMap((p) => p.logs()).filter((l) => l['event'] === 'paid');
    const firings = new Map<string, number>();
    for (const l of paidLines) firings.set(String(l['orderId']), (firings.get(String(l['orderId'])) ?? 0) + 1);
    const repeatedDeliveries = paidIds.reduce((n, id) => n + deliveries(id).count - 1, 0);
    console.info(
      `sweeper crash run: ${ORDERS} orders (${PAID} paid silently), ${kills} SIGKILLs, ${processes.length} gateway processes; ` +
        `callbacks ${receiver.received.length} (repeats of the same webhook-id after a kill: ${repeatedDeliveries}); ` +
        `orders whose 'paid' was logged by two processes (a kill between the event and its record): ${[...firings.values()].filter((n) => n > 1).length}`,
    );
  }, 180_000);
});
