import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createSimulator,
  createSimulatorClient,
  DEFAULT_MERCHANT,
  SimulatorError,
  startSimulator,
  type RunningSimulator,
  type SimulatorControl,
} from '@wxpay-kit/simulator';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { orderFields, wx } from './helpers.js';

let sim: RunningSimulator;
let client: SimulatorControl;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  client = createSimulatorClient(sim.url);
});
afterAll(() => sim.close());
beforeEach(() => client.reset());

const place = async (no: string, overrides: Record<string, string | number | undefined> = {}) => {
  const res = await wx(sim.url, '/pay/unifiedorder', sim.merchants[0]!, orderFields(no, overrides));
  expect(res.xml['result_code']).toBe('SUCCESS');
};

describe('startSimulator', () => {
  it('creates the default merchant when none is given and lists it under /_sim/merchants', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.merchants).toHaveLength(1);
    expect(sim.merchants[0]).toMatchObject({ mchId: DEFAULT_MERCHANT.mchId, apiKey: DEFAULT_MERCHANT.apiKey, signType: 'MD5' });
    expect(sim.merchants[0]!.sandboxKey).toMatch(/^[0-9a-f]{32}$/);
    expect(await client.listMerchants()).toEqual(sim.merchants);
  });

  it('refuses merchant lists that cannot work', () => {
    expect(() => createSimulator({ merchants: [{ mchId: '1', apiKey: 'k', appIds: [] }] })).toThrow(/appIds/);
    expect(() =>
      createSimulator({
        merchants: [
          { mchId: '1', apiKey: 'k', appIds: ['a'] },
          { mchId: '1', apiKey: 'k', appIds: ['b'] },
        ],
      }),
    ).toThrow(/twice/);
  });

  it('serves under a base path when embedded, next to other routes of the host', async () => {
    const embedded = createSimulator({ basePath: '/wechat' });
    const host = createServer((req, res) => {
      if (req.url?.startsWith('/wechat/')) return embedded.listener(req, res);
      res.end('host');
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
      const m = embedded.merchants[0]!;
      const res = await wx(`${base}/wechat`, '/pay/unifiedorder', m, orderFields('E1'));
      expect(res.xml['result_code']).toBe('SUCCESS');
      const order = await createSimulatorClient(`${base}/wechat`).pay('E1', { notify: false });
      expect(order.tradeState).toBe('SUCCESS');
      const other = await request(`${base}/else`);
      expect(await other.body.text()).toBe('host');
    } finally {
      host.closeAllConnections();
      await new Promise((resolve) => host.close(resolve));
      await embedded.close();
    }
  });
});

