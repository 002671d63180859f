/**
 * `wxpay.verifyNotification()`: a notification the host received itself goes through the notify
 * routes' codec and flow: forgeries are refused and change nothing, a result fires once however
 * often it is verified (or also arrives at a notify route), and v3 works with WeChat's headers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWxPay } from '../create-wxpay.js';
import type { ErrorEvent, PaidEvent, RefundedEvent } from '../events/event-map.js';
import type { TransferEvent } from '../model/transfer.js';
import {
  buildPayNotification,
  buildRefundNotifyXml,
  buildV3Notification,
  buildV3Transaction,
  generateTestRsaKeyPair,
  signNotifyXml,
} from '../testing/index.js';
import { createHandler } from './create-handler.js';
import type { WxPay } from './wxpay.js';
import { APP_ID_1, KEY_1, MCH_1, bodyText, scriptedClient, testConfig, xmlRequest } from '../../test/helpers/handler-fixtures.js';

const TX = '4200000000202401010000000077';
const xml = (over: Record<string, string | number> = {}, key = KEY_1) =>
  signNotifyXml(buildPayNotification({ out_trade_no: 'T77', transaction_id: TX, total_fee: 100, ...over }), key);
const bytes = (s: string) => new Uint8Array(Buffer.from(s));

function setup() {
  const wxpay = createHandler(testConfig(), scriptedClient());
  const paid: PaidEvent[] = [];
  const refunded: RefundedEvent[] = [];
  const errors: ErrorEvent[] = [];
  wxpay.on('paid', (e) => void paid.push(e));
  wxpay.on('refunded', (e) => void refunded.push(e));
  wxpay.on('error', (e) => void errors.push(e));
  return { wxpay, paid, refunded, errors };
}

describe('verifyNotification (API v2)', () => {
  it('delivers a verified payment once: paid fires on the first check, later ones are redeliveries', async () => {
    const { wxpay, paid } = setup();
    const first = await wxpay.verifyNotification({ kind: 'pay', app: 'shop', headers: {}, rawBody: bytes(xml()) });
    expect(first).toMatchObject({ status: 'delivered', version: 'v2', redelivery: false, event: { kind: 'paid' } });
    expect(first.status === 'delivered' && first.event.payload).toMatchObject({
      orderId: 'T77',
      transactionId: TX,
      totalFee: 100,
      mchId: MCH_1,
    });
    expect(bodyText(first.reply.body)).toContain('<return_code><![CDATA[SUCCESS]]></return_code>');
    const again = await wxpay.verifyNotification({ kind: 'pay', app: 'shop', headers: {}, rawBody: bytes(xml()) });
    expect(again).toMatchObject({
      status: 'delivered',
      redelivery: true,
      event: { kind: 'paid', payload: { orderId: 'T77', redelivery: true } },
    });
    // The same notification at the notify route is a duplicate too.
    expect((await wxpay.handle(xmlRequest('/notify-pay/shop', xml()))).status).toBe(200);
    expect(paid).toHaveLength(1);
  });

  it('refuses a forgery (wrong key), an unknown app and a notification of another app, firing nothing', async () => {
    const { wxpay, paid, errors } = setup();
    const forged = await wxpay.verifyNotification({ kind: 'pay', app: 'shop', headers: {}, rawBody: bytes(xml({}, 'x'.repeat(32))) });
    expect(forged).toMatchObject({ status: 'refused', version: 'v2', error: { code: 'WXPAY_ERR_SIGNATURE' } });
    expect(forged.reply.status).toBeGreaterThanOrEqual(400);
    expect(bodyText(forged.reply.body)).toContain('<return_code><![CDATA[FAIL]]></return_code>');
    const unknown = await wxpay.verifyNotification({ kind: 'pay', app: 'nope', headers: {}, rawBody: bytes(xml()) });
    expect(unknown).toMatchObject({ status: 'refused', error: { code: 'WXPAY_ERR_APP_MISMATCH' } });
    const other = await wxpay.verifyNotification({ kind: 'pay', app: 'other', headers: {}, rawBody: bytes(xml()) });
    expect(other.status).toBe('refused');
    const garbage = await wxpay.verifyNotification({ kind: 'pay', app: 'shop', headers: {}, rawBody: bytes('not xml') });
    expect(garbage.status).toBe('refused');
    expect(paid).toEqual([]);
    expect(errors).toHaveLength(4);
    // The genuine one is still delivered afterwards.
    expect((await wxpay.verifyNotification({ kind: 'pay', app: 'shop', headers: {}, rawBody: bytes(xml()) })).status).toBe('delivered');
  });

  it('acknowledges a verified notification that reports no payment, firing nothing', async () => {
    const { wxpay, paid } = setup();
    const failed = await wxpay.verifyNotification({
      kind: 'pay',
      app: 'shop',
      headers: {},
      rawBody: bytes(xml({ result_code: 'FAIL', err_code: 'NOTENOUGH' })),
    });
    expect(failed).toMatchObject({ status: 'acknowledged', version: 'v2' });
    expect(paid).toEqual([]);
  });

  it('a listener failure is refused with a 5xx FAIL, and the next check fires again', async () => {
    const { wxpay, paid } = setup();
    let fail = true;
    wxpay.on('paid', () => {
      if (fail) throw new Error('crm down');
    });
    const first = await wxpay.verifyNotification({ kind: 'pay', app: 'shop', headers: {}, rawBody: bytes(xml()) });
    expect(first.status).toBe('refused');
    expect(first.reply.status).toBeGreaterThanOrEqual(500);
    fail = false;
    expect(await wxpay.verifyNotification({ kind: 'pay', app: 'shop', headers: {}, rawBody: bytes(xml()) })).toMatchObject({
      status: 'delivered',
      redelivery: false,
    });
    expect(paid).toHaveLength(2);
  });

  it('delivers a refund notification once', async () => {
    const { wxpay, refunded } = setup();
    const body = buildRefundNotifyXml({ out_trade_no: 'T77', refund_id: '50000408942024010100000000009', out_refund_no: 'R9' }, KEY_1, {
      appid: APP_ID_1,
      mch_id: MCH_1,
    });
    const first = await wxpay.verifyNotification({ kind: 'refund', app: 'shop', headers: {}, rawBody: bytes(body) });
    expect(first).toMatchObject({ status: 'delivered', redelivery: false, event: { kind: 'refunded', payload: { refundId: 'R9' } } });
    const again = await wxpay.verifyNotification({ kind: 'refund', app: 'shop', headers: {}, rawBody: bytes(body) });
    expect(again).toMatchObject({ status: 'delivered', redelivery: true, event: { kind: 'refunded' } });
    expect(refunded).toHaveLength(1);
  });
});

describe('verifyNotification (API v3, with WeChat headers)', () => {
  const MCH = '1230000109';
  const APP = 'wxd678efh567hg6787';
  const V3_KEY = '0123456789abcdef0123456789abcdef';
  const PUB_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000';
  const NOW = 1_700_000_000_000;
  const merchantKeys = generateTestRsaKeyPair();
  const wechatKeys = generateTestRsaKeyPair();
  const instances: WxPay[] = [];
  afterEach(async () => {
    await Promise.all(instances.splice(0).map((w) => w.close()));
  });

  function v3() {
    const wxpay = createWxPay({
      merchants: [
        {
          name: 'main',
          mchId: MCH,
          apiVersion: 'v3',
          privateKey: merchantKeys.privateKey,
          certSerialNo: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
          apiV3Key: V3_KEY,
          wechatpayPublicKey: wechatKeys.publicKey,
          wechatpayPublicKeyId: PUB_KEY_ID,
          baseUrl: 'http://127.0.0.1:9',
        },
      ],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP] }],
      notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
      notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund',
      now: () => NOW,
    });
    instances.push(wxpay);
    const paid: PaidEvent[] = [];
    wxpay.on('paid', (e) => void paid.push(e));
    return { wxpay, paid };
  }

  const notification = (signerKey = wechatKeys.privateKey) =>
    buildV3Notification({
      resource: buildV3Transaction({
        appid: APP,
        mchid: MCH,
        out_trade_no: 'T3',
        transaction_id: '4200000003',
        amount: { total: 300, payer_total: 300, currency: 'CNY', payer_currency: 'CNY' },
      }),
      apiV3Key: V3_KEY,
      signer: { privateKey: signerKey, serial: PUB_KEY_ID, timestamp: NOW / 1000 },
    });

  it('verifies the signature headers (any case), decrypts, fires paid once and answers in v3 JSON', async () => {
    const { wxpay, paid } = v3();
    const n = notification();
    const upper = Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()), v]));
    const first = await wxpay.verifyNotification({ kind: 'pay', app: 'shop', headers: upper, rawBody: bytes(n.body) });
    expect(first).toMatchObject({
      status: 'delivered',
      version: 'v3',
      redelivery: false,
      event: { payload: { orderId: 'T3', totalFee: 300 } },
    });
    expect(JSON.parse(bodyText(first.reply.body))).toMatchObject({ code: 'SUCCESS' });
    const again = await wxpay.verifyNotification({ kind: 'pay', app: 'shop', headers: n.headers, rawBody: bytes(n.body) });
    expect(again).toMatchObject({ status: 'delivered', redelivery: true });
    expect(paid).toHaveLength(1);
  });

  const transferCallback = (state: string, signerKey = wechatKeys.privateKey, extra: Record<string, unknown> = {}) =>
    buildV3Notification({
      eventType: 'MCHTRANSFER.BILL.FINISHED',
      resource: {
        out_bill_no: 'TB1',
        transfer_bill_no: '1330000071100999991182020050700019480001',
        state,
        mch_id: MCH,
        transfer_amount: 2000,
        openid: 'o-MYE42l80oelYMDE34nYD456Xoy',
        create_time: '2025-01-01T10:00:00+08:00',
        update_time: '2025-01-01T10:05:00+08:00',
        ...extra,
      },
      apiV3Key: V3_KEY,
      signer: { privateKey: signerKey, serial: PUB_KEY_ID, timestamp: NOW / 1000 },
    });

  it('a transfer callback: verified, decrypted, transferred fires once; repeats are redeliveries; forgeries and bare bodies are refused', async () => {
    const { wxpay } = v3();
    const transferred: TransferEvent[] = [];
    const errors: ErrorEvent[] = [];
    wxpay.on('transferred', (e) => void transferred.push(e));
    wxpay.on('error', (e) => void errors.push(e));
    const n = transferCallback('SUCCESS');
    const first = await wxpay.verifyNotification({ kind: 'transfer', app: 'shop', headers: n.headers, rawBody: bytes(n.body) });
    expect(first).toMatchObject({
      status: 'delivered',
      version: 'v3',
      redelivery: false,
      event: {
        kind: 'transferred',
        payload: { outBillNo: 'TB1', transferAmount: 2000, state: 'SUCCESS', source: 'notify', redelivery: false },
      },
    });
    expect(first.status === 'delivered' && first.event.payload).toMatchObject({ raw: { out_bill_no: 'TB1', mch_id: MCH } });
    expect(JSON.parse(bodyText(first.reply.body))).toMatchObject({ code: 'SUCCESS' });
    const again = await wxpay.verifyNotification({ kind: 'transfer', app: 'shop', headers: n.headers, rawBody: bytes(n.body) });
    expect(again).toMatchObject({ status: 'delivered', redelivery: true, event: { kind: 'transferred', payload: { redelivery: true } } });
    // The same callback at the notify route changes nothing either.
    expect((await wxpay.handle({ method: 'POST', path: '/notify-transfer/shop', headers: n.headers, rawBody: bytes(n.body) })).status).toBe(
      200,
    );
    expect(transferred).toHaveLength(1);

    const forged = transferCallback('SUCCESS', generateTestRsaKeyPair().privateKey, { out_bill_no: 'TB2' });
    const refused = await wxpay.verifyNotification({ kind: 'transfer', app: 'shop', headers: forged.headers, rawBody: bytes(forged.body) });
    expect(refused).toMatchObject({ status: 'refused', version: 'v3', error: { code: 'WXPAY_ERR_SIGNATURE' } });
    expect(refused.reply.status).toBeGreaterThanOrEqual(400);
    expect(JSON.parse(bodyText(refused.reply.body))).toMatchObject({ code: 'FAIL' });
    const bare = await wxpay.verifyNotification({
      kind: 'transfer',
      app: 'shop',
      headers: {},
      rawBody: bytes(transferCallback('FAIL').body),
    });
    expect(bare).toMatchObject({ status: 'refused', version: 'v3' });
    expect(transferred).toHaveLength(1);
    expect(errors.map((e) => e.route)).toEqual(['/notify-transfer/:app', '/notify-transfer/:app']);
  });

  it('a transfer callback for an API v2 merchant holding v3 keys is verified with them; without v3 keys it is refused', async () => {
    const make = (v3Keys: boolean) => {
      const wxpay = createWxPay({
        merchants: [
          {
            name: 'main',
            mchId: MCH,
            apiKey: KEY_1,
            baseUrl: 'http://127.0.0.1:9',
            ...(v3Keys && {
              privateKey: merchantKeys.privateKey,
              certSerialNo: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
              apiV3Key: V3_KEY,
              wechatpayPublicKey: wechatKeys.publicKey,
              wechatpayPublicKeyId: PUB_KEY_ID,
            }),
          },
        ],
        apps: [{ name: 'shop', merchant: 'main', appIds: [APP] }],
        notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
        notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund',
        now: () => NOW,
      });
      instances.push(wxpay);
      const seen: string[] = [];
      wxpay.on('transferred', (e) => void seen.push(e.outBillNo));
      wxpay.on('error', () => undefined);
      return { wxpay, seen };
    };
    const n = transferCallback('SUCCESS');
    const withKeys = make(true);
    expect(withKeys.wxpay.config.merchant('main')?.apiVersion).toBe('v2');
    expect(
      await withKeys.wxpay.verifyNotification({ kind: 'transfer', app: 'shop', headers: n.headers, rawBody: bytes(n.body) }),
    ).toMatchObject({
      status: 'delivered',
      event: { kind: 'transferred' },
    });
    expect(
      (await withKeys.wxpay.handle({ method: 'POST', path: '/notify-transfer/shop', headers: n.headers, rawBody: bytes(n.body) })).status,
    ).toBe(200);
    expect(withKeys.seen).toEqual(['TB1']);
    const without = make(false);
    expect(
      await without.wxpay.verifyNotification({ kind: 'transfer', app: 'shop', headers: n.headers, rawBody: bytes(n.body) }),
    ).toMatchObject({
      status: 'refused',
      error: { message: 'a v3 notification arrived for a merchant without API v3 keys' },
    });
    expect(without.seen).toEqual([]);
  });

  it('a transfer callback of an unfinished bill is acknowledged and fires nothing; FAIL and CANCELLED fire their events', async () => {
    const { wxpay } = v3();
    const seen: string[] = [];
    for (const name of ['transferred', 'transfer-failed', 'transfer-cancelled'] as const)
      wxpay.on(name, (e) => void seen.push(`${name}:${e.outBillNo}`));
    const pending = transferCallback('TRANSFERING');
    expect(
      await wxpay.verifyNotification({ kind: 'transfer', app: 'shop', headers: pending.headers, rawBody: bytes(pending.body) }),
    ).toMatchObject({
      status: 'acknowledged',
      reason: 'transfer callback of an unfinished bill acknowledged',
    });
    const failed = transferCallback('FAIL', undefined, {
      out_bill_no: 'TBF',
      transfer_bill_no: '1330000071100999991182020050700019480002',
      fail_reason: 'OVERDUE_CLOSE',
    });
    expect(
      await wxpay.verifyNotification({ kind: 'transfer', app: 'shop', headers: failed.headers, rawBody: bytes(failed.body) }),
    ).toMatchObject({
      status: 'delivered',
      event: { kind: 'transfer-failed', payload: { failReason: 'OVERDUE_CLOSE' } },
    });
    const cancelled = transferCallback('CANCELLED', undefined, {
      out_bill_no: 'TBC',
      transfer_bill_no: '1330000071100999991182020050700019480003',
    });
    expect(
      await wxpay.verifyNotification({ kind: 'transfer', app: 'shop', headers: cancelled.headers, rawBody: bytes(cancelled.body) }),
    ).toMatchObject({ status: 'delivered', event: { kind: 'transfer-cancelled' } });
    expect(seen).toEqual(['transfer-failed:TBF', 'transfer-cancelled:TBC']);
  });

  it('refuses a v3 notification signed by another key, or without its headers, firing nothing', async () => {
    const { wxpay, paid } = v3();
    const forged = notification(generateTestRsaKeyPair().privateKey);
    const out = await wxpay.verifyNotification({ kind: 'pay', app: 'shop', headers: forged.headers, rawBody: bytes(forged.body) });
    expect(out).toMatchObject({ status: 'refused', version: 'v3', error: { code: 'WXPAY_ERR_SIGNATURE' } });
    expect(JSON.parse(bodyText(out.reply.body))).toMatchObject({ code: 'FAIL' });
    const bare = await wxpay.verifyNotification({ kind: 'pay', app: 'shop', headers: {}, rawBody: bytes(notification().body) });
    expect(bare.status).toBe('refused');
    expect(paid).toEqual([]);
  });
});
