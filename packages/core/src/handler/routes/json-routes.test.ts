import { describe, expect, it } from 'vitest';
import type { UnifiedOrderInput } from '../../client/types.js';
import { WxPayError } from '../../errors.js';
import { createMemoryDedupStore } from '../../stores/memory-dedup-store.js';
import { createHandler } from '../create-handler.js';
import { APP_ID_1, APP_ID_2, MCH_1, bodyText, jsonRequest, scriptedClient, testConfig } from '../../../test/helpers/handler-fixtures.js';

function setup() {
  const client = scriptedClient();
  const store = createMemoryDedupStore();
  const wxpay = createHandler(testConfig({ store }), client);
  return { wxpay, client, store };
}

const order = { appId: APP_ID_1, payApp: 'shop', goods: 'T-shirt', udd: 'u1', orderId: 'o001', fee: 101, ip: '10.0.0.1' };

async function call(wxpay: ReturnType<typeof setup>['wxpay'], path: string, body: unknown) {
  const out = await wxpay.handle(jsonRequest(path, body));
  return { status: out.status, type: out.headers['content-type'], json: JSON.parse(bodyText(out.body)) as Record<string, unknown> };
}

describe('POST /create-pay/:type', () => {
  it('JSAPI: places the order with the app notify URL and answers jsapi_params and prepay_id', async () => {
    const { wxpay, client, store } = setup();
    const out = await call(wxpay, '/create-pay/JSAPI', { ...order, openId: 'openid-1' });
    expect(out.status).toBe(200);
    expect(out.type).toBe('application/json; charset=utf-8');
    expect(out.json).toEqual({
      code: 200,
      msg: 'OK',
      result: {
        prepay_id: 'wxo001',
        jsapi_params: {
          appId: APP_ID_1,
          timeStamp: '1700000000',
          nonceStr: 'n',
          package: 'prepay_id=wxo001',
          signType: 'MD5',
          paySign: expect.stringMatching(/^[0-9A-F]{32}$/),
        },
      },
    });
    expect(client.calls[0]?.input).toMatchObject({
      merchant: 'm1',
      appId: APP_ID_1,
      tradeType: 'JSAPI',
      outTradeNo: 'o001',
      totalFee: 101,
      body: 'T-shirt',
      attach: 'u1',
      spbillCreateIp: '10.0.0.1',
      openId: 'openid-1',
      notifyUrl: 'https://pay.example.com/wxpay/notify-pay/shop',
    } satisfies Partial<UnifiedOrderInput>);
    // time_expire: orderExpireMinutes (120) after creation, sent and recorded.
    expect((client.calls[0]?.input as UnifiedOrderInput).timeExpire).toEqual(new Date(1_700_000_000_000 + 120 * 60_000));
    expect(await store.getOrder(`${MCH_1}:o001`)).toEqual({
      app: 'shop',
      appId: APP_ID_1,
      mchId: MCH_1,
      totalFee: 101,
      createdAt: 1_700_000_000_000,
      expiresAt: 1_700_000_000_000 + 120 * 60_000,
    });
  });

  it('sends time_expire orderExpireMinutes after creation', async () => {
    const client = scriptedClient();
    const store = createMemoryDedupStore();
    const wxpay = createHandler(testConfig({ store, orderExpireMinutes: 15 }), client);
    await call(wxpay, '/create-pay/APP', order);
    expect((client.calls[0]?.input as UnifiedOrderInput).timeExpire).toEqual(new Date(1_700_000_000_000 + 15 * 60_000));
    expect((await store.getOrder(`${MCH_1}:o001`))?.expiresAt).toBe(1_700_000_000_000 + 15 * 60_000);
  });

  it.each([
    [
      'H5',
      'MWEB',
      { redirectUrl: 'https://shop.example.com/done', sceneInfo: { h5_info: { type: 'Wap', wap_url: 'https://a', wap_name: 'a' } } },
      ['pay_url', 'prepay_id'],
    ],
    ['APP', 'APP', {}, ['prepay_id', 'req_params']],
    ['NATIVE', 'NATIVE', { productId: 'p1' }, ['code_url', 'prepay_id']],
    ['native', 'NATIVE', { productId: 'p1' }, ['code_url', 'prepay_id']],
  ])('%s maps to trade type %s and answers the seed result keys', async (type, tradeType, extra, keys) => {
    const { wxpay, client } = setup();
    const out = await call(wxpay, `/create-pay/${type}`, { ...order, ...extra });
    expect(out.status).toBe(200);
    expect(Object.keys(out.json['result'] as object).sort()).toEqual(keys);
    expect((client.calls[0]?.input as UnifiedOrderInput).tradeType).toBe(tradeType);
    if (type === 'H5') {
      expect(client.calls[0]?.input).toMatchObject({
        redirectUrl: 'https://shop.example.com/done',
        sceneInfo: { h5_info: { type: 'Wap' } },
      });
    }
  });

  it.each([
    ['an unknown payApp', { ...order, payApp: 'ghost' }, 'payApp'],
    ['an appId of another app', { ...order, appId: APP_ID_2 }, 'appId'],
    ['a fractional fee', { ...order, fee: 1.5 }, 'fee'],
    ['a fee given as text', { ...order, fee: '101' }, 'fee'],
    ['a zero fee', { ...order, fee: 0 }, 'fee'],
    ['a missing orderId', { ...order, orderId: undefined }, 'orderId'],
  ])('answers 400 {code, msg} for %s, without calling WeChat', async (_name, body, field) => {
    const { wxpay, client } = setup();
    const out = await call(wxpay, '/create-pay/JSAPI', body);
    expect(out.status).toBe(400);
    expect(out.json['code']).toBe(400);
    expect(out.json['msg']).toMatch(new RegExp(`^${field}`));
    expect(client.calls).toEqual([]);
  });

  it('answers 400 for an unknown pay type', async () => {
    const { wxpay } = setup();
    const out = await call(wxpay, '/create-pay/BITCOIN', order);
    expect([out.status, out.json['code']]).toEqual([400, 400]);
  });

  it('answers WeChat’s refusal with its err_code (409 for an order already paid), and records no order', async () => {
    const { wxpay, client, store } = setup();
    client.failNext = new WxPayError({ errCode: 'ORDERPAID', errCodeDes: '该订单已支付', layer: 'result' });
    const out = await call(wxpay, '/create-pay/APP', order);
    expect(out).toMatchObject({
      status: 409,
      json: { code: 409, msg: 'WeChat Pay answered ORDERPAID: 该订单已支付', err_code: 'ORDERPAID', retryable: false },
    });
    expect(await store.getOrder(`${MCH_1}:o001`)).toBeUndefined();
  });
});

