/**
 * The default mode, end to end: the built command with no configuration starts the embedded
 * simulator, an API v2 and an API v3 demo merchant with an app each, and the demo shop; a payment
 * made as the banner suggests, with either app, arrives as a `paid` event and as the demo app's
 * forwarded callback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../test/helpers/external-tools.js';
import { createSimulatorClient } from '@wxpay-kit/simulator';
import { postJson, requireBuild, runCli, type GatewayProcess } from './helpers.js';

let gateway: GatewayProcess;
let base: string;
let simUrl: string;
let dataDir: string;

beforeAll(async () => {
  requireBuild();
  dataDir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-default-'));
  gateway = runCli(['--port', '0', '--data-dir', dataDir]);
  base = (await gateway.waitFor(/Demo shop\s+(http:\/\/127\.0\.0\.1:\d+)\//))[1]!;
  simUrl = (await gateway.waitFor(/WeChat Pay simulator (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
});

afterAll(async () => {
  if (gateway && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Opens the server-sent event stream at `url`, runs `opened` once it is connected, then reads until
 * every predicate matched one event; resolves the matching events, in predicate order.
 */
async function watchEvents(
  url: string,
  opened: () => Promise<void>,
  predicates: ReadonlyArray<(event: string, data: any) => boolean>,
): Promise<Array<{ event: string; data: any }>> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const found: Array<{ event: string; data: any } | undefined> = predicates.map(() => undefined);
  let buffer = '';
  let started = false;
  try {
    while (found.some((f) => f === undefined)) {
      const { value, done } = await reader.read();
      if (done) throw new Error('event stream ended');
      buffer += value;
      if (!started) {
        started = true;
        await opened();
      }
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (!event || data === undefined) continue;
        const parsed: unknown = JSON.parse(data);
        predicates.forEach((p, i) => {
          if (found[i] === undefined && p(event, parsed)) found[i] = { event, data: parsed };
        });
      }
    }
    return found as Array<{ event: string; data: any }>;
  } finally {
    controller.abort();
  }
}

