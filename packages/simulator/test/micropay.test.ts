import { createWxPay, ValidationError, WxPayError, type WxPay } from '@wxpay-kit/core';
import { generateTestCertificates } from '@wxpay-kit/core/testing';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../test/helpers/external-tools.js';
import { merchantKeys } from './v3-helpers.js';

const MCH_V2 = '1230000109';
const MCH_V3 = '1230000110';
const API_KEY = 'Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4f';
const API_V3_KEY = '0123456789abcdef0123456789abcdef';
const APP_ID = 'wx8888888888888888';

/** A payment code whose last three digits pick the simulator's case. */
const code = (ending: string): string => `134567890123456${ending}`;

describe.skipIf(skipWithout(import.meta.url, ['openssl']))('payment codes through the core client (micropay, codepay, reverse)', () => {
  let sim: RunningSimulator;
  let wxpay: WxPay;

  beforeAll(async () => {
    const certs = await generateTestCertificates({ mchId: MCH_V2 });
    const keys = merchantKeys();
    sim = await startSimulator({
      port: 0,
      merchants: [
        { mchId: MCH_V2, apiKey: API_KEY, appIds: [APP_ID] },
        {
          mchId: MCH_V3,
          apiKey: API_KEY,
          appIds: [APP_ID],
          v3: { publicKey: keys.publicKey, serialNo: keys.serialNo, apiV3Key: API_V3_KEY, wechatpayKey: 'public-key' },
        },
      ],
      tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireMchIdCommonName: true },
    });
    const wechatpay = await sim.wechatpayKeys();
    wxpay = createWxPay({
      merchants: [
        { name: 'v2', mchId: MCH_V2, apiKey: API_KEY, baseUrl: sim.url, cert: { cert: certs.clientCert, key: certs.clientKey } },
        {
          name: 'v3',
          mchId: MCH_V3,
          apiKey: API_KEY,
          baseUrl: sim.url,
          apiVersion: 'v3',
          privateKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          certSerialNo: keys.serialNo,
          apiV3Key: API_V3_KEY,
          wechatpayPublicKey: wechatpay.publicKey,
          wechatpayPublicKeyId: wechatpay.publicKeyId,
        },
      ],
      apps: [
        { name: 'shop', merchant: 'v2', appIds: [APP_ID] },
        { name: 'shop3', merchant: 'v3', appIds: [APP_ID] },
      ],
      notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
      notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
      client: { ca: certs.ca, retries: 2, retryDelayMs: 1 },
    });
  });

  afterAll(async () => {
    await wxpay?.close();
    await sim?.close();
  });

  describe.each(['v2', 'v3'] as const)('API %s', (merchant) => {
    const target = { merchant, appId: APP_ID };
    const pay = (no: string, authCode: string) =>
      wxpay.client.micropay({
        ...target,
        outTradeNo: `${merchant}${no}`,
        totalFee: 1234,
        body: '收银台',
        authCode,
        spbillCreateIp: '10.0.0.8',
      });
    const query = (no: string) => wxpay.client.queryOrder({ ...target, outTradeNo: `${merchant}${no}` });
    const errCode = async (promise: Promise<unknown>): Promise<string> => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WxPayError);
      return (error as WxPayError).errCode.replace(/_/g, '');
    };

    it('pays at once, and a reverse after success leaves the order REVOKED', async () => {
      const paid = await pay('A1', code('000'));
      expect(paid.tradeState).toBe('SUCCESS');
      expect(paid.payment?.transactionId).toMatch(/^\d{28}$/);
      expect(paid.payment?.totalFee).toBe(1234);
      expect(paid.payment?.tradeType).toBe('MICROPAY');
      expect((await query('A1')).tradeState).toBe('SUCCESS');
      await wxpay.client.reverse({ ...target, outTradeNo: `${merchant}A1` });
      expect((await query('A1')).tradeState).toBe('REVOKED');
      expect(await errCode(pay('A1', code('000')))).toBe('ORDERREVERSED');
    });

    it('USERPAYING, then paid when the payer confirms (second query)', async () => {
      expect((await pay('B1', code('001'))).tradeState).toBe('USERPAYING');
      expect((await query('B1')).tradeState).toBe('USERPAYING');
      const later = await query('B1');
      expect(later.tradeState).toBe('SUCCESS');
      expect(later.transactionId).toBeTruthy();
    });

    it('USERPAYING until reversed (timeout); the control API can also settle such an order', async () => {
      expect((await pay('C1', code('002'))).tradeState).toBe('USERPAYING');
      expect((await query('C1')).tradeState).toBe('USERPAYING');
      expect((await query('C1')).tradeState).toBe('USERPAYING');
      await wxpay.client.reverse({ ...target, outTradeNo: `${merchant}C1` });
      expect((await query('C1')).tradeState).toBe('REVOKED');

      expect((await pay('C2', code('002'))).tradeState).toBe('USERPAYING');
      await sim.pay(`${merchant}C2`, { mchId: merchant === 'v2' ? MCH_V2 : MCH_V3 });
      expect((await query('C2')).tradeState).toBe('SUCCESS');
    });

    it('USERPAYING, then PAYERROR', async () => {
      expect((await pay('D1', code('003'))).tradeState).toBe('USERPAYING');
      expect((await query('D1')).tradeState).toBe('PAYERROR');
    });

    it('refusals: AUTHCODEEXPIRE, AUTH_CODE_INVALID, NOTENOUGH create no order', async () => {
      expect(await errCode(pay('E1', code('004')))).toBe('AUTHCODEEXPIRE');
      expect(await errCode(pay('E2', code('005')))).toBe('AUTHCODEINVALID');
      expect(await errCode(pay('E3', code('008')))).toBe('NOTENOUGH');
      expect(await errCode(query('E1'))).toBe('ORDERNOTEXIST');
    });

    it('SYSTEMERROR is never re-submitted (a repeat would answer ORDERPAID); the query finds it paid', async () => {
      expect(await errCode(pay('F1', code('006')))).toBe('SYSTEMERROR');
      expect((await query('F1')).tradeState).toBe('SUCCESS');
    });

    it('BANKERROR leaves the outcome to the query: PAYERROR', async () => {
      expect(await errCode(pay('G1', code('007')))).toBe('BANKERROR');
      expect((await query('G1')).tradeState).toBe('PAYERROR');
    });

    it('reverse is repeated on its own SYSTEMERROR until WeChat says it is done', async () => {
      expect((await pay('H1', code('009'))).tradeState).toBe('USERPAYING');
      await wxpay.client.reverse({ ...target, outTradeNo: `${merchant}H1` });
      const order = await sim.order(`${merchant}H1`, { mchId: merchant === 'v2' ? MCH_V2 : MCH_V3 });
      expect(order.tradeState).toBe('REVOKED');
      expect(order.micropay?.reverses).toBe(2);
    });

    it('refuses a malformed payment code before anything is sent', async () => {
      for (const bad of ['', '12345', '164567890123456789', '13456789012345678X', '1345678901234567890']) {
        const error = await pay('V1', bad).catch((e: unknown) => e);
        expect(error, bad).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('authCode');
        expect((error as Error).message).not.toContain(bad || '\u0000');
      }
      expect(await errCode(query('V1'))).toBe('ORDERNOTEXIST');
    });
  });
});
