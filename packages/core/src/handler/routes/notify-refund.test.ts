import { describe, expect, it } from 'vitest';
import { buildRefundNotifyXml } from '../../testing/index.js';
import type { ErrorEvent, RefundFailedEvent, RefundedEvent } from '../../events/event-map.js';
import { WxPayError } from '../../errors.js';
import type { DedupStore } from '../../stores/dedup-store.js';
import { createMemoryDedupStore } from '../../stores/memory-dedup-store.js';
import { createHandler } from '../create-handler.js';
import {
  APP_ID_1,
  APP_ID_2,
  KEY_1,
  KEY_2,
  MCH_1,
  bodyText,
  jsonRequest,
  scriptedClient,
  testConfig,
  xmlRequest,
  type ScriptedClient,
} from '../../../test/helpers/handler-fixtures.js';

function setup(store?: DedupStore, client: ScriptedClient = scriptedClient()) {
  const wxpay = createHandler(testConfig(store === undefined ? {} : { store }), client);
  const refunded: RefundedEvent[] = [];
  const failed: RefundFailedEvent[] = [];
  const errors: ErrorEvent[] = [];
  wxpay.on('refunded', (e) => void refunded.push(e));
  wxpay.on('refund-failed', (e) => void failed.push(e));
  wxpay.on('error', (e) => void errors.push(e));
  return { wxpay, refunded, failed, errors };
}

const ok = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';
const isFail = (body: string | Uint8Array) => bodyText(body).includes('<return_code><![CDATA[FAIL]]></return_code>');

