import { decryptRefundInfo, parseXml, verifySign } from '@wxpay-kit/core/protocol';
import {
  createManualClock,
  NOTIFY_SCHEDULE_S,
  startSimulator,
  type RunningSimulator,
  type SimNotification,
  type SimNotificationAttempt,
} from '@wxpay-kit/simulator';
import { afterEach, describe, expect, it } from 'vitest';
import { FAIL_REPLY, orderFields, startReceiver, SUCCESS_REPLY, wx, type Receiver } from './helpers.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function setup(options: Parameters<typeof startSimulator>[0], reply?: Parameters<typeof startReceiver>[0]) {
  const receiver = await startReceiver(reply);
  const sim = await startSimulator(options);
  cleanup.push(
    () => receiver.close(),
    () => sim.close(),
  );
  return { sim, receiver, merchant: sim.merchants[0]! };
}

async function order(sim: RunningSimulator, receiver: Receiver, no: string, signType?: 'HMAC-SHA256') {
  const m = sim.merchants[0]!;
  const res = await wx(
    sim.url,
    '/pay/unifiedorder',
    m,
    orderFields(no, { notify_url: receiver.url, attach: 'att' }),
    signType ? { signType } : {},
  );
  expect(res.xml['result_code']).toBe('SUCCESS');
}

