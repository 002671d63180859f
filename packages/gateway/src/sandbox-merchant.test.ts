import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorClient, startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { parseGatewayConfig } from './config/load-config.js';
import { createGatewayLogger } from './logger.js';
import { startGateway, type GatewayHandle } from './server.js';

/** The merchant's API key: known to the sandbox (here the simulator), not to a seed config. */
const API_KEY = 'fedcba9876543210fedcba9876543210';
const MCH_ID = '1900000200';
const APP_ID = 'wxd930ea5d5a258f4f';

let sim: RunningSimulator;
let sandboxKey: string;
let dir: string;
const gateways: GatewayHandle[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-sandbox-'));
  // Stands in for WeChat's sandbox, reached through api-base-url.
  sim = await startSimulator({ port: 0, timeFactor: 0.001, merchants: [{ mchId: MCH_ID, apiKey: API_KEY, appIds: [APP_ID] }] });
  sandboxKey = (await createSimulatorClient(sim.url).listMerchants())[0]!.sandboxKey;
});
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});
afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function gatewayWith(merchant: Record<string, unknown>, store: string): Promise<GatewayHandle> {
  const { config } = parseGatewayConfig(
    {
      'listen-host': '127.0.0.1',
      'listen-port': 0,
      store: `file:${join(dir, store)}`,
      merchants: [{ name: 'sandbox-mch', 'mch-id': MCH_ID, 'api-base-url': sim.url, ...merchant }],
      apps: [{ name: 'shop-dev', merchant: 'sandbox-mch' }],
    },
    { baseDir: dir },
  );
  const gateway = await startGateway({ config, logger: createGatewayLogger({ level: 'silent' }) });
  gateways.push(gateway);
  return gateway;
}

const createNative = (gateway: GatewayHandle, orderId: string) =>
  fetch(`${gateway.url}/wxpay/create-pay/NATIVE`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appId: APP_ID, payApp: 'shop-dev', goods: 'g', orderId, fee: 7, ip: '127.0.0.1', productId: 'p' }),
  });

describe('a sandbox merchant of a go-wxpay-gateway config', () => {
  it('signs with its mch-app-key as the sandbox key, and verifies the sandbox notification with it', async () => {
    const gateway = await gatewayWith({ 'mch-app-key': sandboxKey }, 'seed');
    const res = await createNative(gateway, 'sbx-1');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ code: 200, result: { code_url: expect.stringMatching(/^weixin:/) } });
    expect(await sim.order('sbx-1', { environment: 'sandbox' })).toMatchObject({ mchId: MCH_ID, totalFee: 7 });

    const paid = new Promise<{ orderId: string; totalFee: number }>((resolve) => gateway.wxpay.once('paid', resolve));
    await sim.pay('sbx-1', { environment: 'sandbox' });
    expect(await paid).toMatchObject({ orderId: 'sbx-1', totalFee: 7 });
  });

  it('fetch-sandbox-key: mch-app-key is the API key, and the sandbox key is fetched with it', async () => {
    const gateway = await gatewayWith({ 'mch-app-key': API_KEY, 'fetch-sandbox-key': true }, 'fetch');
    expect((await createNative(gateway, 'sbx-2')).status).toBe(200);
  });

  it('the two are not interchangeable: a sandbox key used to fetch is refused', async () => {
    const gateway = await gatewayWith({ 'mch-app-key': sandboxKey, 'fetch-sandbox-key': true }, 'wrong');
    const res = await createNative(gateway, 'sbx-3');
    expect(res.status).not.toBe(200);
    await expect(sim.order('sbx-3', { environment: 'sandbox' })).rejects.toThrow();
  });
});
