import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWxPay, type PaidEvent, type WxPay } from '@wxpay-kit/core';
import { createNodeListener } from '@wxpay-kit/core/node';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantKeys } from './v3-helpers.js';

const MCH_ID = '1230000109';
const API_KEY = 'Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4f';
const API_V3_KEY = '0123456789abcdef0123456789abcdef';
const APP_ID = 'wx8888888888888888';

describe.each(['public-key', 'platform-certificate'] as const)('round trip with a v3 merchant of @wxpay-kit/core (%s)', (mode) => {
  let sim: RunningSimulator;
  let wxpay: WxPay;
  let host: Server;
  const paid: PaidEvent[] = [];

  beforeAll(async () => {
    const keys = merchantKeys();
    sim = await startSimulator({
      port: 0,
      timeFactor: 0.001,
      merchants: [
        {
          mchId: MCH_ID,
          apiKey: API_KEY,
          appIds: [APP_ID],
          v3: { publicKey: keys.publicKey, serialNo: keys.serialNo, apiV3Key: API_V3_KEY, wechatpayKey: mode },
        },
      ],
    });
    const wechatpay = await sim.wechatpayKeys();
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
          baseUrl: sim.url,
          apiVersion: 'v3',
          privateKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          certSerialNo: keys.serialNo,
          apiV3Key: API_V3_KEY,
          ...(mode === 'public-key'
            ? { wechatpayPublicKey: wechatpay.publicKey, wechatpayPublicKeyId: wechatpay.publicKeyId }
            : { platformCertificates: true }),
        },
      ],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: `${hostUrl}/notify-pay`,
      notifyRefundUrl: `${hostUrl}/notify-refund`,
    });
    listener = createNodeListener(wxpay, { prefix: '/wxpay' });
    wxpay.on('paid', (e) => void paid.push(e));
  });

  afterAll(async () => {
    await wxpay?.close();
    await sim?.close();
    await new Promise<void>((resolve) => host?.close(() => resolve()));
  });

  it('orders, queries, refunds, queries the refund and closes through the core v3 client', async () => {
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
    expect(await sim.order('RT1')).toMatchObject({
      apiVersion: 'v3',
      totalFee: 888,
      attach: 'cart=9',
      openId: 'oRoundTrip0000000000000000000',
    });

    const paidOrder = await sim.pay('RT1', { coupons: [{ fee: 88, id: 'CP1' }], notify: false });
    const queried = await wxpay.client.queryOrder({ ...target, outTradeNo: 'RT1' });
    expect(queried).toMatchObject({ tradeState: 'SUCCESS', transactionId: paidOrder.transactionId, totalFee: 888, cashFee: 800 });

    const refund = await wxpay.client.refund({
      ...target,
      outTradeNo: 'RT1',
      outRefundNo: 'RT1-R1',
      totalFee: 888,
      refundFee: 300,
      notifyUrl: `${wxpay.config.notifyRefundUrl}/shop`,
    });
    expect(refund).toMatchObject({ outRefundNo: 'RT1-R1', refundFee: 300 });
    expect(refund.refundId).toBe((await sim.refund('RT1-R1')).refundId);
    expect(JSON.stringify(await wxpay.client.queryRefund({ ...target, outRefundNo: 'RT1-R1' }))).toContain('RT1-R1');
    expect((await wxpay.client.queryOrder({ ...target, outTradeNo: 'RT1' })).tradeState).toBe('REFUND');

    await expect(
      wxpay.client.refund({ ...target, outTradeNo: 'RT1', outRefundNo: 'RT1-R2', totalFee: 888, refundFee: 600 }),
    ).rejects.toMatchObject({ name: 'WxPayError', errCode: 'NOT_ENOUGH' });
    await expect(wxpay.client.queryOrder({ ...target, outTradeNo: 'NOPE' })).rejects.toMatchObject({
      name: 'WxPayError',
      errCode: 'ORDER_NOT_EXIST',
    });

    await wxpay.client.unifiedOrder({
      ...target,
      tradeType: 'NATIVE',
      outTradeNo: 'RT2',
      totalFee: 1,
      body: 'b',
      spbillCreateIp: '127.0.0.1',
      productId: 'P1',
      notifyUrl: `${wxpay.config.notifyPayUrl}/shop`,
    });
    await wxpay.client.closeOrder({ ...target, outTradeNo: 'RT2' });
    expect((await sim.order('RT2')).tradeState).toBe('CLOSED');
  });

  it('refuses forged notifications and emits nothing for them', async () => {
    const before = paid.length;
    for (const forgery of ['signtest', 'bad-signature', 'unknown-serial', 'stale-timestamp', 'bad-tag'] as const) {
      const n = await sim.forgeNotification({ forgery, outTradeNo: 'RT1' });
      expect(n.status, forgery).toBe('failed');
      expect(n.attempts[0]!.statusCode, forgery).toBeGreaterThanOrEqual(400);
    }
    expect(paid).toHaveLength(before);
  });
});