describe('pay notifications', () => {
  it('posts a signed notification (MD5) to notify_url after payment', async () => {
    const { sim, receiver, merchant } = await setup({ port: 0 });
    await order(sim, receiver, 'N1');
    const paid = await sim.pay('N1', { openId: 'oPayer', coupons: [{ fee: 10, type: 'NO_CASH', id: 'C9' }] });
    const n = await sim.waitForNotification({ outTradeNo: 'N1' });
    expect(n).toMatchObject({ kind: 'pay', status: 'delivered', url: receiver.url });
    expect(n.attempts).toHaveLength(1);
    expect(n.attempts[0]).toMatchObject({ attempt: 1, ok: true, statusCode: 200 });
    expect(receiver.received).toHaveLength(1);
    const xml = parseXml(receiver.received[0]!.body);
    expect(verifySign(xml, merchant.apiKey)).toBe(true);
    expect(xml['sign']).toHaveLength(32);
    expect(xml['sign_type']).toBeUndefined();
    expect(xml).toMatchObject({
      return_code: 'SUCCESS',
      result_code: 'SUCCESS',
      appid: merchant.appIds[0],
      mch_id: merchant.mchId,
      out_trade_no: 'N1',
      transaction_id: paid.transactionId,
      total_fee: '100',
      cash_fee: '90',
      settlement_total_fee: '90',
      coupon_fee: '10',
      coupon_count: '1',
      coupon_id_0: 'C9',
      coupon_type_0: 'NO_CASH',
      openid: 'oPayer',
      attach: 'att',
      trade_type: 'NATIVE',
      time_end: paid.timeEnd,
    });
  });

  it('signs with HMAC-SHA256 and names sign_type when the order was placed so', async () => {
    const { sim, receiver, merchant } = await setup({ port: 0 });
    await order(sim, receiver, 'N2', 'HMAC-SHA256');
    await sim.pay('N2');
    await sim.waitForNotification({ outTradeNo: 'N2' });
    const xml = parseXml(receiver.received[0]!.body);
    expect(xml['sign_type']).toBe('HMAC-SHA256');
    expect(xml['sign']).toHaveLength(64);
    expect(verifySign(xml, merchant.apiKey)).toBe(true);
  });

  it('sends nothing when paid with notify: false, and nothing for a failed payment', async () => {
    const { sim, receiver } = await setup({ port: 0 });
    await order(sim, receiver, 'N3');
    await order(sim, receiver, 'N4');
    await sim.pay('N3', { notify: false });
    await sim.failPayment('N4');
    expect(await sim.notifications()).toEqual([]);
    expect((await sim.order('N4')).tradeState).toBe('PAYERROR');
  });

  it('retries on a FAIL reply, a 500 and a refused connection until SUCCESS (compressed time)', async () => {
    const { sim, receiver } = await setup({ port: 0, timeFactor: 0.0001 }, (n) =>
      n === 1
        ? { body: FAIL_REPLY }
        : n === 2
          ? { status: 500, body: SUCCESS_REPLY }
          : n === 3
            ? { body: 'success' }
            : { body: SUCCESS_REPLY },
    );
    await order(sim, receiver, 'N5');
    await sim.pay('N5');
    const n = await sim.waitForNotification({ outTradeNo: 'N5' });
    expect(n.attempts.map((a) => a.ok)).toEqual([false, false, false, true]);
    expect(n.attempts.map((a) => a.statusCode)).toEqual([200, 500, 200, 200]);
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    // Each retry starts no earlier than its place in the schedule.
    for (const a of n.attempts) expect(a.startedAt).toBeGreaterThanOrEqual(Math.floor(a.scheduledAt));
    const refused = await setup({ port: 0, timeFactor: 0.0001 });
    await wx(refused.sim.url, '/pay/unifiedorder', refused.merchant, orderFields('N6', { notify_url: 'http://127.0.0.1:1/notify' }));
    await refused.sim.pay('N6');
    const attempts = await new Promise<SimNotificationAttempt[]>((resolve) => {
      const seen: SimNotificationAttempt[] = [];
      refused.sim.on('attempt', (_n, a) => {
        seen.push(a);
        if (seen.length === 2) resolve(seen);
      });
    });
    expect(attempts.every((a) => !a.ok && a.error !== undefined && a.statusCode === undefined)).toBe(true);
  });

  it('follows WeChat schedule 15s,15s,30s,3m,10m,20m,30m,30m,30m,60m,3h,3h,3h,6h,6h, then gives up', async () => {
    const clock = createManualClock();
    const timeFactor = 0.5;
    const { sim, receiver } = await setup({ port: 0, clock, timeFactor }, () => ({ body: FAIL_REPLY }));
    await order(sim, receiver, 'S1');
    const attempts: SimNotificationAttempt[] = [];
    let last: SimNotification | undefined;
    const next = (): Promise<void> =>
      new Promise((resolve) => {
        const on = (n: SimNotification, a: SimNotificationAttempt): void => {
          sim.off('attempt', on);
          attempts.push(a);
          last = n;
          resolve();
        };
        sim.on('attempt', on);
      });
    let arrived = next();
    const start = clock.now();
    await sim.pay('S1');
    await arrived;
    while (last!.status === 'pending') {
      expect(clock.nextTimerAt()).toBe(last!.nextAttemptAt);
      arrived = next();
      clock.runNext();
      await arrived;
    }
    expect(last!.status).toBe('failed');
    expect(clock.pending()).toBe(0);
    expect(attempts).toHaveLength(16);
    expect(receiver.received).toHaveLength(16);
    const offsetsS = attempts.map((a) => (a.startedAt - start) / 1000 / timeFactor);
    expect(offsetsS).toEqual([0, 15, 30, 60, 240, 840, 2040, 3840, 5640, 7440, 11040, 21840, 32640, 43440, 65040, 86640]);
    expect(offsetsS).toEqual(NOTIFY_SCHEDULE_S);
    expect((await sim.notifications())[0]!.attempts).toHaveLength(16);
  });

  it('stops retrying once the merchant answers SUCCESS', async () => {
    const clock = createManualClock();
    const { sim, receiver } = await setup({ port: 0, clock }, (n) => ({ body: n < 3 ? FAIL_REPLY : SUCCESS_REPLY }));
    await order(sim, receiver, 'S2');
    const settled = new Promise<SimNotification>((resolve) => sim.on('settled', resolve));
    const step = (): Promise<void> =>
      new Promise((resolve) => {
        const on = (): void => {
          sim.off('attempt', on);
          resolve();
        };
        sim.on('attempt', on);
      });
    let arrived = step();
    await sim.pay('S2');
    await arrived;
    for (let i = 0; i < 2; i++) {
      arrived = step();
      clock.runNext();
      await arrived;
    }
    const n = await settled;
    expect(n.status).toBe('delivered');
    expect(n.attempts.map((a) => a.scheduledAt - n.createdAt)).toEqual([0, 15_000, 30_000]);
    expect(clock.pending()).toBe(0);
  });
});

