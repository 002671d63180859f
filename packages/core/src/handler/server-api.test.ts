/**
 * The instance's server-side calls (`wxpay.createPay()`, `refund()`, `queryOrder()`, …) against
 * the JSON routes they share their work with: the same request reaches WeChat (notify URL,
 * `time_expire`, fields), the same records are kept, the same events fire, and failures are the
 * typed errors the routes turn into their replies.
 */
import { describe, expect, it } from 'vitest';
import type { UnifiedOrderInput } from '../client/types.js';
import { ValidationError, WxPayError, WxPayKitError } from '../errors.js';
import type { PaidEvent } from '../events/event-map.js';
import type { TransferEvent } from '../model/transfer.js';
import { createMemoryDedupStore } from '../stores/memory-dedup-store.js';
import { refundRecordKey } from '../flow/store-keys.js';
import { createHandler } from './create-handler.js';
import { APP_ID_1, MCH_1, bodyText, jsonRequest, scriptedClient, testConfig } from '../../test/helpers/handler-fixtures.js';

function setup() {
  const client = scriptedClient();
  const store = createMemoryDedupStore();
  const wxpay = createHandler(testConfig({ store }), client);
  return { wxpay, client, store };
}

async function route(wxpay: ReturnType<typeof setup>['wxpay'], path: string, body: unknown) {
  const out = await wxpay.handle(jsonRequest(path, body));
  return { status: out.status, json: JSON.parse(bodyText(out.body)) as Record<string, unknown> };
}

/** What was sent to WeChat, without the order number (which differs between the two calls). */
function sentWithout(input: unknown, key: string): Record<string, unknown> {
  const { [key]: _, ...rest } = input as Record<string, unknown>;
  return rest;
}

const order = { goods: 'T-shirt', udd: 'u1', fee: 101, ip: '10.0.0.1' };

describe('wxpay.createPay()', () => {
  it('sends WeChat what POST create-pay sends (notify URL, time_expire, attach) and records the same order', async () => {
    const { wxpay, client, store } = setup();
    const viaRoute = await route(wxpay, '/create-pay/NATIVE', {
      appId: APP_ID_1,
      payApp: 'shop',
      orderId: 'r1',
      productId: 'p1',
      ...order,
    });
    expect(viaRoute.status).toBe(200);
    const result = await wxpay.createPay({ app: 'shop', type: 'NATIVE', orderId: 'm1', productId: 'p1', ...order });

    const [fromRoute, fromMethod] = client.calls.map((c) => c.input as UnifiedOrderInput);
    expect(fromMethod?.notifyUrl).toBe('https://pay.example.com/wxpay/notify-pay/shop');
    expect(fromMethod?.notifyUrl).toBe(fromRoute?.notifyUrl);
    expect(sentWithout(fromMethod, 'outTradeNo')).toEqual(sentWithout(fromRoute, 'outTradeNo'));
    expect(fromMethod?.outTradeNo).toBe('m1');

    const recorded = await store.getOrder(`${MCH_1}:m1`);
    expect(recorded).toEqual({ ...(await store.getOrder(`${MCH_1}:r1`)) });
    expect(recorded).toMatchObject({ app: 'shop', appId: APP_ID_1, totalFee: 101, expiresAt: 1_700_000_000_000 + 120 * 60_000 });

    expect(result).toMatchObject({
      orderId: 'm1',
      prepayId: 'wxm1',
      notifyUrl: 'https://pay.example.com/wxpay/notify-pay/shop',
      clientParams: { tradeType: 'NATIVE', codeUrl: 'weixin://wxpay/bizpayurl?pr=abc' },
    });
    expect(result.expiresAt).toEqual(new Date(1_700_000_000_000 + 120 * 60_000));
  });

  it("takes the call's own notifyUrl, as the route does", async () => {
    const { wxpay, client } = setup();
    const notifyUrl = 'https://shop.example.com/own/notify';
    const result = await wxpay.createPay({ app: 'shop', type: 'APP', orderId: 'm2', notifyUrl, ...order });
    expect((client.calls[0]?.input as UnifiedOrderInput).notifyUrl).toBe(notifyUrl);
    expect(result.notifyUrl).toBe(notifyUrl);
  });

  it.each([
    ['a fee that is not whole fen', { fee: 1.5 }, 'fee', 'fee: must be an integer number of fen'],
    ['an unknown app', { app: 'nope' }, 'app', "app: unknown app 'nope'"],
    ['an app id of another app', { appId: 'wx2222222222222222' }, 'appId', "appId: 'wx2222222222222222' is not an app id of app 'shop'"],
    ['an unknown type', { type: 'CARD' }, 'type', 'type: must be one of JSAPI, NATIVE, APP, H5'],
    ['a notify URL with a query string', { notifyUrl: 'https://a.example/n?x=1' }, 'notifyUrl', undefined],
    ['no goods', { goods: '' }, 'goods', 'goods: must be a non-empty string'],
  ])('refuses %s with a ValidationError naming %s, sending nothing', async (_name, change, field, message) => {
    const { wxpay, client } = setup();
    const call = { app: 'shop', type: 'NATIVE', orderId: 'bad1', ...order, ...change } as never;
    const error = await wxpay.createPay(call).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'WXPAY_ERR_VALIDATION', retryable: false, field });
    if (message !== undefined) expect((error as Error).message).toBe(message);
    expect(client.calls).toHaveLength(0);
  });

  it('refuses what is not an object at all with a ValidationError', async () => {
    const { wxpay } = setup();
    await expect(wxpay.createPay(undefined as never)).rejects.toBeInstanceOf(ValidationError);
  });

  it('gives the route the same message for the same mistake', async () => {
    const { wxpay } = setup();
    const viaRoute = await route(wxpay, '/create-pay/NATIVE', { appId: APP_ID_1, payApp: 'shop', orderId: 'b2', ...order, fee: 0 });
    const error = await wxpay.createPay({ app: 'shop', type: 'NATIVE', orderId: 'b2', ...order, fee: 0 }).catch((e: unknown) => e);
    expect(viaRoute.json['msg']).toBe((error as Error).message);
  });
});

