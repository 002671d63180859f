/**
 * `lease-ms` reaches the core: a paid notification claims its transaction in the gateway's store
 * for the configured lease, and for the core's 60 s when the key is absent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaidEvent } from '@wxpay-kit/core';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { parseGatewayConfig } from './config/load-config.js';
import { createGatewayLogger } from './logger.js';
import { startGateway } from './server.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const APP_ID = 'wxd930ea5d5a258f4f';

let sim: RunningSimulator;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-lease-'));
  sim = await startSimulator({ port: 0, timeFactor: 0.001 });
});

afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Starts a gateway with `extra` config keys, pays one order, and returns the leases its store was asked for. */
async function leasesOfOnePayment(name: string, extra: Record<string, unknown>): Promise<number[]> {
  const { config } = parseGatewayConfig(
    {
      'listen-host': '127.0.0.1',
      'listen-port': 0,
      store: `file:${join(dir, name)}`,
      merchants: [{ name: 'mch', 'mch-id': '1900000109', 'mch-app-key': KEY, 'api-base-url': sim.url }],
      apps: [{ name: 'shop', merchant: 'mch', 'app-ids': [APP_ID], 'notify-pay-callback': '' }],
      ...extra,
    },
    { baseDir: dir },
  );
  const gateway = await startGateway({ config, logger: createGatewayLogger({ level: 'silent' }), forwarder: false });
  try {
    // The core claims through the store object it was given, so a wrapper on it sees every claim.
    const store = gateway.runtime.store;
    const leases: number[] = [];
    const claim = store.claim.bind(store);
    store.claim = (key, leaseMs) => {
      leases.push(leaseMs);
      return claim(key, leaseMs);
    };
    const orderId = `lease-${name}`;
    const paid = new Promise<PaidEvent>((resolve) => gateway.wxpay.on('paid', (e) => (e.orderId === orderId ? resolve(e) : undefined)));
    const created = await fetch(`${gateway.url}/wxpay/create-pay/NATIVE`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: APP_ID, payApp: 'shop', goods: 'g', orderId, fee: 1, ip: '127.0.0.1', productId: 'p' }),
    });
    expect(created.status, await created.clone().text()).toBe(200);
    await sim.pay(orderId);
    expect((await paid).source).toBe('notify');
    return leases;
  } finally {
    await gateway.close();
  }
}

describe('lease-ms', () => {
  it('is the lease of every notification claim', async () => {
    expect(await leasesOfOnePayment('configured', { 'lease-ms': 5_000 })).toEqual([5_000]);
  });

  it('defaults to the core lease, 10 s', async () => {
    expect(await leasesOfOnePayment('default', {})).toEqual([10_000]);
  });
});
