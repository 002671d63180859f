import { describe, expect, it } from 'vitest';
import { buildPayNotification, signNotifyXml } from '../../testing/index.js';
import type { ErrorEvent, PaidEvent } from '../../events/event-map.js';
import { TransportError } from '../../errors.js';
import { createHandler } from '../create-handler.js';
import {
  APP_ID_1,
  KEY_1,
  MCH_1,
  bodyText,
  jsonRequest,
  scriptedClient,
  testConfig,
  xmlRequest,
} from '../../../test/helpers/handler-fixtures.js';

const paidOrder = {
  tradeState: 'SUCCESS',
  transactionId: '4200000000202401010000000077',
  outTradeNo: 'T77',
  openId: 'openid-1',
  tradeType: 'JSAPI',
  bankType: 'CMC',
  totalFee: 100,
  cashFee: 100,
  timeEnd: '20240101120000',
} as const;

function setup() {
  const client = scriptedClient();
  const wxpay = createHandler(testConfig(), client);
  const paid: PaidEvent[] = [];
  const errors: ErrorEvent[] = [];
  wxpay.on('paid', (e) => void paid.push(e));
  wxpay.on('error', (e) => void errors.push(e));
  return { wxpay, client, paid, errors };
}

const confirm = (orderId = 'T77') => jsonRequest('/confirm', { appId: APP_ID_1, payApp: 'shop', orderId });

describe('POST /confirm', () => {
  it('fires paid with source confirm once, and answers the order state', async () => {
    const { wxpay, client, paid } = setup();
    client.orderState = paidOrder;
    const first = await wxpay.handle(confirm());
    const second = await wxpay.handle(confirm());
    expect(first.status).toBe(200);
    expect(JSON.parse(bodyText(first.body))).toMatchObject({ trade_state: 'SUCCESS', order_id: 'T77', total_fee: 100 });
    expect(JSON.parse(bodyText(second.body))).toMatchObject({ trade_state: 'SUCCESS' });
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({
      source: 'confirm',
      orderId: 'T77',
      transactionId: paidOrder.transactionId,
      mchId: MCH_1,
      totalFee: 100,
      app: 'shop',
    });
  });

  it('fires nothing for an unpaid order', async () => {
    const { wxpay, paid } = setup();
    const out = await wxpay.handle(confirm());
    expect(JSON.parse(bodyText(out.body))).toMatchObject({ trade_state: 'NOTPAY' });
    expect(paid).toEqual([]);
  });

  it('gives one paid when a notification races it, whichever finishes first', async () => {
    const { wxpay, client, paid } = setup();
    client.orderState = paidOrder;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    wxpay.on('paid', () => gate);
    const xml = signNotifyXml(
      buildPayNotification({ out_trade_no: 'T77', transaction_id: paidOrder.transactionId, total_fee: 100 }),
      KEY_1,
    );
    const racing = [
      wxpay.handle(xmlRequest('/notify-pay/shop', xml)),
      wxpay.handle(confirm()),
      wxpay.handle(confirm()),
      wxpay.handle(xmlRequest('/notify-pay/shop', xml)),
    ];
    release();
    const outs = await Promise.all(racing);
    expect(outs.map((o) => o.status)).toEqual([200, 200, 200, 200]);
    expect(paid).toHaveLength(1);
  });

  it('does not fire again after the notification fired', async () => {
    const { wxpay, client, paid } = setup();
    const xml = signNotifyXml(
      buildPayNotification({ out_trade_no: 'T77', transaction_id: paidOrder.transactionId, total_fee: 100 }),
      KEY_1,
    );
    await wxpay.handle(xmlRequest('/notify-pay/shop', xml));
    client.orderState = paidOrder;
    await wxpay.handle(confirm());
    expect(paid.map((e) => e.source)).toEqual(['notify']);
  });

  it('answers the listener failure and reports it, and a later confirm fires again', async () => {
    const { wxpay, client, paid, errors } = setup();
    client.orderState = paidOrder;
    let attempt = 0;
    wxpay.on('paid', () => {
      if (++attempt === 1) throw new Error('crm down');
    });
    const first = await wxpay.handle(confirm());
    expect(first.status).toBe(500);
    expect(errors.map((e) => [e.error.code, e.route])).toEqual([['WXPAY_ERR_LISTENER', '/confirm']]);
    const second = await wxpay.handle(confirm());
    expect(second.status).toBe(200);
    expect(paid).toHaveLength(2);
    expect(attempt).toBe(2);
  });

  it('refuses a paid amount that differs from the recorded order', async () => {
    const { wxpay, client, paid, errors } = setup();
    await wxpay.handle(
      jsonRequest('/create-pay/APP', { appId: APP_ID_1, payApp: 'shop', goods: 'g', orderId: 'T77', fee: 999, ip: '1.1.1.1' }),
    );
    client.orderState = paidOrder;
    const out = await wxpay.handle(confirm());
    expect(out.status).toBe(400);
    expect(paid).toEqual([]);
    expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_AMOUNT_MISMATCH']);
  });

  it('answers 502 when WeChat cannot be reached', async () => {
    const { wxpay, client, paid } = setup();
    client.orderState = new TransportError('connect ECONNREFUSED');
    const out = await wxpay.handle(confirm());
    expect(out.status).toBe(502);
    expect(JSON.parse(bodyText(out.body))).toEqual({
      code: 502,
      msg: 'connect ECONNREFUSED',
      err_code: 'WXPAY_ERR_TRANSPORT',
      retryable: true,
    });
    expect(paid).toEqual([]);
  });
});