describe('wxpay.refund() and wxpay.queryRefund()', () => {
  it("sends the route's refund notify URL and records the refund the notification is checked against", async () => {
    const { wxpay, client, store } = setup();
    await route(wxpay, '/create-refund', { appId: APP_ID_1, payApp: 'shop', orderId: 'o1', refundId: 'rr1', totalFee: 100, refundFee: 40 });
    const result = await wxpay.refund({ app: 'shop', orderId: 'o1', refundId: 'rm1', totalFee: 100, refundFee: 40 });
    const [fromRoute, fromMethod] = client.calls.map((c) => c.input as Record<string, unknown>);
    expect(fromMethod?.['notifyUrl']).toBe('https://pay.example.com/wxpay/notify-refund/shop');
    expect(sentWithout(fromMethod, 'outRefundNo')).toEqual(sentWithout(fromRoute, 'outRefundNo'));
    expect(result).toMatchObject({ outRefundNo: 'rm1', refundFee: 40, notifyUrl: 'https://pay.example.com/wxpay/notify-refund/shop' });
    expect(await store.getOrder(refundRecordKey(MCH_1, 'rm1'))).toMatchObject({
      app: 'shop',
      totalFee: 40,
      orderId: 'o1',
      orderTotalFee: 100,
    });
    expect(await store.getOrder(refundRecordKey(MCH_1, 'rm1'))).toEqual({ ...(await store.getOrder(refundRecordKey(MCH_1, 'rr1'))) });
  });

  it('refuses a refund above the total and a refund naming no order, sending nothing', async () => {
    const { wxpay, client } = setup();
    await expect(wxpay.refund({ app: 'shop', orderId: 'o1', refundId: 'r', totalFee: 100, refundFee: 101 })).rejects.toMatchObject({
      code: 'WXPAY_ERR_VALIDATION',
      field: 'refundFee',
    });
    await expect(wxpay.refund({ app: 'shop', refundId: 'r', totalFee: 100, refundFee: 1 })).rejects.toMatchObject({ field: 'orderId' });
    await expect(wxpay.queryRefund({ app: 'shop' })).rejects.toMatchObject({ field: 'refundId' });
    expect(client.calls).toHaveLength(0);
  });

  it('answers the refunds of an order', async () => {
    const { wxpay } = setup();
    const result = await wxpay.queryRefund({ app: 'shop', orderId: 'o1' });
    expect(result.refunds[0]).toMatchObject({ refundStatus: 'SUCCESS', refundFee: 100 });
  });
});

