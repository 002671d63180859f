/**
 * go-wxpay-gateway's current version names an order by `orderId` or by WeChat's `transactionId`,
 * takes a per-call `notifyUrl` on create-pay and create-refund, and a `debug` flag everywhere.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryDedupStore } from '../../stores/memory-dedup-store.js';
import { createHandler } from '../create-handler.js';
import { APP_ID_1, MCH_1, bodyText, jsonRequest, scriptedClient, testConfig } from '../../../test/helpers/handler-fixtures.js';

const TX = '4200000000202401010000000077';

function setup(receipt = false) {
  const client = scriptedClient();
  const store = createMemoryDedupStore();
  const config = testConfig({ store });
  const merchants = config.merchants.map((m) => (m.name === 'm1' ? { ...m, receipt } : m));
  const wxpay = createHandler(
    { ...config, merchants, merchantOfApp: (name) => merchants.find((m) => m.name === config.app(name)?.merchant) },
    client,
  );
  return { wxpay, client, store };
}

async function call(wxpay: ReturnType<typeof setup>['wxpay'], path: string, body: unknown) {
  const out = await wxpay.handle(jsonRequest(path, body));
  return { status: out.status, json: JSON.parse(bodyText(out.body)) as Record<string, unknown> };
}

const target = { appId: APP_ID_1, payApp: 'shop' };
const refund = { ...target, refundId: 'r001', totalFee: 101, refundFee: 101 };

describe('orderId or transactionId', () => {
  it('query-order and confirm ask WeChat by transaction id when given one', async () => {
    const { wxpay, client } = setup();
    client.orderState = { outTradeNo: 'o001', transactionId: TX };
    expect((await call(wxpay, '/query-order', { ...target, transactionId: TX })).json).toMatchObject({ order_id: 'o001' });
    expect((await call(wxpay, '/confirm', { ...target, transactionId: TX })).status).toBe(200);
    expect(client.calls.map((c) => c.input)).toEqual([
      { merchant: 'm1', appId: APP_ID_1, transactionId: TX },
      { merchant: 'm1', appId: APP_ID_1, transactionId: TX },
    ]);
  });

  it('create-refund refunds by transaction id and records the refund under the order WeChat names', async () => {
    const { wxpay, client, store } = setup();
    const original = client.refund.bind(client);
    client.refund = async (input) => ({ ...(await original(input)), outTradeNo: 'o001' });
    const out = await call(wxpay, '/create-refund', { ...refund, transactionId: TX });
    expect(out.status).toBe(200);
    expect(client.calls[0]?.input).toMatchObject({ transactionId: TX, outRefundNo: 'r001' });
    expect(client.calls[0]?.input).not.toHaveProperty('outTradeNo');
    expect(await store.getOrder(`${MCH_1}:refund:r001`)).toMatchObject({ orderId: 'o001', totalFee: 101 });
  });

  it('refuses both or neither, naming the fields, and calls nobody', async () => {
    const { wxpay, client } = setup();
    for (const path of ['/query-order', '/confirm', '/close-order']) {
      const both = await call(wxpay, path, { ...target, orderId: 'o001', transactionId: TX });
      expect(both).toMatchObject({ status: 400, json: { code: 400, msg: 'orderId: give orderId or transactionId, not both' } });
      const neither = await call(wxpay, path, target);
      expect(neither).toMatchObject({
        status: 400,
        json: { code: 400, msg: "orderId: give orderId (your order number) or transactionId (WeChat's)" },
      });
    }
    expect((await call(wxpay, '/create-refund', { ...refund, orderId: 'o001', transactionId: TX })).status).toBe(400);
    expect((await call(wxpay, '/create-refund', refund)).status).toBe(400);
    expect(client.calls).toEqual([]);
  });

  it('close-order refuses a transactionId: WeChat closes by the merchant order number only', async () => {
    const { wxpay, client } = setup();
    const out = await call(wxpay, '/close-order', { ...target, transactionId: TX });
    expect(out.status).toBe(400);
    expect(out.json['msg']).toMatch(/^transactionId: WeChat closes an order by its orderId only/);
    expect(client.calls).toEqual([]);
  });
});

describe('per-call notifyUrl', () => {
  const order = { ...target, goods: 'g', orderId: 'o001', fee: 101, ip: '10.0.0.1' };

  it('create-pay and create-refund send WeChat the caller notify URL instead of the app one', async () => {
    const { wxpay, client } = setup();
    await call(wxpay, '/create-pay/NATIVE', { ...order, productId: 'p', notifyUrl: 'https://shop.example.com/wx/paid' });
    await call(wxpay, '/create-refund', { ...refund, orderId: 'o001', notifyUrl: 'http://shop.example.com:8080/wx/refunded' });
    await call(wxpay, '/create-pay/NATIVE', { ...order, orderId: 'o002', productId: 'p', notifyUrl: '' });
    expect(client.calls.map((c) => (c.input as { notifyUrl?: string }).notifyUrl)).toEqual([
      'https://shop.example.com/wx/paid',
      'http://shop.example.com:8080/wx/refunded',
      'https://pay.example.com/wxpay/notify-pay/shop',
    ]);
  });

  it('refuses a notify URL that is not absolute http(s), carries a query string or is too long', async () => {
    const { wxpay, client } = setup();
    for (const notifyUrl of [
      '/wx/paid',
      'ftp://shop.example.com/x',
      'https://shop.example.com/x?a=1',
      `https://a.example.com/${'x'.repeat(240)}`,
      7,
    ]) {
      const pay = await call(wxpay, '/create-pay/NATIVE', { ...order, productId: 'p', notifyUrl });
      expect(pay.status, String(notifyUrl)).toBe(400);
      expect(pay.json['msg'], String(notifyUrl)).toMatch(/^notifyUrl: /);
      expect((await call(wxpay, '/create-refund', { ...refund, orderId: 'o001', notifyUrl })).status).toBe(400);
    }
    expect(client.calls).toEqual([]);
  });
});

describe('debug and receipt', () => {
  it('accepts debug: true/false on every route and refuses another type', async () => {
    const { wxpay } = setup();
    expect((await call(wxpay, '/query-order', { ...target, orderId: 'o001', debug: true })).status).toBe(200);
    expect((await call(wxpay, '/close-order', { ...target, orderId: 'o001', debug: false })).status).toBe(200);
    expect(await call(wxpay, '/query-order', { ...target, orderId: 'o001', debug: 'yes' })).toMatchObject({ status: 400 });
  });

  it('asks for the e-invoice entry on every order of a merchant with receipt', async () => {
    const withReceipt = setup(true);
    await call(withReceipt.wxpay, '/create-pay/APP', { ...target, goods: 'g', orderId: 'o1', fee: 1, ip: '1.1.1.1' });
    expect(withReceipt.client.calls[0]?.input).toMatchObject({ receipt: true });
    const without = setup(false);
    await call(without.wxpay, '/create-pay/APP', { ...target, goods: 'g', orderId: 'o1', fee: 1, ip: '1.1.1.1' });
    expect(without.client.calls[0]?.input).not.toHaveProperty('receipt');
  });
});