describe('POST /notify-refund/:app', () => {
  it('decrypts req_info with the merchant key and emits refunded once across redeliveries', async () => {
    const { wxpay, refunded, failed, errors } = setup();
    const xml = buildRefundNotifyXml({ out_trade_no: 'T1', out_refund_no: 'R1', refund_id: 'W1', refund_fee: 40, total_fee: 100 }, KEY_1);
    const outs = await Promise.all([1, 2, 3].map(() => wxpay.handle(xmlRequest('/notify-refund/shop', xml))));
    const again = await wxpay.handle(xmlRequest('/notify-refund/shop', xml));
    expect([...outs, again].map((o) => bodyText(o.body))).toEqual([ok, ok, ok, ok]);
    expect(errors).toEqual([]);
    expect(failed).toEqual([]);
    expect(refunded).toHaveLength(1);
    expect(refunded[0]).toMatchObject({
      app: 'shop',
      appId: APP_ID_1,
      mchId: MCH_1,
      orderId: 'T1',
      refundId: 'R1',
      wxRefundId: 'W1',
      refundFee: 40,
      totalFee: 100,
      refundStatus: 'SUCCESS',
      successTime: '2024-01-01 12:00:00',
      refundRecvAccount: '支付用户零钱',
      source: 'notify',
    });
  });

  it.each(['CHANGE', 'REFUNDCLOSE'] as const)('emits refund-failed for %s', async (status) => {
    const { wxpay, refunded, failed } = setup();
    const out = await wxpay.handle(
      xmlRequest('/notify-refund/shop', buildRefundNotifyXml({ refund_status: status, success_time: undefined }, KEY_1)),
    );
    expect(bodyText(out.body)).toBe(ok);
    expect(refunded).toEqual([]);
    expect(failed.map((e) => e.refundStatus)).toEqual([status]);
  });

  it('answers FAIL with a DecryptError when req_info was encrypted with another key', async () => {
    const { wxpay, refunded, errors } = setup();
    const out = await wxpay.handle(xmlRequest('/notify-refund/shop', buildRefundNotifyXml({}, KEY_2)));
    expect(isFail(out.body)).toBe(true);
    expect(refunded).toEqual([]);
    expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_DECRYPT']);
  });

  it('answers FAIL when the appid is not the app’s', async () => {
    const { wxpay, refunded, errors } = setup();
    const out = await wxpay.handle(xmlRequest('/notify-refund/shop', buildRefundNotifyXml({}, KEY_1, { appid: APP_ID_2 })));
    expect(isFail(out.body)).toBe(true);
    expect(refunded).toEqual([]);
    expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_APP_MISMATCH']);
  });

  it('answers FAIL when req_info is missing', async () => {
    const { wxpay, errors } = setup();
    const out = await wxpay.handle(
      xmlRequest('/notify-refund/shop', `<xml><return_code>SUCCESS</return_code><appid>${APP_ID_1}</appid><mch_id>${MCH_1}</mch_id></xml>`),
    );
    expect(isFail(out.body)).toBe(true);
    expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_DECRYPT']);
  });

  it('refuses a total that differs from the order recorded at create-pay', async () => {
    const { wxpay, refunded, errors } = setup();
    await wxpay.handle(
      jsonRequest('/create-pay/NATIVE', {
        appId: APP_ID_1,
        payApp: 'shop',
        goods: 'g',
        orderId: 'T7',
        fee: 300,
        ip: '1.2.3.4',
        productId: 'p',
      }),
    );
    const out = await wxpay.handle(xmlRequest('/notify-refund/shop', buildRefundNotifyXml({ out_trade_no: 'T7', total_fee: 100 }, KEY_1)));
    expect(isFail(out.body)).toBe(true);
    expect(refunded).toEqual([]);
    expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_AMOUNT_MISMATCH']);
  });

  it('answers FAIL when a listener rejects and emits again on the redelivery', async () => {
    const { wxpay, refunded } = setup();
    let attempt = 0;
    wxpay.on('refunded', () => {
      attempt++;
      if (attempt === 1) throw new Error('ledger unavailable');
    });
    const xml = buildRefundNotifyXml({}, KEY_1);
    const first = await wxpay.handle(xmlRequest('/notify-refund/shop', xml));
    const second = await wxpay.handle(xmlRequest('/notify-refund/shop', xml));
    expect(isFail(first.body)).toBe(true);
    expect(bodyText(second.body)).toBe(ok);
    expect(attempt).toBe(2);
    expect(refunded).toHaveLength(2);
  });

  describe('checked against the refund recorded at create-refund', () => {
    const createRefund = { appId: APP_ID_1, payApp: 'shop', orderId: 'T9', refundId: 'R9', totalFee: 300, refundFee: 40 };
    const notification = (info: Record<string, string | number> = {}) =>
      buildRefundNotifyXml({ out_trade_no: 'T9', out_refund_no: 'R9', refund_id: 'W9', refund_fee: 40, total_fee: 300, ...info }, KEY_1);

    it.each([
      ['a different refund_fee', { refund_fee: 300 }],
      ['another order', { out_trade_no: 'T8' }],
      ['a different total_fee', { total_fee: 3000 }],
    ])('refuses a notification with %s, then fires refunded once for the one that agrees', async (_what, info) => {
      const { wxpay, refunded, errors } = setup();
      expect((await wxpay.handle(jsonRequest('/create-refund', createRefund))).status).toBe(200);
      const out = await wxpay.handle(xmlRequest('/notify-refund/shop', notification(info)));
      expect(isFail(out.body)).toBe(true);
      expect(refunded).toEqual([]);
      expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_AMOUNT_MISMATCH']);
      const genuine = await wxpay.handle(xmlRequest('/notify-refund/shop', notification()));
      expect(bodyText(genuine.body)).toBe(ok);
      expect(refunded.map((e) => [e.orderId, e.refundId, e.refundFee, e.totalFee])).toEqual([['T9', 'R9', 40, 300]]);
    });

    it('records the refund under <mchId>:refund:<out_refund_no> with the refund fee as totalFee', async () => {
      const store = createMemoryDedupStore();
      const { wxpay } = setup(store);
      await wxpay.handle(jsonRequest('/create-refund', createRefund));
      expect(await store.getOrder(`${MCH_1}:refund:R9`)).toMatchObject({
        app: 'shop',
        appId: APP_ID_1,
        mchId: MCH_1,
        totalFee: 40,
        orderId: 'T9',
        orderTotalFee: 300,
      });
    });

    it('checks a refund recorded by an earlier version, whose order is tied to it under a second key', async () => {
      const store = createMemoryDedupStore();
      await store.putOrder(`${MCH_1}:refund:R9:order:T9`, { app: 'shop', appId: APP_ID_1, mchId: MCH_1, totalFee: 300, createdAt: 0 });
      await store.putOrder(`${MCH_1}:refund:R9`, { app: 'shop', appId: APP_ID_1, mchId: MCH_1, totalFee: 40, createdAt: 0 });
      const { wxpay, refunded, errors } = setup(store);
      for (const info of [{ out_trade_no: 'T8' }, { total_fee: 3000 }] as Record<string, string | number>[]) {
        expect(isFail((await wxpay.handle(xmlRequest('/notify-refund/shop', notification(info)))).body)).toBe(true);
      }
      expect(bodyText((await wxpay.handle(xmlRequest('/notify-refund/shop', notification()))).body)).toBe(ok);
      expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_AMOUNT_MISMATCH', 'WXPAY_ERR_AMOUNT_MISMATCH']);
      expect(refunded.map((e) => [e.refundId, e.recordChecked])).toEqual([['R9', true]]);
    });

    it('refuses a refund recorded for another app', async () => {
      const store = createMemoryDedupStore();
      await store.putOrder(`${MCH_1}:refund:R9`, { app: 'other', appId: APP_ID_2, mchId: MCH_1, totalFee: 40, createdAt: 0 });
      const { wxpay, refunded, errors } = setup(store);
      const out = await wxpay.handle(xmlRequest('/notify-refund/shop', notification()));
      expect(isFail(out.body)).toBe(true);
      expect(refunded).toEqual([]);
      expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_APP_MISMATCH']);
    });

    it('records nothing when WeChat refuses the refund, so its notifications pass unchecked', async () => {
      const client = scriptedClient();
      client.failNext = new WxPayError({ errCode: 'NOTENOUGH', errCodeDes: 'not enough balance', layer: 'result' });
      const { wxpay, refunded, errors } = setup(undefined, client);
      expect((await wxpay.handle(jsonRequest('/create-refund', createRefund))).status).not.toBe(200);
      const out = await wxpay.handle(xmlRequest('/notify-refund/shop', notification({ refund_fee: 300 })));
      expect(bodyText(out.body)).toBe(ok);
      expect(errors).toEqual([]);
      expect(refunded.map((e) => [e.refundFee, e.recordChecked])).toEqual([[300, false]]);
    });
  });
});
