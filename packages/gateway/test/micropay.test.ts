/**
 * Payment codes through the gateway's `micropay` endpoint, with the flow's timing from the
 * `micropay-*` config keys (WeChat's 5 s / 45 s schedule shrunk to 100 ms / 2 s): the slow cases
 * of the simulator (USERPAYING then paid, USERPAYING until the deadline, SYSTEMERROR, the
 * reverse's own SYSTEMERROR) each end in one final answer; a paid one reaches the app's
 * `notify-pay-callback` once, a reversed one is REVOKED at WeChat and never called back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MicropayReversedEvent, PaidEvent } from '@wxpay-kit/core';
import { generateTestCertificates } from '@wxpay-kit/core/testing';
import { verifyWebhook } from '@wxpay-kit/forwarder';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { createGatewayLogger, parseGatewayConfig, startGateway, type GatewayHandle } from '@wxpay-kit/gateway';
import { postJson, startReceiver, type Receiver } from './helpers.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const MCH_ID = '1900000109';
const APP_ID = 'wxd930ea5d5a258f4f';
const SECRET = 'whsec_c2hvcC1jYWxsYmFjay1zZWNyZXQtZm9yLXRlc3Rz';
const QUERY_INTERVAL_MS = 100;
const DEADLINE_MS = 2_000;

let sim: RunningSimulator;
let receiver: Receiver;
let gateway: GatewayHandle;
let dir: string;
const paid: PaidEvent[] = [];
const reversed: MicropayReversedEvent[] = [];

beforeAll(async () => {
  sim = await startSimulator({ port: 0, merchants: [{ mchId: MCH_ID, apiKey: KEY, appIds: [APP_ID] }], notifications: false });
  receiver = await startReceiver();
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-micropay-'));
  // The reverse is a mutual-TLS call (/secapi/pay/reverse): the merchant needs its certificate.
  const certs = await generateTestCertificates({ mchId: MCH_ID });
  writeFileSync(join(dir, 'apiclient_cert.pem'), certs.clientCert);
  writeFileSync(join(dir, 'apiclient_key.pem'), certs.clientKey);
  const { config } = parseGatewayConfig({
    'listen-host': '127.0.0.1',
    'listen-port': 0,
    store: `file:${dir}`,
    'micropay-query-interval-ms': QUERY_INTERVAL_MS,
    'micropay-deadline-ms': DEADLINE_MS,
    'micropay-reverse-after-ms': 0,
    'micropay-reverse-interval-ms': 100,
    'micropay-reverse-attempts': 5,
    merchants: [
      {
        name: 'mch',
        'mch-id': MCH_ID,
        'mch-app-key': KEY,
        'api-base-url': sim.url,
        'mch-cert-pem-file': join(dir, 'apiclient_cert.pem'),
        'mch-key-pem-file': join(dir, 'apiclient_key.pem'),
      },
    ],
    apps: [
      {
        name: 'counter',
        merchant: 'mch',
        'app-ids': [APP_ID],
        'notify-pay-callback': `${receiver.url}/counter/pay`,
        'callback-secret': SECRET,
      },
    ],
  });
  gateway = await startGateway({ config, logger: createGatewayLogger({ level: 'silent' }), shutdownTimeoutMs: 2_000 });
  gateway.wxpay.on('paid', (e) => void paid.push(e));
  gateway.wxpay.on('micropay-reversed', (e) => void reversed.push(e));
});

afterAll(async () => {
  await gateway?.close();
  await receiver?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A payment code whose last three digits pick the simulator's case. */
const code = (ending: string): string => `134567890123456${ending}`;

const micropay = (orderId: string, authCode: string, extra: Record<string, unknown> = {}) =>
  postJson(`${gateway.url}/wxpay/micropay`, {
    appId: APP_ID,
    payApp: 'counter',
    orderId,
    fee: 888,
    goods: 'Counter coffee',
    authCode,
    ip: '10.0.0.8',
    udd: 'till 3',
    ...extra,
  });

