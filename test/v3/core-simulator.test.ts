/**
 * A v3 merchant end to end: the core handler served over HTTP, the simulator as WeChat Pay. Pay
 * notifications, API refunds (v3 JSON notifications), console refunds (v2 XML notifications to a
 * v3 merchant) and a platform certificate rotation while notifications are in flight.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWxPay, type PaidEvent, type RefundedEvent, type WxPay } from '@wxpay-kit/core';
import { createNodeListener } from '@wxpay-kit/core/node';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MCH_ID = '1230000109';
const API_KEY = 'Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4f';
const API_V3_KEY = '0123456789abcdef0123456789abcdef';
const APP_ID = 'wx8888888888888888';

describe.each(['public-key', 'platform-certificate'] as const)(
  'v3 merchant through the core handler against the simulator (%s)',
  (mode) => {
    let sim: RunningSimulator;
    let wxpay: WxPay;
    let host: Server;
    const paid: PaidEvent[] = [];
    const refunded: RefundedEvent[] = [];

    beforeAll(async () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const serialNo = randomBytes(20).toString('hex').toUpperCase();
      let listener: ReturnType<typeof createNodeListener> | undefined;
      host = createServer((req, res) => listener!(req, res));
      await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
      const hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}/wxpay`;
      sim = await startSimulator({
        port: 0,
        timeFactor: 0.001,
        merchants: [
          {
            mchId: MCH_ID,
            apiKey: API_KEY,
            appIds: [APP_ID],
            refundNotifyUrl: `${hostUrl}/notify-refund/shop`,
            v3: {
              publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
              serialNo,
              apiV3Key: API_V3_KEY,
              wechatpayKey: mode,
            },
          },
        ],
      });
      const wechatpay = await sim.wechatpayKeys();
      wxpay = createWxPay({
        merchants: [
          {
            name: 'main',
            mchId: MCH_ID,
            apiKey: API_KEY,
            baseUrl: sim.url,
            apiVersion: 'v3',
            privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
            certSerialNo: serialNo,
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
      wxpay.on('refunded', (e) => void refunded.push(e));
    });

    afterAll(async () => {
      await wxpay?.close();
      await sim?.close();
      await new Promise<void>((resolve) => host?.close(() => resolve()));
    });

    const createPay = async (orderId: string, fee: number) => {
      const out = await wxpay.handle({
        method: 'POST',
        path: '/create-pay/JSAPI',
        headers: { 'content-type': 'application/json' },
        rawBody: Buffer.from(
          JSON.stringify({
            payApp: 'shop',
            appId: APP_ID,
            goods: '测试商品',
            orderId,
            fee,
            ip: '127.0.0.1',
            openId: 'oE2E00000000000000000000000',
          }),
        ),
      });
      expect(out.status).toBe(200);
      return JSON.parse(Buffer.from(out.body).toString()) as { result: { jsapi_params: { signType: string } } };
    };

    it('create-pay, the pay notification, an API refund and a console refund', async () => {
      const created = await createPay('E1', 500);
      expect(created.result.jsapi_params.signType).toBe('RSA');
      await sim.pay('E1');
      const payNote = await sim.waitForNotification({ kind: 'pay', outTradeNo: 'E1' });
      expect(payNote.status).toBe('delivered');
      expect(paid.filter((p) => p.orderId === 'E1')).toMatchObject([
        { app: 'shop', appId: APP_ID, mchId: MCH_ID, totalFee: 500, source: 'notify' },
      ]);

      const refund = await wxpay.handle({
        method: 'POST',
        path: '/create-refund',
        headers: { 'content-type': 'application/json' },
        rawBody: Buffer.from(
          JSON.stringify({
            payApp: 'shop',
            appId: APP_ID,
            orderId: 'E1',
            refundId: 'E1-R1',
            totalFee: 500,
            refundFee: 200,
            refundReason: 'r',
          }),
        ),
      });
      expect(refund.status).toBe(200);
      await sim.completeRefund('E1-R1').catch(() => undefined);
      expect((await sim.waitForNotification({ kind: 'refund', outRefundNo: 'E1-R1' })).status).toBe('delivered');

      const consoleRefund = await sim.startRefund('E1', { refundFee: 100, source: 'console' });
      await sim.completeRefund(consoleRefund.outRefundNo).catch(() => undefined);
      expect((await sim.waitForNotification({ kind: 'refund', outRefundNo: consoleRefund.outRefundNo })).status).toBe('delivered');
      expect(refunded.map((r) => [r.refundId, r.refundFee, r.totalFee])).toEqual([
        ['E1-R1', 200, 500],
        [consoleRefund.outRefundNo, 100, 500],
      ]);
    });

    it.runIf(mode === 'platform-certificate')('a platform certificate rotation while notifications are in flight loses none', async () => {
      await createPay('E2', 300);
      await sim.rotatePlatformCertificate();
      await sim.pay('E2');
      expect((await sim.waitForNotification({ kind: 'pay', outTradeNo: 'E2' })).status).toBe('delivered');
      expect(paid.some((p) => p.orderId === 'E2')).toBe(true);
    });
  },
);
