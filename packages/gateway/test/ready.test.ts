/**
 * `/ready` follows the store: 200 while Redis answers, 503 once it is gone (without hanging).
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { createGatewayLogger, parseGatewayConfig, startGateway, type GatewayHandle } from '@wxpay-kit/gateway';
import { skipWithout } from '../../../test/helpers/external-tools.js';
import { startRedis, type RedisProcess } from './helpers.js';

let redis: RedisProcess;
let sim: RunningSimulator;
let gateway: GatewayHandle;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ port: 0 });
  const { config } = parseGatewayConfig({
    'listen-host': '127.0.0.1',
    'listen-port': 0,
    store: redis.url,
    merchants: [{ name: 'mch', 'mch-id': '1900000109', 'mch-app-key': '192006250b4c09247ec02edce69f6a2d', 'api-base-url': sim.url }],
    apps: [{ name: 'shop', merchant: 'mch', 'app-ids': ['wxd930ea5d5a258f4f'], 'notify-pay-callback': 'http://127.0.0.1:9/pay' }],
  });
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  gateway = await startGateway({ config, logger: createGatewayLogger({ destination: quiet }), shutdownTimeoutMs: 2_000 });
});

afterAll(async () => {
  await gateway?.close();
  await sim?.close();
  await redis?.stop();
});

describe.skipIf(skipWithout(import.meta.url, ['redis-server']))('/ready', () => {
  it('is 200 while the store answers and 503 when it does not', async () => {
    const up = await fetch(`${gateway.url}/ready`);
    expect(up.status).toBe(200);
    // The sweeper is on by default: its state is in the details.
    expect(await up.json()).toMatchObject({
      status: 'ready',
      details: { sweeper: { state: 'on', pending: 0, oldestUnresolvedSeconds: 0 } },
    });
    await redis.stop();
    const down = await fetch(`${gateway.url}/ready`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { status: string; reason: string };
    expect(body.status).toBe('not-ready');
    expect(body.reason).toMatch(/^store unreachable: /);
    // Liveness does not depend on the store.
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    // Redis comes back on the same port: ready again.
    redis = await startRedis(Number(new URL(redis.url).port));
    await expect.poll(async () => (await fetch(`${gateway.url}/ready`)).status, { timeout: 10_000 }).toBe(200);
  });
});
