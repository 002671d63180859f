import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWxPay, type PaidEvent, type RefundedEvent, type WxPay } from '@wxpay-kit/core';
import { createNodeListener } from '@wxpay-kit/core/node';
import { generateTestCertificates } from '@wxpay-kit/core/testing';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../test/helpers/external-tools.js';

const MCH_ID = '1230000109';
const API_KEY = 'Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4f';
const APP_ID = 'wx8888888888888888';

describe.skipIf(skipWithout(import.meta.url, ['openssl']))('round trip with @wxpay-kit/core over mutual TLS', () => {
  let sim: RunningSimulator;
  let wxpay: WxPay;
  let host: Server;
  const paid: PaidEvent[] = [];
  const refunded: RefundedEvent[] = [];

  beforeAll(async () => {
    const certs = await generateTestCertificates({ mchId: MCH_ID });
    sim = await startSimulator({
      port: 0,
      timeFactor: 0.001,
      merchants: [{ mchId: MCH_ID, apiKey: API_KEY, appIds: [APP_ID], signType: 'HMAC-SHA256' }],
      tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireMchIdCommonName: true },
    });
    let listener: ReturnType<typeof createNodeListener> | undefined;
    host = createServer((req, res) => listener!(req, res));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}/wxpay`;
    wxpay = createWxPay({
      merchants: [
        {
          name: 'main',
          mchId: MCH_ID,
          apiKey: API_KEY,
          signType: 'HMAC-SHA256',
          baseUrl: sim.url,
          cert: { cert: certs.clientCert, key: certs.clientKey },
        },
      ],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: `${hostUrl}/notify-pay`,
      notifyRefundUrl: `${hostUrl}/notify-refund`,
      client: { ca: certs.ca },
    });
    listener = createNodeListener(wxpay, { prefix: '/wxpay' });
    wxpay.on('paid', (e) => void paid.push(e));
    wxpay.on('refunded', (e) => void refunded.push(e));
  });

  afterAll(async () => {
    await wxpay?.close();
    await sim?.close();
    await new Promise<void>((resolve) => host?.close(() => resolve()));
  });

  it('creates, pays, notifies, queries, refunds and notifies the refund', async () => {
    const target = { merchant: 'main', appId: APP_ID };
    const created = await wxpay.client.unifiedOrder({
      ...target,
      tradeType: 'JSAPI',
      outTradeNo: 'RT1',
      totalFee: 888,
      body: '测试商品',
      spbillCreateIp: '127.0.0.1',
      notifyUrl: `${wxpay.config.notifyPayUrl}/shop`,
      openId: 'oRoundTrip0000000000000000000',
      attach: 'cart=9',
    });
    expect(created.prepayId).toMatch(/^wx\d{14}/);
    expect(created.signType).toBe('HMAC-SHA256');
    expect((await sim.order('RT1')).signType).toBe('HMAC-SHA256');

    // The user pays; the simulator posts the signed notification to the core's notify route.
    await sim.pay('RT1', { coupons: [{ fee: 88, id: 'CP1' }] });
    const payNote = await sim.waitForNotification({ outTradeNo: 'RT1' });
    expect(payNote.attempts.at(-1)?.ok).toBe(true);
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({
      app: 'shop',
      orderId: 'RT1',
      totalFee: 888,
      cashFee: 800,
      openId: 'oRoundTrip0000000000000000000',
      attach: 'cart=9',
      coupons: [{ id: 'CP1', type: 'CASH', fee: 88 }],
      source: 'notify',
    });

    const queried = await wxpay.client.queryOrder({ ...target, outTradeNo: 'RT1' });
    expect(queried).toMatchObject({ tradeState: 'SUCCESS', transactionId: paid[0]!.transactionId, totalFee: 888, cashFee: 800 });

    // Refund over mutual TLS; the simulator completes it and sends the encrypted notification.
    const refund = await wxpay.client.refund({
      ...target,
      outTradeNo: 'RT1',
      outRefundNo: 'RT1-R1',
      totalFee: 888,
      refundFee: 300,
      notifyUrl: `${wxpay.config.notifyRefundUrl}/shop`,
    });
    expect(refund).toMatchObject({ outRefundNo: 'RT1-R1', refundFee: 300 });
    await sim.waitForNotification({ kind: 'refund', outRefundNo: 'RT1-R1' });
    expect(refunded).toHaveLength(1);
    expect(refunded[0]).toMatchObject({
      app: 'shop',
      orderId: 'RT1',
      refundId: 'RT1-R1',
      wxRefundId: refund.refundId,
      refundFee: 300,
      totalFee: 888,
      refundStatus: 'SUCCESS',
    });

    const refunds = await wxpay.client.queryRefund({ ...target, outRefundNo: 'RT1-R1' });
    expect(JSON.stringify(refunds)).toContain('RT1-R1');
    expect((await wxpay.client.queryOrder({ ...target, outTradeNo: 'RT1' })).tradeState).toBe('REFUND');
  });
});