describe('control API', () => {
  it('pays an order as a given user with bank type and coupons', async () => {
    await place('C1', { total_fee: 500 });
    const paid = await client.pay('C1', {
      openId: 'oUser',
      bankType: 'CMC',
      isSubscribe: true,
      notify: false,
      coupons: [{ fee: 100 }, { fee: 50, type: 'NO_CASH', id: 'X' }],
    });
    expect(paid).toMatchObject({
      tradeState: 'SUCCESS',
      openId: 'oUser',
      bankType: 'CMC',
      isSubscribe: true,
      cashFee: 350,
      couponFee: 150,
      settlementTotalFee: 450,
      coupons: [
        { id: '10000', type: 'CASH', fee: 100 },
        { id: 'X', type: 'NO_CASH', fee: 50 },
      ],
    });
    expect(paid.transactionId).toMatch(/^\d{28}$/);
    expect(await client.order('C1')).toEqual(paid);
  });

  it('answers errors as JSON with a code: unknown order, wrong state, bad input', async () => {
    await expect(client.pay('missing')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await place('C2');
    await client.pay('C2', { notify: false });
    const again = client.pay('C2');
    await expect(again).rejects.toBeInstanceOf(SimulatorError);
    await expect(again).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await place('C3');
    await expect(client.pay('C3', { coupons: [{ fee: 100 }] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const raw = await request(`${sim.url}/_sim/orders/C3/pay`, { method: 'POST', body: '{not json' });
    expect(raw.statusCode).toBe(400);
    expect(await raw.body.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    const unknown = await request(`${sim.url}/_sim/teapot`);
    expect(unknown.statusCode).toBe(404);
    await unknown.body.dump();
  });

  it('fails and expires unpaid orders', async () => {
    await place('C4');
    await place('C5');
    expect((await client.failPayment('C4')).tradeState).toBe('PAYERROR');
    expect((await client.pay('C4', { notify: false })).tradeState).toBe('SUCCESS');
    expect((await client.expire('C5')).tradeState).toBe('CLOSED');
    const q = await wx(sim.url, '/pay/orderquery', sim.merchants[0]!, { out_trade_no: 'C5' });
    expect(q.xml['trade_state']).toBe('CLOSED');
    await expect(client.pay('C5')).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('pays silently, mutes one order, and switches every notification off', async () => {
    for (const no of ['N1', 'N2', 'N3', 'N4']) await place(no);
    const about = async (no: string) => (await client.notifications()).filter((n) => n.outTradeNo === no);
    expect((await client.paySilently('N1')).tradeState).toBe('SUCCESS');
    expect(await about('N1')).toEqual([]);
    const q = await wx(sim.url, '/pay/orderquery', sim.merchants[0]!, { out_trade_no: 'N1' });
    expect(q.xml['trade_state']).toBe('SUCCESS');

    expect((await client.muteNotifications('N2')).muted).toBe(true);
    await client.pay('N2');
    expect(await about('N2')).toEqual([]);

    expect((await client.updateSettings({ notifications: false })).notifications).toBe(false);
    await client.pay('N3');
    expect(await about('N3')).toEqual([]);
    await client.updateSettings({ notifications: true });
    await client.pay('N4');
    expect(await about('N4')).toHaveLength(1);

    await expect(client.updateSettings({ notifications: 'no' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(client.muteNotifications('N1', { muted: 'yes' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('tells orders apart by merchant and system, and asks which one when ambiguous', async () => {
    const m = sim.merchants[0]!;
    await place('C6');
    await wx(sim.url, '/sandboxnew/pay/unifiedorder', m, orderFields('C6'), { key: m.sandboxKey });
    await expect(client.pay('C6')).rejects.toMatchObject({ code: 'AMBIGUOUS' });
    expect((await client.pay('C6', { environment: 'sandbox', notify: false })).environment).toBe('sandbox');
    expect((await client.orders({ environment: 'production' })).map((o) => o.tradeState)).toEqual(['NOTPAY']);
    expect(await client.orders({ mchId: 'other' })).toEqual([]);
  });

  it('lists and finishes refunds, and lists the notification log', async () => {
    await client.updateSettings({ refunds: 'manual' });
    try {
      const m = sim.merchants[0]!;
      await place('C7');
      await client.pay('C7', { notify: false });
      await wx(sim.url, '/secapi/pay/refund', m, {
        out_trade_no: 'C7',
        out_refund_no: 'C7R',
        total_fee: 100,
        refund_fee: 5,
        notify_url: 'http://127.0.0.1:1/refund',
      });
      expect(await client.refund('C7R')).toMatchObject({ status: 'PROCESSING', refundFee: 5, outTradeNo: 'C7' });
      expect((await client.completeRefund('C7R')).status).toBe('SUCCESS');
      expect((await client.refunds({ outTradeNo: 'C7' })).map((r) => r.outRefundNo)).toEqual(['C7R']);
      const log = await client.notifications();
      expect(log.map((n) => [n.kind, n.outRefundNo])).toEqual([['refund', 'C7R']]);
      const settled = await client.waitForNotification({ outRefundNo: 'C7R', status: 'failed', timeoutMs: 50 }).catch((e: unknown) => e);
      expect(settled).toMatchObject({ code: 'TIMEOUT' });
    } finally {
      await client.updateSettings({ refunds: 'auto' });
    }
  });

  it('manages faults and settings over HTTP', async () => {
    const fault = await client.addFault({ kind: 'systemerror', times: 3, path: '/pay/closeorder' });
    expect(fault).toMatchObject({ kind: 'systemerror', remaining: 3, path: '/pay/closeorder' });
    expect(await client.faults()).toHaveLength(1);
    await client.clearFaults();
    expect(await client.faults()).toEqual([]);
    await expect(client.addFault({ kind: 'explode' } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(client.addFault({ kind: 'delay', ms: -1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await client.updateSettings({ timeFactor: 0.01 })).toEqual({ refunds: 'auto', timeFactor: 0.01, notifications: true });
    await expect(client.updateSettings({ refunds: 'later' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await client.settings()).toEqual({ refunds: 'auto', timeFactor: 0.01, notifications: true });
    await client.updateSettings({ timeFactor: 1 });
  });

  it('forgets everything on reset', async () => {
    await place('C8');
    await client.reset();
    expect(await client.orders()).toEqual([]);
    const q = await wx(sim.url, '/pay/orderquery', sim.merchants[0]!, { out_trade_no: 'C8' });
    expect(q.xml['err_code']).toBe('ORDERNOTEXIST');
  });
});