describe('wxpay.queryOrder(), closeOrder() and confirm()', () => {
  it("rejects with WeChat's refusal as a typed WxPayError (errCode, retryable), as the route answers it", async () => {
    const { wxpay, client } = setup();
    client.orderState = new WxPayError({ errCode: 'ORDERNOTEXIST', errCodeDes: '此交易订单号不存在', layer: 'result' });
    const error = await wxpay.queryOrder({ app: 'shop', orderId: 'missing' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WxPayKitError);
    expect(error).toMatchObject({ code: 'WXPAY_ERR_WXPAY', errCode: 'ORDERNOTEXIST', retryable: false });
    const viaRoute = await route(wxpay, '/query-order', { appId: APP_ID_1, payApp: 'shop', orderId: 'missing' });
    expect(viaRoute.json).toMatchObject({ code: 404, err_code: 'ORDERNOTEXIST', msg: (error as Error).message });
  });

  it('answers the typed order state', async () => {
    const { wxpay, client } = setup();
    client.orderState = { tradeState: 'NOTPAY' };
    await expect(wxpay.queryOrder({ app: 'shop', orderId: 'o1' })).resolves.toMatchObject({ tradeState: 'NOTPAY', outTradeNo: 'o1' });
    expect(client.calls[0]?.input).toEqual({ merchant: 'm1', appId: APP_ID_1, outTradeNo: 'o1' });
  });

  it('closes by orderId only', async () => {
    const { wxpay, client } = setup();
    await expect(wxpay.closeOrder({ app: 'shop', orderId: 'o1' })).resolves.toBeUndefined();
    expect(client.calls[0]).toEqual({ method: 'closeOrder', input: { merchant: 'm1', appId: APP_ID_1, outTradeNo: 'o1' } });
    await expect(wxpay.closeOrder({ app: 'shop', transactionId: '4200' })).rejects.toMatchObject({ field: 'transactionId' });
    await expect(wxpay.queryOrder({ app: 'shop', orderId: 'o1', transactionId: '4200' })).rejects.toMatchObject({ field: 'orderId' });
  });

  it("confirm fires 'paid' once per transaction, shared with POST confirm", async () => {
    const { wxpay, client } = setup();
    const paid: PaidEvent[] = [];
    wxpay.on('paid', (event) => void paid.push(event));
    await wxpay.createPay({ app: 'shop', type: 'NATIVE', orderId: 'c1', ...order });
    client.orderState = { tradeState: 'SUCCESS', transactionId: '4200000000000000000000000001', totalFee: 101, outTradeNo: 'c1' };
    const result = await wxpay.confirm({ app: 'shop', orderId: 'c1' });
    expect(result.tradeState).toBe('SUCCESS');
    await wxpay.confirm({ app: 'shop', orderId: 'c1' });
    expect((await route(wxpay, '/confirm', { appId: APP_ID_1, payApp: 'shop', orderId: 'c1' })).status).toBe(200);
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({ orderId: 'c1', totalFee: 101, source: 'confirm', recordChecked: true });
  });

  it("confirm rejects with a listener's failure and reports it on 'error'", async () => {
    const { wxpay, client } = setup();
    const errors: unknown[] = [];
    wxpay.on('error', (event) => void errors.push(event));
    wxpay.on('paid', () => {
      throw new Error('database down');
    });
    client.orderState = { tradeState: 'SUCCESS', transactionId: '4200000000000000000000000002', totalFee: 101, outTradeNo: 'c2' };
    const error = await wxpay.confirm({ app: 'shop', orderId: 'c2' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'WXPAY_ERR_LISTENER', retryable: true });
    expect(errors).toEqual([expect.objectContaining({ route: 'confirm()', app: 'shop' })]);
  });
});

describe('the transfer calls', () => {
  it("createTransfer sends the route's callback URL and records the bill; confirmTransfer fires once", async () => {
    const { wxpay, client } = setup();
    const events: TransferEvent[] = [];
    wxpay.on('transferred', (event) => void events.push(event));
    const call = {
      app: 'shop',
      outBillNo: 'B1',
      openId: 'o1',
      fee: 100,
      remark: 'r',
      sceneId: '1000',
      sceneReportInfos: [{ infoType: '活动名称', infoContent: '新会员' }],
    };
    const bill = await wxpay.createTransfer(call);
    expect(bill).toMatchObject({ outBillNo: 'B1', state: 'WAIT_USER_CONFIRM', packageInfo: 'PKG' });
    expect(client.calls[0]?.input).toMatchObject({ notifyUrl: 'https://pay.example.com/wxpay/notify-transfer/shop', transferAmount: 100 });
    await expect(wxpay.queryTransfer({ app: 'shop', outBillNo: 'B1' })).resolves.toMatchObject({ state: 'WAIT_USER_CONFIRM' });
    await expect(wxpay.queryTransfer({ app: 'shop' })).rejects.toMatchObject({ field: 'outBillNo' });
    await expect(wxpay.cancelTransfer({ app: 'shop', outBillNo: 'B1' })).resolves.toMatchObject({ state: 'CANCELING' });
    client.transferState = 'SUCCESS';
    await wxpay.confirmTransfer({ app: 'shop', outBillNo: 'B1' });
    await wxpay.confirmTransfer({ app: 'shop', outBillNo: 'B1' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outBillNo: 'B1', source: 'confirm' });
  });
});