async function delivered(orderId: string): Promise<void> {
  await receiver.waitFor((r) => r.body.includes(`"order_id":"${orderId}"`));
  await expect
    .poll(
      async () => {
        const s = await gateway.runtime.store.stats(Date.now());
        return s.pending + s.inFlight;
      },
      { timeout: 10_000, interval: 50 },
    )
    .toBe(0);
}

const callbacksFor = (orderId: string) => receiver.received.filter((r) => r.body.includes(`"order_id":"${orderId}"`));

describe('micropay through the gateway, timing from the micropay-* keys', () => {
  it.each([
    { ending: '001', name: 'USERPAYING, then paid' },
    { ending: '006', name: 'SYSTEMERROR while the payment went through' },
  ])('$name → one final answer, paid, and one signed callback', async ({ ending }) => {
    const orderId = `mp-${ending}`;
    const { status, json } = await micropay(orderId, code(ending));
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json).toMatchObject({
      code: 200,
      msg: 'OK',
      result: { state: 'paid', trade_state: 'SUCCESS', order_id: orderId, total_fee: 888, trade_type: 'MICROPAY', attach: 'till 3' },
    });
    expect(json.result.transaction_id).toMatch(/^\d{28}$/);
    await delivered(orderId);
    const got = callbacksFor(orderId);
    expect(got).toHaveLength(1);
    expect(got[0]!.path).toBe('/counter/pay');
    const verified = verifyWebhook<Record<string, unknown>>({ payload: got[0]!.body, headers: got[0]!.headers, secret: SECRET });
    expect(verified.body).toMatchObject({ order_id: orderId, total_fee: 888, transaction_id: json.result.transaction_id });
    expect(paid.filter((e) => e.orderId === orderId)).toEqual([expect.objectContaining({ source: 'micropay', totalFee: 888 })]);
    // Asked again (a cashier's retry): the same answer, never a second submission or callback.
    const again = await micropay(orderId, code(ending));
    expect(again.json.result).toMatchObject({ state: 'paid', transaction_id: json.result.transaction_id });
    expect((await sim.order(orderId)).micropay).toMatchObject({ reverses: 0 });
    expect(callbacksFor(orderId)).toHaveLength(1);
  });

  it.each([
    { ending: '002', name: 'USERPAYING until the deadline' },
    { ending: '009', name: "USERPAYING until the deadline, and the reverse's own SYSTEMERROR" },
  ])('$name → queried at the configured interval until the configured deadline, then reversed', async ({ ending }) => {
    const orderId = `mp-${ending}`;
    const { status, json } = await micropay(orderId, code(ending));
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json).toMatchObject({
      code: 200,
      msg: 'OK',
      result: { state: 'reversed', trade_state: 'REVOKED', order_id: orderId, total_fee: 888, reason: 'timeout' },
    });
    const order = await sim.order(orderId);
    expect(order.tradeState).toBe('REVOKED');
    // 2 s of queries every 100 ms: far more than WeChat's default timing (every 5 s for 45 s) makes.
    expect(order.micropay!.queries).toBeGreaterThanOrEqual(DEADLINE_MS / QUERY_INTERVAL_MS / 2);
    expect(order.micropay!.reverses).toBeGreaterThanOrEqual(ending === '009' ? 2 : 1);
    expect(reversed.filter((e) => e.orderId === orderId)).toEqual([expect.objectContaining({ reason: 'timeout', totalFee: 888 })]);
    expect(paid.filter((e) => e.orderId === orderId)).toEqual([]);
    expect(callbacksFor(orderId)).toEqual([]);
  });

  it('a caller with a shorter wait gets pending (USERPAYING) with a hint, and the same order to the end when it asks again', async () => {
    const orderId = 'mp-wait-001';
    const first = await micropay(orderId, code('001'), { waitMs: 0 });
    expect(first.json.result).toMatchObject({ state: 'pending', order_id: orderId });
    expect(first.json.result.query_hint).toMatch(/micropay again/);
    const last = await micropay(orderId, code('001'));
    expect(last.json.result).toMatchObject({ state: 'paid', trade_state: 'SUCCESS', order_id: orderId });
    await delivered(orderId);
    expect(callbacksFor(orderId)).toHaveLength(1);
    expect(paid.filter((e) => e.orderId === orderId)).toHaveLength(1);
  });
});
