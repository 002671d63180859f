/**
 * The server-side API from a host's own route: an express app places the order with
 * `wxpay.createPay()` in its own `POST /checkout` (no `create-pay` route involved), the simulator
 * pays it, and WeChat's notification reaches the adapter's notify route: one `paid`, as for an
 * order placed through `POST create-pay`.
 */
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createWxPay, isWxPayKitError, statusFor, ValidationError, type PaidEvent, type WxPay } from '@wxpay-kit/core';
import { wxpayExpress } from '@wxpay-kit/express';
import { startSimulator } from '@wxpay-kit/simulator';
import { listenLoopback, type LoopbackServer } from '../helpers/loopback.js';

const merchant = { mchId: '1900000109', apiKey: '192006250b4c09247ec02edce69f6a2d' };
const appId = 'wxd930ea5d5a258f4f';

async function post(url: string, body: unknown) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

describe('wxpay.createPay() from a host route, paid through the simulator', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let wxpay: WxPay;
  let host: LoopbackServer;
  const paid: PaidEvent[] = [];
  let sequence = 0;
  const nextOrderId = (tag: string) => `${tag}${Date.now().toString(36)}${(sequence += 1)}`;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, host: '127.0.0.1', timeFactor: 0.001, merchants: [{ ...merchant, appIds: [appId] }] });
    const app = express();
    host = await listenLoopback(app);
    wxpay = createWxPay({
      merchants: [{ name: 'main', ...merchant, baseUrl: sim.url }],
      apps: [{ name: 'shop', merchant: 'main', appIds: [appId] }],
      notifyPayUrl: `${host.url}/wxpay/notify-pay`,
      notifyRefundUrl: `${host.url}/wxpay/notify-refund`,
      client: { retries: 0 },
    });
    wxpay.on('paid', (event) => void paid.push(event));
    app.use('/wxpay', wxpayExpress(wxpay));
    // The host's own checkout: its own body parser, its own reply shape, wxpay-kit's errors mapped by code.
    app.post('/checkout', express.json(), async (req, res) => {
      const body = req.body as { orderId: string; fee: number };
      try {
        const order = await wxpay.createPay({
          app: 'shop',
          type: 'NATIVE',
          orderId: body.orderId,
          fee: body.fee,
          goods: 'Test goods',
          ip: '127.0.0.1',
          productId: 'p1',
          udd: 'cart-7',
        });
        const qr = order.clientParams.tradeType === 'NATIVE' ? order.clientParams.codeUrl : undefined;
        res.json({ qr, notifyUrl: order.notifyUrl, expiresAt: order.expiresAt.toISOString() });
      } catch (error) {
        if (!isWxPayKitError(error)) throw error;
        res
          .status(statusFor(error))
          .json({ code: error.code, message: error.message, field: error instanceof ValidationError ? (error.field ?? null) : null });
      }
    });
  });

  afterAll(async () => {
    await host?.close();
    await wxpay?.close();
    await sim?.close();
  });

  it("places the order; the simulator's payment fires exactly one 'paid'", async () => {
    const orderId = nextOrderId('host');
    const reply = await post(`${host.url}/checkout`, { orderId, fee: 250 });
    expect(reply.status, JSON.stringify(reply.json)).toBe(200);
    expect(reply.json['qr']).toMatch(/^weixin:\/\//);

    await sim.pay(orderId);
    const delivered = await sim.waitForNotification({ kind: 'pay', outTradeNo: orderId });
    expect(delivered.url).toBe(`${host.url}/wxpay/notify-pay/shop`);
    expect(delivered.attempts.at(-1)?.reply).toContain('SUCCESS');
    // The front end's confirm after the notification: still one event.
    await wxpay.confirm({ app: 'shop', orderId });
    const events = paid.filter((e) => e.orderId === orderId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ app: 'shop', orderId, totalFee: 250, source: 'notify', attach: 'cart-7', recordChecked: true });
  });

  it('sends WeChat the notify URL and expiry POST create-pay sends', async () => {
    const viaMethod = nextOrderId('hm');
    const viaRoute = nextOrderId('hr');
    const method = await post(`${host.url}/checkout`, { orderId: viaMethod, fee: 100 });
    expect(method.status).toBe(200);
    const route = await post(`${host.url}/wxpay/create-pay/NATIVE`, {
      appId,
      payApp: 'shop',
      orderId: viaRoute,
      fee: 100,
      goods: 'Test goods',
      ip: '127.0.0.1',
      productId: 'p1',
    });
    expect(route.status, JSON.stringify(route.json)).toBe(200);
    const [a, b] = await Promise.all([sim.order(viaMethod), sim.order(viaRoute)]);
    expect(a.notifyUrl).toBe(b.notifyUrl);
    expect(a.notifyUrl).toBe(method.json['notifyUrl']);
    expect(a.expiresAt).toBeDefined();
    // time_expire travels in whole seconds.
    expect(Math.floor(Date.parse(String(method.json['expiresAt'])) / 1000) * 1000).toBe(a.expiresAt);
    expect(a.expiresAt! - a.createdAt).toBeGreaterThan(0);
  });

  it('hands the host a typed ValidationError for bad input, sending nothing to WeChat', async () => {
    const orderId = nextOrderId('hbad');
    const reply = await post(`${host.url}/checkout`, { orderId, fee: 0 });
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ code: 'WXPAY_ERR_VALIDATION', message: 'fee: must be positive', field: 'fee' });
    await expect(sim.order(orderId)).rejects.toThrow();
  });
});
