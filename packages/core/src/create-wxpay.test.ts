import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNodeListener } from './node/index.js';
import { ConfigError } from './errors.js';
import { createWxPay } from './create-wxpay.js';
import type { PaidEvent, RefundFailedEvent, RefundedEvent } from './events/event-map.js';
import type { WxPay } from './handler/wxpay.js';
import type { WxPayOptions } from './config/options.js';
import { createMemoryDedupStore } from './stores/memory-dedup-store.js';
import type { DedupStore } from './stores/dedup-store.js';
import { buildPayNotification, signNotifyXml } from './testing/index.js';

const MCH = '1900000109';
const KEY = '192006250b4c09247ec02edce69f6a2d';
const APP_ID = 'wxd930ea5d5a258f4f';
const SANDBOX_MCH = '1900000200';
const SANDBOX_KEY = 'fedcba9876543210fedcba9876543210';

describe('createWxPay against the simulator', () => {
  let sim: RunningSimulator;
  let host: Server;
  let hostUrl: string;
  let current: WxPay | undefined;
  const instances: WxPay[] = [];

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      timeFactor: 0.001,
      refunds: 'manual',
      merchants: [
        { mchId: MCH, apiKey: KEY, appIds: [APP_ID], signType: 'MD5' },
        { mchId: SANDBOX_MCH, apiKey: SANDBOX_KEY, appIds: [APP_ID], signType: 'MD5' },
      ],
    });
    host = createServer((req, res) => {
      if (!current) return void res.writeHead(503).end();
      createNodeListener(current, { prefix: '/wxpay' })(req, res);
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}/wxpay`;
  });

  afterEach(async () => {
    await sim.reset();
    await Promise.all(instances.splice(0).map((w) => w.close()));
    current = undefined;
  });

  afterAll(async () => {
    await sim.close();
    await new Promise<void>((resolve) => host.close(() => resolve()));
  });

  function options(extra: Partial<WxPayOptions> = {}): WxPayOptions {
    return {
      merchants: [
        { name: 'main', mchId: MCH, apiKey: KEY, baseUrl: sim.url },
        { name: 'sandbox', mchId: SANDBOX_MCH, apiKey: SANDBOX_KEY, baseUrl: sim.url, sandbox: true },
      ],
      apps: [
        { name: 'shop', merchant: 'main', appIds: [APP_ID] },
        { name: 'shop-dev', merchant: 'sandbox', appIds: [APP_ID] },
      ],
      notifyPayUrl: `${hostUrl}/notify-pay`,
      notifyRefundUrl: `${hostUrl}/notify-refund`,
      ...extra,
    };
  }

  function start(extra: Partial<WxPayOptions> = {}): WxPay {
    const wxpay = createWxPay(options(extra));
    instances.push(wxpay);
    current = wxpay;
    return wxpay;
  }

  async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${hostUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  it('validates the options once and lists every problem', () => {
    expect(() => createWxPay({ ...options(), merchants: [], notifyPayUrl: 'not a url' })).toThrow(ConfigError);
  });

  it('pays: create-pay, the user pays, the notification fires paid once and WeChat hears SUCCESS', async () => {
    const wxpay = start();
    const paid: PaidEvent[] = [];
    wxpay.on('paid', async (e) => void paid.push(e));
    const created = await post('/create-pay/NATIVE', {
      appId: APP_ID,
      payApp: 'shop',
      goods: 'Tea',
      udd: 'cart-7',
      orderId: 'S1',
      fee: 101,
      ip: '127.0.0.1',
      productId: 'tea',
    });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ code: 200, msg: 'OK', result: { code_url: expect.any(String), prepay_id: expect.any(String) } });
    const order = await sim.order('S1');
    expect(order).toMatchObject({ tradeState: 'NOTPAY' });
    await sim.pay('S1');
    const note = await sim.waitForNotification({ outTradeNo: 'S1', status: 'delivered' });
    expect(note.url).toBe(`${hostUrl}/notify-pay/shop`);
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({ app: 'shop', orderId: 'S1', totalFee: 101, attach: 'cart-7', source: 'notify', mchId: MCH });

    const state = await post('/query-order', { appId: APP_ID, payApp: 'shop', orderId: 'S1' });
    expect(state.json).toMatchObject({ trade_state: 'SUCCESS', order_id: 'S1', total_fee: 101, transaction_id: paid[0]?.transactionId });
    const confirmed = await post('/confirm', { appId: APP_ID, payApp: 'shop', orderId: 'S1' });
    expect(confirmed.json).toMatchObject({ trade_state: 'SUCCESS' });
    expect(paid).toHaveLength(1);
  });

  it('answers FAIL while a listener rejects; WeChat’s retry then fires paid once', async () => {
    const wxpay = start();
    let attempts = 0;
    const acknowledged: PaidEvent[] = [];
    wxpay.on('paid', async (e) => {
      if (++attempts === 1) throw new Error('database unavailable');
      acknowledged.push(e);
    });
    await post('/create-pay/APP', { appId: APP_ID, payApp: 'shop', goods: 'Tea', orderId: 'S2', fee: 200, ip: '127.0.0.1' });
    await sim.pay('S2');
    const note = await sim.waitForNotification({ outTradeNo: 'S2', status: 'delivered' });
    expect(note.attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts).toBe(2);
    expect(acknowledged.map((e) => e.orderId)).toEqual(['S2']);
  });

  it('confirm fires paid when no notification arrived', async () => {
    const wxpay = start();
    const paid: PaidEvent[] = [];
    wxpay.on('paid', (e) => void paid.push(e));
    await post('/create-pay/JSAPI', {
      appId: APP_ID,
      payApp: 'shop',
      goods: 'Tea',
      orderId: 'S3',
      fee: 300,
      ip: '127.0.0.1',
      openId: 'o-user',
    });
    await sim.pay('S3', { notify: false });
    const confirmed = await post('/confirm', { appId: APP_ID, payApp: 'shop', orderId: 'S3' });
    expect(confirmed.json).toMatchObject({ trade_state: 'SUCCESS', total_fee: 300 });
    expect(paid.map((e) => [e.orderId, e.source])).toEqual([['S3', 'confirm']]);
  });

  it('refunds through the sandbox: create-refund, then refunded and refund-failed from the refund notifications', async () => {
    const wxpay = start();
    const refunded: RefundedEvent[] = [];
    const failed: RefundFailedEvent[] = [];
    const paid: PaidEvent[] = [];
    wxpay.on('paid', (e) => void paid.push(e));
    wxpay.on('refunded', (e) => void refunded.push(e));
    wxpay.on('refund-failed', (e) => void failed.push(e));
    const target = { appId: APP_ID, payApp: 'shop-dev' };
    expect(
      (await post('/create-pay/NATIVE', { ...target, goods: 'Tea', orderId: 'S4', fee: 500, ip: '127.0.0.1', productId: 'p' })).status,
    ).toBe(200);
    await sim.pay('S4', { mchId: SANDBOX_MCH });
    await sim.waitForNotification({ outTradeNo: 'S4', status: 'delivered' });
    expect(paid.map((e) => e.orderId)).toEqual(['S4']);

    const r1 = await post('/create-refund', {
      ...target,
      orderId: 'S4',
      refundId: 'R1',
      totalFee: 500,
      refundFee: 200,
      refundReason: 'broken cup',
    });
    expect(r1.json).toMatchObject({ code: 200, msg: 'OK', result: { order_id: 'S4', refund_id: 'R1', refund_fee: 200, total_fee: 500 } });
    const r2 = await post('/create-refund', { ...target, orderId: 'S4', refundId: 'R2', totalFee: 500, refundFee: 100 });
    expect(r2.status).toBe(200);
    await sim.completeRefund('R1', { mchId: SANDBOX_MCH });
    await sim.closeRefund('R2', { mchId: SANDBOX_MCH });
    await sim.waitForNotification({ outRefundNo: 'R1', status: 'delivered' });
    await sim.waitForNotification({ outRefundNo: 'R2', status: 'delivered' });
    expect(refunded.map((e) => [e.app, e.refundId, e.refundFee, e.refundStatus])).toEqual([['shop-dev', 'R1', 200, 'SUCCESS']]);
    expect(failed.map((e) => [e.refundId, e.refundStatus])).toEqual([['R2', 'REFUNDCLOSE']]);

    const query = await post('/query-refund', { ...target, orderId: 'S4' });
    expect(query.json).toMatchObject({ code: 200, result: { order_id: 'S4' } });
  });

  it('closes an unpaid order and answers WeChat errors as {code, msg}', async () => {
    start();
    await post('/create-pay/NATIVE', {
      appId: APP_ID,
      payApp: 'shop',
      goods: 'Tea',
      orderId: 'S5',
      fee: 100,
      ip: '127.0.0.1',
      productId: 'p',
    });
    expect((await post('/close-order', { appId: APP_ID, payApp: 'shop', orderId: 'S5' })).json).toEqual({ code: 200, msg: 'OK' });
    const missing = await post('/query-order', { appId: APP_ID, payApp: 'shop', orderId: 'NOPE' });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ code: 404, msg: expect.stringContaining('ORDERNOTEXIST'), err_code: 'ORDERNOTEXIST', retryable: false });
  });
});

describe('createWxPay leaseMs', () => {
  const base = (extra: Partial<WxPayOptions> = {}): WxPayOptions => ({
    merchants: [{ name: 'main', mchId: MCH, apiKey: KEY, baseUrl: 'http://127.0.0.1:9' }],
    apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
    notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
    notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
    ...extra,
  });

  /** A memory store that records the lease of every claim. */
  function leaseRecordingStore(): { store: DedupStore; leases: number[] } {
    const inner = createMemoryDedupStore();
    const leases: number[] = [];
    return { leases, store: { ...inner, claim: (key, leaseMs) => (leases.push(leaseMs), inner.claim(key, leaseMs)) } };
  }

  async function claimLease(extra: Partial<WxPayOptions>): Promise<number[]> {
    const { store, leases } = leaseRecordingStore();
    const wxpay = createWxPay(base({ ...extra, store }));
    wxpay.on('paid', () => undefined);
    const xml = signNotifyXml(buildPayNotification({ appid: APP_ID, mch_id: MCH, out_trade_no: 'L1' }), KEY);
    const response = await wxpay.handle({
      method: 'POST',
      path: '/notify-pay/shop',
      headers: { 'content-type': 'text/xml' },
      rawBody: Buffer.from(xml),
    });
    expect(String(response.body)).toContain('SUCCESS');
    await wxpay.close();
    return leases;
  }

  it('claims notifications for the configured lease, 10 s by default', async () => {
    expect(await claimLease({ leaseMs: 5_000 })).toEqual([5_000]);
    expect(await claimLease({})).toEqual([10_000]);
  });

  it.each([999, 3_600_001, 1_500.5, Number.NaN])('refuses leaseMs %s', (leaseMs) => {
    let caught: unknown;
    try {
      createWxPay(base({ leaseMs }));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues.map((i) => i.path)).toEqual(['leaseMs']);
  });

  it('accepts the bounds, 1 s and 1 h', async () => {
    await createWxPay(base({ leaseMs: 1_000 })).close();
    await createWxPay(base({ leaseMs: 3_600_000 })).close();
  });
});