describe('POST /query-order', () => {
  it('answers the flat snake_case order state of the seed', async () => {
    const { wxpay, client } = setup();
    client.orderState = {
      tradeState: 'SUCCESS',
      transactionId: '4200000001',
      openId: 'openid-1',
      isSubscribe: true,
      tradeType: 'JSAPI',
      bankType: 'CMC',
      totalFee: 101,
      cashFee: 101,
      feeType: 'CNY',
      attach: 'u1',
      timeEnd: '20190530105704',
    };
    const out = await call(wxpay, '/query-order', { appId: APP_ID_1, payApp: 'shop', orderId: 'o002' });
    expect(out.status).toBe(200);
    expect(out.json).toMatchObject({
      app_id: APP_ID_1,
      mch_id: MCH_1,
      trade_state: 'SUCCESS',
      open_id: 'openid-1',
      is_subscribe: true,
      trade_type: 'JSAPI',
      bank_type: 'CMC',
      total_fee: 101,
      cash_fee: 101,
      coupon_count: 0,
      coupons: null,
      transaction_id: '4200000001',
      order_id: 'o002',
      attach: 'u1',
      time_end: '20190530105704',
    });
    expect(out.json).not.toHaveProperty('code');
    expect(client.calls[0]?.input).toEqual({ merchant: 'm1', appId: APP_ID_1, outTradeNo: 'o002' });
  });
});

describe('POST /close-order', () => {
  it('closes and answers {code: 200, msg: OK}', async () => {
    const { wxpay, client } = setup();
    const out = await call(wxpay, '/close-order', { appId: APP_ID_1, payApp: 'shop', orderId: 'o003' });
    expect(out.json).toEqual({ code: 200, msg: 'OK' });
    expect(client.calls[0]).toEqual({ method: 'closeOrder', input: { merchant: 'm1', appId: APP_ID_1, outTradeNo: 'o003' } });
  });
});

describe('POST /create-refund', () => {
  it('refunds with the app refund notify URL and answers the seed result', async () => {
    const { wxpay, client } = setup();
    const out = await call(wxpay, '/create-refund', {
      appId: APP_ID_1,
      payApp: 'shop',
      orderId: 'o002',
      refundId: 'r002',
      totalFee: 101,
      refundFee: 101,
      refundReason: 'size',
    });
    expect(out.status).toBe(200);
    expect(out.json).toMatchObject({
      code: 200,
      msg: 'OK',
      result: {
        app_id: APP_ID_1,
        mch_id: MCH_1,
        order_id: 'o002',
        refund_id: 'r002',
        wx_refund_id: '50000408942024010100000000001',
        total_fee: 101,
        refund_fee: 101,
        refund_coupons: null,
      },
    });
    expect(client.calls[0]?.input).toMatchObject({
      outTradeNo: 'o002',
      outRefundNo: 'r002',
      refundDesc: 'size',
      notifyUrl: 'https://pay.example.com/wxpay/notify-refund/shop',
    });
  });

  it('answers 400 when the refund exceeds the total', async () => {
    const { wxpay, client } = setup();
    const out = await call(wxpay, '/create-refund', {
      appId: APP_ID_1,
      payApp: 'shop',
      orderId: 'o',
      refundId: 'r',
      totalFee: 100,
      refundFee: 101,
    });
    expect(out.status).toBe(400);
    expect(client.calls).toEqual([]);
  });
});

describe('POST /query-refund', () => {
  it('queries by the merchant refund number and answers every refund', async () => {
    const { wxpay, client } = setup();
    const out = await call(wxpay, '/query-refund', { appId: APP_ID_1, payApp: 'shop', refundId: 'r002' });
    expect(out.json).toMatchObject({
      code: 200,
      result: { refunds: [{ refund_id: 'r002', wx_refund_id: '50000408942024010100000000001', refund_status: 'SUCCESS' }] },
    });
    expect(client.calls[0]?.input).toMatchObject({ outRefundNo: 'r002' });
  });

  it('answers 400 when no id is given', async () => {
    const { wxpay } = setup();
    expect((await call(wxpay, '/query-refund', { appId: APP_ID_1, payApp: 'shop' })).status).toBe(400);
  });
});