describe('refund notifications', () => {
  it('posts an unsigned notification whose req_info decrypts with the merchant key', async () => {
    const { sim, receiver, merchant } = await setup({ port: 0 });
    await order(sim, receiver, 'R1');
    const paid = await sim.pay('R1', { notify: false });
    const res = await wx(sim.url, '/secapi/pay/refund', merchant, {
      out_trade_no: 'R1',
      out_refund_no: 'R1-1',
      total_fee: 100,
      refund_fee: 40,
      notify_url: receiver.url,
    });
    expect(res.xml['result_code']).toBe('SUCCESS');
    const n = await sim.waitForNotification({ kind: 'refund', outRefundNo: 'R1-1' });
    expect(n.status).toBe('delivered');
    const outer = parseXml(receiver.received[0]!.body);
    expect(outer['sign']).toBeUndefined();
    expect(outer).toMatchObject({ return_code: 'SUCCESS', appid: merchant.appIds[0], mch_id: merchant.mchId });
    const info = parseXml(decryptRefundInfo(outer['req_info']!, merchant.apiKey));
    expect(info).toMatchObject({
      out_refund_no: 'R1-1',
      out_trade_no: 'R1',
      transaction_id: paid.transactionId,
      refund_id: res.xml['refund_id'],
      refund_fee: '40',
      total_fee: '100',
      settlement_refund_fee: '40',
      refund_status: 'SUCCESS',
      refund_recv_accout: '支付用户零钱',
      refund_request_source: 'API',
    });
    expect(info['success_time']).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it('uses the merchant refundNotifyUrl when the request has none, and reports CHANGE and REFUNDCLOSE', async () => {
    const receiver = await startReceiver();
    const sim = await startSimulator({
      port: 0,
      refunds: 'manual',
      merchants: [{ mchId: '1230000109', apiKey: 'a'.repeat(32), appIds: ['wxA'], refundNotifyUrl: receiver.url }],
    });
    cleanup.push(
      () => receiver.close(),
      () => sim.close(),
    );
    const m = sim.merchants[0]!;
    await wx(sim.url, '/pay/unifiedorder', m, orderFields('R2', { notify_url: receiver.url }));
    await sim.pay('R2', { notify: false });
    for (const no of ['R2-a', 'R2-b']) {
      await wx(sim.url, '/secapi/pay/refund', m, { out_trade_no: 'R2', out_refund_no: no, total_fee: 100, refund_fee: 10 });
    }
    expect(await sim.notifications()).toEqual([]);
    await sim.failRefund('R2-a');
    await sim.closeRefund('R2-b');
    const a = await sim.waitForNotification({ outRefundNo: 'R2-a' });
    const b = await sim.waitForNotification({ outRefundNo: 'R2-b' });
    const status = (n: SimNotification) => parseXml(decryptRefundInfo(parseXml(n.body)['req_info']!, m.apiKey))['refund_status'];
    expect(status(a)).toBe('CHANGE');
    expect(status(b)).toBe('REFUNDCLOSE');
    expect((await sim.order('R2')).refundedFee).toBe(10);
  });

  it('encrypts sandbox refund notifications with the sandbox key', async () => {
    const { sim, receiver, merchant } = await setup({ port: 0 });
    const key = { key: merchant.sandboxKey };
    await wx(sim.url, '/sandboxnew/pay/unifiedorder', merchant, orderFields('R3', { notify_url: receiver.url }), key);
    await sim.pay('R3', { notify: false });
    await wx(
      sim.url,
      '/sandboxnew/pay/refund',
      merchant,
      { out_trade_no: 'R3', out_refund_no: 'R3-1', total_fee: 100, refund_fee: 1, notify_url: receiver.url },
      key,
    );
    const n = await sim.waitForNotification({ outRefundNo: 'R3-1' });
    expect(n.environment).toBe('sandbox');
    const reqInfo = parseXml(n.body)['req_info']!;
    expect(parseXml(decryptRefundInfo(reqInfo, merchant.sandboxKey))['out_refund_no']).toBe('R3-1');
    expect(() => decryptRefundInfo(reqInfo, merchant.apiKey)).toThrow();
  });
});
