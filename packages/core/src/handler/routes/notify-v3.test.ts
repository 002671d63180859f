import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStubWeChatV3, type StubWeChatV3 } from '../../../test/helpers/stub-wechat-v3.js';
import { createWxPay } from '../../create-wxpay.js';
import type { ErrorEvent, PaidEvent, RefundFailedEvent, RefundedEvent } from '../../events/event-map.js';
import {
  buildCertificatesReply,
  buildRefundNotifyXml,
  buildV3Notification,
  buildV3Transaction,
  generateTestPlatformCertificate,
  generateTestRsaKeyPair,
  type V3Signer,
} from '../../testing/index.js';
import type { WxPay } from '../wxpay.js';
import type { WxPayRequest } from '../types.js';
import type { Logger } from '../../logger.js';
import { bodyText, jsonRequest, recordingLogger, xmlRequest } from '../../../test/helpers/handler-fixtures.js';
import { skipWithout } from '../../../../../test/helpers/external-tools.js';

const MCH_ID = '1230000109';
const APP_ID = 'wxd678efh567hg6787';
const API_V3_KEY = '0123456789abcdef0123456789abcdef';
const API_KEY = '192006250b4c09247ec02edce69f6a2d';
const PUB_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000';
const NOW = 1_700_000_000_000;
const merchantKeys = generateTestRsaKeyPair();
const wechatKeys = generateTestRsaKeyPair();
const signer: V3Signer = { privateKey: wechatKeys.privateKey, serial: PUB_KEY_ID, timestamp: NOW / 1000 };

let stub: StubWeChatV3;
const instances: WxPay[] = [];
beforeAll(async () => {
  stub = await startStubWeChatV3({
    mchId: MCH_ID,
    merchantPublicKey: merchantKeys.publicKey,
    wechat: { privateKey: wechatKeys.privateKey, serial: PUB_KEY_ID },
    nowSec: NOW / 1000,
  });
});
afterEach(async () => {
  await Promise.all(instances.splice(0).map((w) => w.close()));
  stub.requests.length = 0;
});
afterAll(async () => {
  await stub.close();
});

function setup(merchant: Record<string, unknown> = {}, now: () => number = () => NOW, extra: { appIds?: string[]; logger?: Logger } = {}) {
  const wxpay = createWxPay({
    merchants: [
      {
        name: 'main',
        mchId: MCH_ID,
        apiVersion: 'v3',
        privateKey: merchantKeys.privateKey,
        certSerialNo: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
        apiV3Key: API_V3_KEY,
        wechatpayPublicKey: wechatKeys.publicKey,
        wechatpayPublicKeyId: PUB_KEY_ID,
        apiKey: API_KEY,
        baseUrl: stub.url,
        ...merchant,
      },
    ],
    apps: [{ name: 'shop', merchant: 'main', appIds: extra.appIds ?? [APP_ID] }],
    notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
    notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund',
    now,
    client: { retries: 0 },
    ...(extra.logger ? { logger: extra.logger } : {}),
  });
  instances.push(wxpay);
  const paid: PaidEvent[] = [];
  const refunded: RefundedEvent[] = [];
  const failed: RefundFailedEvent[] = [];
  const errors: ErrorEvent[] = [];
  wxpay.on('paid', (e) => void paid.push(e));
  wxpay.on('refunded', (e) => void refunded.push(e));
  wxpay.on('refund-failed', (e) => void failed.push(e));
  wxpay.on('error', (e) => void errors.push(e));
  return { wxpay, paid, refunded, failed, errors };
}

function v3Request(path: string, n: { headers: Record<string, string>; body: string }): WxPayRequest {
  return { method: 'POST', path, headers: n.headers, rawBody: Buffer.from(n.body) };
}

const payment = (over: Record<string, unknown> = {}) =>
  buildV3Transaction({
    appid: APP_ID,
    mchid: MCH_ID,
    out_trade_no: 'T1',
    transaction_id: '4200000001',
    success_time: '2024-01-01T12:00:00+08:00',
    amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' },
    ...over,
  });