describe('wxpay-gateway with no configuration', () => {
  it('prints where everything is', () => {
    const banner = gateway.stdout();
    expect(banner).toContain('default mode');
    expect(banner).toContain(`${base}/wxpay/create-pay/`);
    expect(banner).toContain(`Store (file)         ${dataDir}`);
    expect(banner).toContain('payApp "demo"');
    expect(banner).toMatch(/Demo app \(API v3\)\s+payApp "demo-v3"/);
  });

  it('serves the demo shop page and its config', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('wxpay-kit demo shop');
    const cfg = (await (await fetch(`${base}/demo/config.json`)).json()) as Record<string, any>;
    expect(cfg).toMatchObject({ payApp: 'demo', endpoints: { createPay: '/wxpay/create-pay' } });
    expect(cfg['apps'].map((a: { payApp: string; apiVersion: string }) => [a.payApp, a.apiVersion])).toEqual([
      ['demo', 'v2'],
      ['demo-v3', 'v3'],
    ]);
  });

  it('renders a QR code as SVG', async () => {
    const res = await fetch(`${base}/demo/qr.svg?text=${encodeURIComponent('weixin://wxpay/bizpayurl?pr=abc')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('image/svg+xml');
    expect(await res.text()).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  it.skipIf(skipWithout(import.meta.url, ['openssl'], "'runs one payment' (the demo refund needs a certificate)"))(
    'runs one payment: create through the API, pay as the user, paid event and forwarded callback',
    async () => {
      const cfg = (await (await fetch(`${base}/demo/config.json`)).json()) as { appId: string; payApp: string };
      const orderId = `demo${Date.now()}`;
      const created = await postJson(`${base}/wxpay/create-pay/NATIVE`, {
        appId: cfg.appId,
        payApp: cfg.payApp,
        goods: 'coffee',
        orderId,
        fee: 1,
        ip: '127.0.0.1',
        productId: 'p1',
      });
      expect(created.status).toBe(200);
      expect(created.json.result.code_url).toBeTruthy();

      const [paid, callback] = await watchEvents(`${base}/demo/events`, async () => {
        const pay = await postJson(`${base}/demo/pay`, { orderId });
        expect(pay.status).toBe(200);
      }, [
        (event, data) => event === 'paid' && data.orderId === orderId,
        (event, data) => event === 'callback' && data.body?.order_id === orderId,
      ]);
      expect(paid!.data).toMatchObject({ app: 'demo', orderId, totalFee: 1, source: 'notify' });
      // The demo app's receiver got the forwarder's delivery, signed for its secret.
      expect(callback!.data).toMatchObject({
        kind: 'pay',
        verified: true,
        body: { order_id: orderId, total_fee: 1, result_code: 'SUCCESS' },
      });

      const sim = createSimulatorClient(simUrl);
      expect((await sim.order(orderId)).tradeState).toBe('SUCCESS');
      const query = await postJson(`${base}/wxpay/query-order`, { appId: cfg.appId, payApp: cfg.payApp, orderId });
      expect(query.json).toMatchObject({ order_id: orderId, trade_state: 'SUCCESS', total_fee: 1 });

      // The demo merchant has a certificate, so the refund goes through and its callback arrives.
      const [refundCallback] = await watchEvents(`${base}/demo/events`, async () => {
        const refund = await postJson(`${base}/wxpay/create-refund`, {
          appId: cfg.appId,
          payApp: cfg.payApp,
          orderId,
          refundId: `r${orderId}`,
          totalFee: 1,
          refundFee: 1,
          refundReason: 'demo',
        });
        expect(refund.status).toBe(200);
        expect(refund.json.result).toMatchObject({ order_id: orderId, refund_id: `r${orderId}`, refund_fee: 1 });
      }, [(event, data) => event === 'callback' && data.kind === 'refund' && data.body?.refund_id === `r${orderId}`]);
      expect(refundCallback!.data.verified).toBe(true);
    },
  );

  it('runs one payment with the API v3 demo merchant: v3 notification, forwarded callback, query SUCCESS', async () => {
    const cfg = (await (await fetch(`${base}/demo/config.json`)).json()) as {
      apps: Array<{ payApp: string; appId: string; mchId: string; apiVersion: string }>;
    };
    const app = cfg.apps.find((a) => a.apiVersion === 'v3')!;
    expect(app.payApp).toBe('demo-v3');
    const orderId = `demo3${Date.now()}`;
    const created = await postJson(`${base}/wxpay/create-pay/NATIVE`, {
      appId: app.appId,
      payApp: app.payApp,
      goods: 'tea',
      orderId,
      fee: 2,
      ip: '127.0.0.1',
      productId: 'p3',
    });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    expect(created.json.result.code_url).toMatch(/^weixin:\/\//);

    const [paid, callback] = await watchEvents(`${base}/demo/events`, async () => {
      const pay = await postJson(`${base}/demo/pay`, { orderId, payApp: app.payApp });
      expect(pay.status, JSON.stringify(pay.json)).toBe(200);
    }, [
      (event, data) => event === 'paid' && data.orderId === orderId,
      (event, data) => event === 'callback' && data.body?.order_id === orderId,
    ]);
    expect(paid!.data).toMatchObject({ app: 'demo-v3', orderId, totalFee: 2, source: 'notify' });
    expect(callback!.data).toMatchObject({
      kind: 'pay',
      verified: true,
      body: { order_id: orderId, total_fee: 2, result_code: 'SUCCESS', mch_id: app.mchId },
    });

    // WeChat's notification was the v3 one: JSON, signed, resource encrypted with the APIv3 key.
    const sim = createSimulatorClient(simUrl);
    const notification = await sim.waitForNotification({ kind: 'pay', outTradeNo: orderId });
    expect(notification).toMatchObject({ format: 'json', status: 'delivered' });
    const query = await postJson(`${base}/wxpay/query-order`, { appId: app.appId, payApp: app.payApp, orderId });
    expect(query.status, JSON.stringify(query.json)).toBe(200);
    expect(query.json).toMatchObject({ order_id: orderId, trade_state: 'SUCCESS', total_fee: 2, mch_id: app.mchId });
  });

  it("pays out as the demo shop's pay-out panel does: create-transfer, the payee confirms, the transfer event and the signed callback", async () => {
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('Pay out · 商家转账');
    expect(page).toContain('Confirm as the payee');
    const cfg = (await (await fetch(`${base}/demo/config.json`)).json()) as {
      apps: Array<{ payApp: string; appId: string; mchId: string; apiVersion: string }>;
      endpoints: { createTransfer: string };
    };
    const app = cfg.apps.find((a) => a.apiVersion === 'v3')!;
    const outBillNo = `payout${Date.now()}`;
    const created = await postJson(`${base}${cfg.endpoints.createTransfer}`, {
      appId: app.appId,
      payApp: app.payApp,
      outBillNo,
      openId: 'demo-openid-1',
      fee: 100,
      remark: 'Demo cash reward',
      sceneId: '1000',
      sceneReportInfos: [
        { infoType: '活动名称', infoContent: 'Demo shop' },
        { infoType: '奖励说明', infoContent: 'Demo cash reward' },
      ],
    });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    // What the page shows for the payee's confirmation step: wx.requestMerchantTransfer's parameters.
    expect(created.json.result).toMatchObject({
      state: 'WAIT_USER_CONFIRM',
      confirm_params: { mchId: app.mchId, appId: app.appId, package: created.json.result.package_info },
    });

    const [transfer, callback] = await watchEvents(`${base}/demo/events`, async () => {
      const confirm = await postJson(`${base}/demo/transfer/confirm`, { outBillNo, payApp: app.payApp });
      expect(confirm.status, JSON.stringify(confirm.json)).toBe(200);
      expect(confirm.json.result).toMatchObject({ outBillNo, state: 'SUCCESS' });
    }, [
      (event, data) => event === 'transfer' && data.outBillNo === outBillNo,
      (event, data) => event === 'callback' && data.body?.out_bill_no === outBillNo,
    ]);
    expect(transfer!.data).toMatchObject({ app: 'demo-v3', outBillNo, state: 'SUCCESS', transferAmount: 100, source: 'notify' });
    expect(callback!.data).toMatchObject({ kind: 'transfer', verified: true, body: { out_bill_no: outBillNo, state: 'SUCCESS' } });

    const again = await postJson(`${base}/demo/transfer/confirm`, { outBillNo, payApp: app.payApp });
    expect(again.status).toBe(409);
    const bad = await postJson(`${base}/demo/transfer/confirm`, { outBillNo: 'no_such-bill', payApp: app.payApp });
    expect(bad).toMatchObject({ status: 400, json: { msg: 'outBillNo: 1 to 32 letters, digits' } });
  });

  it('stops on SIGTERM and exits 0', async () => {
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
  });
});
