/**
 * `GET /metrics` after a paid flow: Prometheus text with the requests, notifications (acknowledged
 * and refused), events, WeChat calls and forwarder figures the flow produced.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorClient } from '@wxpay-kit/simulator';
import { startDefaultGateway, type DefaultGateway } from '../src/default-mode.js';
import { createGatewayLogger } from '../src/logger.js';

let gw: DefaultGateway;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-metrics-'));
  gw = await startDefaultGateway({ port: 0, dataDir, logger: createGatewayLogger({ level: 'silent' }) });
});
afterAll(async () => {
  await gw?.gateway.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The value of one sample line, e.g. `wxpay_events_total{event="paid",app="demo"}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const inside = line.slice(name.length).match(/^\{([^}]*)\}/)?.[1] ?? '';
    const have = inside === '' ? [] : inside.split(',');
    if (want.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('counts a paid flow, a forged notification and the forwarder', async () => {
    const base = gw.gateway.url;
    const orderId = `m-${Date.now()}`;
    const created = await fetch(`${base}/wxpay/create-pay/NATIVE`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...gw.demo, mchId: undefined, goods: 'tea', orderId, fee: 5, ip: '127.0.0.1', productId: 'p' }),
    });
    expect(created.status).toBe(200);
    const paid = new Promise((resolve) => gw.gateway.wxpay.once('paid', resolve));
    const delivered = new Promise((resolve) => gw.gateway.wxpay.once('forward-delivered', resolve));
    await createSimulatorClient(gw.simulatorUrl).pay(orderId);
    await paid;
    await delivered;
    const forged = await fetch(`${base}/wxpay/notify-pay/demo`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: '<xml><return_code>SUCCESS</return_code><sign>forged</sign></xml>',
    });
    expect(forged.status).toBeGreaterThanOrEqual(400);

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'wxpay_events_total', { event: 'paid', app: 'demo' })).toBe(1);
    expect(sample(text, 'wxpay_notifications_total', { route: '/notify-pay/:app', version: 'v2', outcome: 'acknowledged' })).toBe(1);
    expect(sample(text, 'wxpay_notifications_total', { route: '/notify-pay/:app', outcome: 'refused' })).toBe(1);
    expect(sample(text, 'wxpay_wechat_call_duration_seconds_count', { api: 'pay/unifiedorder', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'wxpay_gateway_http_requests_total', { endpoint: '/create-pay/:type', method: 'POST', status: '200' })).toBe(1);
    expect(sample(text, 'wxpay_forwarder_deliveries_total', { outcome: 'delivered', app: 'demo' })).toBe(1);
    expect(sample(text, 'wxpay_forwarder_backlog', {})).toBe(0);
    expect(sample(text, 'wxpay_forwarder_dead_letters', {})).toBe(0);
    expect(sample(text, 'wxpay_gateway_process_resident_memory_bytes', {})).toBeGreaterThan(0);
  });
});