const SUCCESS = { code: 'SUCCESS', message: '成功' };

describe('v3 merchant through handle()', () => {
  it('create-pay JSAPI goes to the v3 endpoint and answers the same JSON shape with RSA params', async () => {
    stub.on('POST /v3/pay/transactions/jsapi', () => ({
      status: 200,
      body: JSON.stringify({ prepay_id: 'wx26112221580621e9b071c00d9e093b0000' }),
    }));
    const { wxpay } = setup();
    const out = await wxpay.handle(
      jsonRequest('/create-pay/JSAPI', {
        payApp: 'shop',
        appId: APP_ID,
        goods: 'QQ公仔',
        orderId: 'T1',
        fee: 100,
        ip: '203.0.113.7',
        openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      }),
    );
    expect(out.status).toBe(200);
    const body = JSON.parse(bodyText(out.body));
    expect(body).toMatchObject({
      code: 200,
      msg: 'OK',
      result: {
        prepay_id: 'wx26112221580621e9b071c00d9e093b0000',
        jsapi_params: { appId: APP_ID, signType: 'RSA', package: 'prepay_id=wx26112221580621e9b071c00d9e093b0000' },
      },
    });
    expect(stub.requests[0]).toMatchObject({ url: '/v3/pay/transactions/jsapi', signatureOk: true });
    expect(JSON.parse(stub.requests[0]!.body)).toMatchObject({
      notify_url: 'https://pay.example.com/wxpay/notify-pay/shop',
      amount: { total: 100 },
    });
  });

  it('a v3 payment notification fires paid once with the v2 fields and is answered SUCCESS in JSON', async () => {
    const { wxpay, paid, errors } = setup();
    const n = buildV3Notification({ resource: payment(), apiV3Key: API_V3_KEY, signer, id: 'EV-1' });
    const outs = await Promise.all([1, 2].map(() => wxpay.handle(v3Request('/notify-pay/shop', n))));
    const again = await wxpay.handle(v3Request('/notify-pay/shop', n));
    for (const out of [...outs, again]) {
      expect(out.status).toBe(200);
      expect(out.headers['content-type']).toContain('application/json');
      expect(JSON.parse(bodyText(out.body))).toEqual(SUCCESS);
    }
    expect(errors).toEqual([]);
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({
      app: 'shop',
      appId: APP_ID,
      mchId: MCH_ID,
      orderId: 'T1',
      transactionId: '4200000001',
      totalFee: 100,
      cashFee: 100,
      feeType: 'CNY',
      openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      tradeType: 'JSAPI',
      bankType: 'OTHERS',
      timeEnd: '20240101120000',
      source: 'notify',
      redelivery: false,
    });
    // raw is the decrypted resource (a v3 transaction), not a made-up v2 record.
    expect(paid[0]!.raw).toEqual(payment());
    expect(paid[0]!.raw).not.toHaveProperty('total_fee');
  });

  it.each([
    [
      'a tampered body',
      () => {
        const n = buildV3Notification({ resource: payment(), apiV3Key: API_V3_KEY, signer });
        return { ...n, body: n.body.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" ') };
      },
      400,
    ],
    [
      'an unknown serial',
      () => buildV3Notification({ resource: payment(), apiV3Key: API_V3_KEY, signer: { ...signer, serial: 'PUB_KEY_ID_999' } }),
      400,
    ],
    [
      'a stale timestamp',
      () => buildV3Notification({ resource: payment(), apiV3Key: API_V3_KEY, signer: { ...signer, timestamp: NOW / 1000 - 301 } }),
      400,
    ],
    [
      'a signature probe',
      () => {
        const n = buildV3Notification({ resource: payment(), apiV3Key: API_V3_KEY, signer });
        return { ...n, headers: { ...n.headers, 'wechatpay-signature': `WECHATPAY/SIGNTEST/${n.headers['wechatpay-signature']}` } };
      },
      400,
    ],
    [
      'a wrong APIv3 key (GCM tag)',
      () => buildV3Notification({ resource: payment(), apiV3Key: 'fedcba9876543210fedcba9876543210', signer }),
      400,
    ],
    [
      'another key signing',
      () => buildV3Notification({ resource: payment(), apiV3Key: API_V3_KEY, signer: { ...signer, privateKey: merchantKeys.privateKey } }),
      400,
    ],
    ['another merchant', () => buildV3Notification({ resource: payment({ mchid: '1999999999' }), apiV3Key: API_V3_KEY, signer }), 400],
  ])('%s: answered FAIL in JSON with a non-2xx status, nothing emitted', async (_name, make, status) => {
    const { wxpay, paid, errors } = setup();
    const out = await wxpay.handle(v3Request('/notify-pay/shop', make()));
    expect(out.status).toBe(status);
    expect(JSON.parse(bodyText(out.body))).toMatchObject({ code: 'FAIL' });
    expect(paid).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  it('checks the amount against the order recorded at create-pay', async () => {
    stub.on('POST /v3/pay/transactions/native', () => ({
      status: 200,
      body: JSON.stringify({ code_url: 'weixin://wxpay/bizpayurl?pr=x' }),
    }));
    const { wxpay, paid, errors } = setup();
    await wxpay.handle(
      jsonRequest('/create-pay/NATIVE', {
        payApp: 'shop',
        appId: APP_ID,
        goods: 'g',
        orderId: 'T1',
        fee: 100,
        ip: '203.0.113.7',
        productId: 'P1',
      }),
    );
    const n = buildV3Notification({
      resource: payment({ amount: { total: 1, payer_total: 1, currency: 'CNY' } }),
      apiV3Key: API_V3_KEY,
      signer,
    });
    const out = await wxpay.handle(v3Request('/notify-pay/shop', n));
    expect(JSON.parse(bodyText(out.body))).toMatchObject({ code: 'FAIL' });
    expect(paid).toEqual([]);
    expect(errors[0]?.error.code).toBe('WXPAY_ERR_AMOUNT_MISMATCH');
  });

  it('confirm queries the v3 order and fires paid once, shared with the notification', async () => {
    stub.on('GET /v3/pay/transactions/out-trade-no/T1', () => ({ status: 200, body: JSON.stringify(payment()) }));
    const { wxpay, paid } = setup();
    const out = await wxpay.handle(jsonRequest('/confirm', { payApp: 'shop', appId: APP_ID, orderId: 'T1' }));
    expect(out.status).toBe(200);
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({ source: 'confirm', transactionId: '4200000001', totalFee: 100, timeEnd: '20240101120000' });
    await wxpay.handle(v3Request('/notify-pay/shop', buildV3Notification({ resource: payment(), apiV3Key: API_V3_KEY, signer })));
    expect(paid).toHaveLength(1);
  });

  it('the refund-notify route takes a v3 REFUND.* notification and a v2 XML one (console refunds)', async () => {
    const { wxpay, refunded, failed, errors } = setup();
    const v3 = buildV3Notification({
      eventType: 'REFUND.SUCCESS',
      apiV3Key: API_V3_KEY,
      signer,
      resource: {
        mchid: MCH_ID,
        out_trade_no: 'T1',
        transaction_id: '4200000001',
        refund_id: '50000001',
        out_refund_no: 'R1',
        refund_status: 'SUCCESS',
        success_time: '2024-01-01T12:00:05+08:00',
        user_received_account: '支付用户零钱',
        amount: { total: 100, refund: 40, payer_total: 100, payer_refund: 40 },
      },
    });
    const out = await wxpay.handle(v3Request('/notify-refund/shop', v3));
    expect(JSON.parse(bodyText(out.body))).toEqual(SUCCESS);
    expect(refunded).toHaveLength(1);
    expect(refunded[0]).toMatchObject({
      app: 'shop',
      appId: APP_ID,
      mchId: MCH_ID,
      orderId: 'T1',
      refundId: 'R1',
      wxRefundId: '50000001',
      refundFee: 40,
      totalFee: 100,
      refundStatus: 'SUCCESS',
      successTime: '2024-01-01 12:00:05',
    });
    // raw is the decrypted refund resource under its own v3 names.
    expect(refunded[0]!.raw).toMatchObject({ out_refund_no: 'R1', refund_status: 'SUCCESS', amount: { refund: 40 } });
    expect(refunded[0]!.raw).not.toHaveProperty('refund_fee');

    const closed = buildV3Notification({
      eventType: 'REFUND.CLOSED',
      apiV3Key: API_V3_KEY,
      signer,
      resource: {
        mchid: MCH_ID,
        out_trade_no: 'T1',
        transaction_id: '4200000001',
        refund_id: '50000002',
        out_refund_no: 'R2',
        refund_status: 'CLOSED',
        amount: { total: 100, refund: 10, payer_total: 100, payer_refund: 10 },
      },
    });
    await wxpay.handle(v3Request('/notify-refund/shop', closed));
    expect(failed).toMatchObject([{ refundId: 'R2', refundStatus: 'REFUNDCLOSE' }]);

    const xml = buildRefundNotifyXml(
      { out_trade_no: 'T1', out_refund_no: 'R3', refund_id: '50000003', refund_fee: 20, total_fee: 100 },
      API_KEY,
      { appid: APP_ID, mch_id: MCH_ID },
    );
    const v2 = await wxpay.handle(xmlRequest('/notify-refund/shop', xml));
    expect(bodyText(v2.body)).toContain('SUCCESS');
    expect(refunded.map((r) => r.refundId)).toEqual(['R1', 'R3']);
    expect(errors).toEqual([]);
  });

  it('a v3 refund notification disagreeing with the refund recorded at create-refund is refused; the one that agrees fires', async () => {
    stub.on('POST /v3/refund/domestic/refunds', () => ({
      status: 200,
      body: JSON.stringify({
        refund_id: '50000011',
        out_refund_no: 'R11',
        transaction_id: '4200000011',
        out_trade_no: 'T11',
        channel: 'ORIGINAL',
        user_received_account: '支付用户零钱',
        create_time: '2024-01-01T12:00:00+08:00',
        status: 'PROCESSING',
        amount: { total: 100, refund: 40, payer_total: 100, payer_refund: 40, currency: 'CNY' },
      }),
    }));
    const { wxpay, refunded, errors } = setup();
    const created = await wxpay.handle(
      jsonRequest('/create-refund', { payApp: 'shop', appId: APP_ID, orderId: 'T11', refundId: 'R11', totalFee: 100, refundFee: 40 }),
    );
    expect(created.status).toBe(200);
    const notification = (refund: number, outTradeNo = 'T11') =>
      buildV3Notification({
        eventType: 'REFUND.SUCCESS',
        apiV3Key: API_V3_KEY,
        signer,
        resource: {
          mchid: MCH_ID,
          out_trade_no: outTradeNo,
          transaction_id: '4200000011',
          refund_id: '50000011',
          out_refund_no: 'R11',
          refund_status: 'SUCCESS',
          success_time: '2024-01-01T12:00:05+08:00',
          user_received_account: '支付用户零钱',
          amount: { total: 100, refund, payer_total: 100, payer_refund: refund },
        },
      });
    for (const forged of [notification(100), notification(40, 'T12')]) {
      const out = await wxpay.handle(v3Request('/notify-refund/shop', forged));
      expect(out.status).toBeGreaterThanOrEqual(400);
      expect(JSON.parse(bodyText(out.body))).toMatchObject({ code: 'FAIL' });
    }
    expect(refunded).toEqual([]);
    expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_AMOUNT_MISMATCH', 'WXPAY_ERR_AMOUNT_MISMATCH']);
    const out = await wxpay.handle(v3Request('/notify-refund/shop', notification(40)));
    expect(JSON.parse(bodyText(out.body))).toEqual(SUCCESS);
    expect(refunded.map((r) => [r.orderId, r.refundId, r.refundFee])).toEqual([['T11', 'R11', 40]]);
  });

  describe('no verified refund result is refused for a missing record', () => {
    const refundResource = (over: Record<string, unknown> = {}) => ({
      mchid: MCH_ID,
      out_trade_no: 'T21',
      transaction_id: '4200000021',
      refund_id: '50000021',
      out_refund_no: 'R21',
      refund_status: 'SUCCESS',
      success_time: '2024-01-01T12:00:05+08:00',
      user_received_account: '支付用户零钱',
      amount: { total: 100, refund: 40, payer_total: 100, payer_refund: 40 },
      ...over,
    });
    const refundNotification = (over: Record<string, unknown> = {}) =>
      buildV3Notification({ eventType: 'REFUND.SUCCESS', apiV3Key: API_V3_KEY, signer, resource: refundResource(over) });
    const stubRefund = () =>
      stub.on('POST /v3/refund/domestic/refunds', () => ({
        status: 200,
        body: JSON.stringify({
          refund_id: '50000021',
          out_refund_no: 'R21',
          transaction_id: '4200000021',
          out_trade_no: 'T21',
          channel: 'ORIGINAL',
          user_received_account: '支付用户零钱',
          create_time: '2024-01-01T12:00:00+08:00',
          status: 'PROCESSING',
          amount: { total: 100, refund: 40, payer_total: 100, payer_refund: 40, currency: 'CNY' },
        }),
      }));

    it('a refund made through create-refund of an order placed elsewhere, for an app that lists no app ids, fires with the app id create-refund recorded', async () => {
      stubRefund();
      const { wxpay, refunded, errors } = setup({}, () => NOW, { appIds: ['*'] });
      const created = await wxpay.handle(
        jsonRequest('/create-refund', { payApp: 'shop', appId: APP_ID, orderId: 'T21', refundId: 'R21', totalFee: 100, refundFee: 40 }),
      );
      expect(created.status).toBe(200);
      const out = await wxpay.handle(v3Request('/notify-refund/shop', refundNotification()));
      expect(errors.map((e) => e.error.message)).toEqual([]);
      expect(out.status).toBe(200);
      expect(JSON.parse(bodyText(out.body))).toEqual(SUCCESS);
      expect(refunded).toHaveLength(1);
      expect(refunded[0]).toMatchObject({
        app: 'shop',
        appId: APP_ID,
        mchId: MCH_ID,
        orderId: 'T21',
        refundId: 'R21',
        refundFee: 40,
        totalFee: 100,
        recordChecked: true,
      });
    });

    it('a refund with no record at all, for an app that lists no app ids, is delivered unchecked with a warning', async () => {
      const logger = recordingLogger();
      const { wxpay, refunded, errors } = setup({}, () => NOW, { appIds: ['*'], logger });
      const out = await wxpay.handle(v3Request('/notify-refund/shop', refundNotification()));
      expect(errors.map((e) => e.error.message)).toEqual([]);
      expect(JSON.parse(bodyText(out.body))).toEqual(SUCCESS);
      expect(refunded).toHaveLength(1);
      expect(refunded[0]).toMatchObject({
        app: 'shop',
        appId: '',
        mchId: MCH_ID,
        orderId: 'T21',
        refundId: 'R21',
        wxRefundId: '50000021',
        refundFee: 40,
        recordChecked: false,
      });
      const warnings = logger.lines.filter((l) => l.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.obj).toMatchObject({ event: 'refunded', refundId: 'R21', recordChecked: false });
      expect(warnings[0]!.msg).toMatch(/unchecked: no refund R21 was recorded at create-refund/);
      // Its redelivery fires nothing more and warns no more.
      await wxpay.handle(v3Request('/notify-refund/shop', refundNotification()));
      expect(refunded).toHaveLength(1);
      expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    });

    it('a refund with no record, for an app that lists its ids, carries the first listed id, unchecked', async () => {
      const { wxpay, refunded } = setup();
      const out = await wxpay.handle(v3Request('/notify-refund/shop', refundNotification()));
      expect(JSON.parse(bodyText(out.body))).toEqual(SUCCESS);
      expect(refunded.map((r) => [r.appId, r.recordChecked])).toEqual([[APP_ID, false]]);
    });

    it('a recorded refund that another merchant or a forged amount claims is still refused for an app that lists no ids', async () => {
      stubRefund();
      const { wxpay, refunded, errors } = setup({}, () => NOW, { appIds: ['*'] });
      await wxpay.handle(
        jsonRequest('/create-refund', { payApp: 'shop', appId: APP_ID, orderId: 'T21', refundId: 'R21', totalFee: 100, refundFee: 40 }),
      );
      for (const forged of [
        refundNotification({ mchid: '1999999999' }),
        refundNotification({ amount: { total: 100, refund: 100, payer_total: 100, payer_refund: 100 } }),
        refundNotification({ out_trade_no: 'T22' }),
      ]) {
        const out = await wxpay.handle(v3Request('/notify-refund/shop', forged));
        expect(out.status).toBeGreaterThanOrEqual(400);
      }
      expect(refunded).toEqual([]);
      expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_APP_MISMATCH', 'WXPAY_ERR_AMOUNT_MISMATCH', 'WXPAY_ERR_AMOUNT_MISMATCH']);
    });

    it('payments: recorded at create-pay → recordChecked true; placed elsewhere → delivered, recordChecked false, warned', async () => {
      stub.on('POST /v3/pay/transactions/native', () => ({
        status: 200,
        body: JSON.stringify({ code_url: 'weixin://wxpay/bizpayurl?pr=x' }),
      }));
      const logger = recordingLogger();
      const { wxpay, paid, errors } = setup({}, () => NOW, { logger });
      await wxpay.handle(
        jsonRequest('/create-pay/NATIVE', {
          payApp: 'shop',
          appId: APP_ID,
          goods: 'g',
          orderId: 'T1',
          fee: 100,
          ip: '203.0.113.7',
          productId: 'P1',
        }),
      );
      await wxpay.handle(v3Request('/notify-pay/shop', buildV3Notification({ resource: payment(), apiV3Key: API_V3_KEY, signer })));
      await wxpay.handle(
        v3Request(
          '/notify-pay/shop',
          buildV3Notification({ resource: payment({ out_trade_no: 'T2', transaction_id: '4200000002' }), apiV3Key: API_V3_KEY, signer }),
        ),
      );
      expect(errors).toEqual([]);
      expect(paid.map((p) => [p.orderId, p.recordChecked])).toEqual([
        ['T1', true],
        ['T2', false],
      ]);
      expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.obj)).toMatchObject([
        { event: 'paid', orderId: 'T2', recordChecked: false },
      ]);
    });
  });

  it('a v3 refund notification for another merchant is refused', async () => {
    const { wxpay, refunded, errors } = setup();
    const n = buildV3Notification({
      eventType: 'REFUND.SUCCESS',
      apiV3Key: API_V3_KEY,
      signer,
      resource: {
        mchid: '1999999999',
        out_trade_no: 'T1',
        transaction_id: '4200000001',
        refund_id: '50000009',
        out_refund_no: 'R9',
        refund_status: 'SUCCESS',
        amount: { total: 100, refund: 1, payer_total: 100, payer_refund: 1 },
      },
    });
    const out = await wxpay.handle(v3Request('/notify-refund/shop', n));
    expect(JSON.parse(bodyText(out.body))).toMatchObject({ code: 'FAIL' });
    expect(refunded).toEqual([]);
    expect(errors[0]?.error.code).toBe('WXPAY_ERR_APP_MISMATCH');
  });

  it('a v2 XML refund notification for a v3 merchant without an API v2 key is answered FAIL', async () => {
    const { wxpay, refunded } = setup({ apiKey: undefined });
    const xml = buildRefundNotifyXml(
      { out_trade_no: 'T1', out_refund_no: 'R3', refund_id: '50000003', refund_fee: 20, total_fee: 100 },
      API_KEY,
      { appid: APP_ID, mch_id: MCH_ID },
    );
    const out = await wxpay.handle(xmlRequest('/notify-refund/shop', xml));
    expect(bodyText(out.body)).toContain('FAIL');
    expect(refunded).toEqual([]);
  });

  it('a v3 notification for a v2 merchant is refused', async () => {
    const wxpay = createWxPay({
      merchants: [{ name: 'main', mchId: MCH_ID, apiKey: API_KEY, baseUrl: stub.url }],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
      notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund',
      now: () => NOW,
    });
    instances.push(wxpay);
    const paid: PaidEvent[] = [];
    wxpay.on('paid', (e) => void paid.push(e));
    const out = await wxpay.handle(
      v3Request('/notify-pay/shop', buildV3Notification({ resource: payment(), apiV3Key: API_V3_KEY, signer })),
    );
    expect(out.status).toBeGreaterThanOrEqual(400);
    expect(JSON.parse(bodyText(out.body))).toMatchObject({ code: 'FAIL' });
    expect(paid).toEqual([]);
  });

  it('a listener rejection answers FAIL so WeChat delivers again, then SUCCESS on the retry', async () => {
    const { wxpay, paid } = setup();
    let fail = true;
    wxpay.on('paid', async () => {
      if (fail) throw new Error('db down');
    });
    const n = buildV3Notification({ resource: payment(), apiV3Key: API_V3_KEY, signer });
    const first = await wxpay.handle(v3Request('/notify-pay/shop', n));
    expect(first.status).toBeGreaterThanOrEqual(500);
    fail = false;
    const second = await wxpay.handle(v3Request('/notify-pay/shop', n));
    expect(JSON.parse(bodyText(second.body))).toEqual(SUCCESS);
    expect(paid).toHaveLength(2);
    expect(paid[1]?.redelivery).toBe(false);
  });

  it.skipIf(skipWithout(import.meta.url, ['openssl'], "'platform certificate rotation' (it issues certificates)"))(
    'a platform certificate rotation during a run loses no notification',
    async () => {
      const [a, b] = await Promise.all([generateTestPlatformCertificate(), generateTestPlatformCertificate()]);
      let listed = [a];
      let downloads = 0;
      stub.on('GET /v3/certificates', () => {
        downloads++;
        return {
          status: 200,
          body: buildCertificatesReply(
            listed.map((c) => ({
              serialNo: c.serialNo,
              certificate: c.certificate,
              effectiveTime: NOW - 86_400_000,
              expireTime: NOW + 365 * 86_400_000,
            })),
            API_V3_KEY,
          ),
          signer: { privateKey: listed[0]!.privateKey, serial: listed[0]!.serialNo },
        };
      });
      let clock = NOW;
      const { wxpay, paid, errors } = setup(
        { wechatpayPublicKey: undefined, wechatpayPublicKeyId: undefined, platformCertificates: true },
        () => clock,
      );
      const deliver = (cert: typeof a, n: number) =>
        wxpay.handle(
          v3Request(
            '/notify-pay/shop',
            buildV3Notification({
              resource: payment({ out_trade_no: `T${n}`, transaction_id: `42000000${n}` }),
              apiV3Key: API_V3_KEY,
              signer: { privateKey: cert.privateKey, serial: cert.serialNo, timestamp: Math.floor(clock / 1000) },
            }),
          ),
        );
      expect((await deliver(a, 1)).status).toBe(200);
      expect(downloads).toBe(1);
      // WeChat starts signing with a new certificate.
      listed = [b, a];
      clock += 120_000;
      expect((await deliver(b, 2)).status).toBe(200);
      expect(downloads).toBe(2);
      expect((await deliver(a, 3)).status).toBe(200);
      // A forged serial right after does not make us download again, and fails.
      const forged = await deliver({ ...b, serialNo: 'ABCDEF0123456789' }, 4);
      expect(forged.status).toBe(400);
      expect(downloads).toBe(2);
      expect(paid.map((p) => p.orderId)).toEqual(['T1', 'T2', 'T3']);
      expect(errors).toHaveLength(1);
    },
  );
});
