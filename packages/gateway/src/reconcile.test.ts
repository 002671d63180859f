import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { createMemoryDedupStore, WxPayError, type ReconcileReport, type WxPay } from '@wxpay-kit/core';
import type { ForwarderStore } from '@wxpay-kit/forwarder';
import { firedOn, msUntilChinaTime, RECONCILE_RETRY_MS, scheduleReconcile } from './reconcile.js';

const logger = pino({ level: 'silent' });
const MINUTE = 60_000;

afterEach(() => {
  vi.useRealTimers();
});

describe('msUntilChinaTime', () => {
  it('counts to the next HH:MM in China time (UTC+8)', () => {
    const tenChina = Date.UTC(2026, 11, 7, 2, 0); // 10:00 in China
    expect(msUntilChinaTime('10:30', tenChina)).toBe(30 * MINUTE);
    expect(msUntilChinaTime('10:00', tenChina)).toBe(24 * 60 * MINUTE);
    expect(msUntilChinaTime('09:00', tenChina)).toBe(23 * 60 * MINUTE);
    // 23:30 UTC is 07:30 of the next day in China.
    expect(msUntilChinaTime('10:30', Date.UTC(2026, 11, 7, 23, 30))).toBe(3 * 60 * MINUTE);
  });
});

/** A gateway's core instance, as far as the schedule uses it: one merchant, and `reconcile` answering `answers` in turn. */
function fakeWxPay(answers: Array<'creating' | 'ok'>) {
  const calls: string[] = [];
  const wxpay = {
    config: { now: () => Date.now(), merchants: [{ name: 'mch' }], apps: [{ name: 'shop', merchant: 'mch' }] },
    async reconcile(options: { date: string; merchant: string }): Promise<ReconcileReport> {
      calls.push(options.date);
      if ((answers.shift() ?? 'ok') === 'creating') throw new WxPayError({ errCode: 'STATEMENT_CREATING', layer: 'result' });
      return { date: options.date, merchant: options.merchant, checked: 0, differences: [] };
    },
  };
  return { wxpay: wxpay as unknown as WxPay, calls };
}

function fakeStore(): ForwarderStore {
  const dedup = createMemoryDedupStore({ now: () => Date.now() });
  return Object.assign(dedup, { list: async () => [] }) as unknown as ForwarderStore;
}

describe('scheduleReconcile', () => {
  it("runs yesterday's bills at the hour, and asks again every 30 minutes while WeChat is still making them", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 7, 2, 0) });
    const { wxpay, calls } = fakeWxPay(['creating', 'creating', 'ok']);
    const stop = scheduleReconcile({ wxpay, store: fakeStore(), logger, at: '10:30' });
    await vi.advanceTimersByTimeAsync(29 * MINUTE);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(calls).toEqual(['2026-12-06']);
    await vi.advanceTimersByTimeAsync(RECONCILE_RETRY_MS);
    await vi.advanceTimersByTimeAsync(RECONCILE_RETRY_MS);
    expect(calls).toEqual(['2026-12-06', '2026-12-06', '2026-12-06']);
    // Done for the day; the next one comes at 10:30 tomorrow.
    await vi.advanceTimersByTimeAsync(20 * 60 * MINUTE);
    expect(calls).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(4 * 60 * MINUTE);
    expect(calls).toEqual(['2026-12-06', '2026-12-06', '2026-12-06', '2026-12-07']);
    stop();
    await vi.advanceTimersByTimeAsync(48 * 60 * MINUTE);
    expect(calls).toHaveLength(4);
  });

  it('two instances on one store: one of them runs each day', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 7, 2, 0) });
    const store = fakeStore();
    const a = fakeWxPay([]);
    const b = fakeWxPay([]);
    const stops = [
      scheduleReconcile({ wxpay: a.wxpay, store, logger, at: '10:30' }),
      scheduleReconcile({ wxpay: b.wxpay, store, logger, at: '10:30' }),
    ];
    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    expect([...a.calls, ...b.calls]).toEqual(['2026-12-06']);
    await vi.advanceTimersByTimeAsync(24 * 60 * MINUTE);
    expect([...a.calls, ...b.calls].sort()).toEqual(['2026-12-06', '2026-12-07']);
    for (const stop of stops) stop();
  });
});

describe('firedOn', () => {
  it("lists the outbox's paid results whose payment time falls on the day", async () => {
    const record = (event: string, body: Record<string, unknown>) => ({
      id: String(Math.random()),
      app: 'shop',
      event,
      body: JSON.stringify(body),
    });
    const store = {
      list: async () => [
        record('paid', { mch_id: '1', order_id: 'A', transaction_id: 'TA', total_fee: 5, time_end: '20261206235959' }),
        record('paid', { mch_id: '1', order_id: 'B', transaction_id: 'TB', total_fee: 6, time_end: '20261207000000' }),
        record('refunded', { mch_id: '1', order_id: 'A', transaction_id: 'TA', total_fee: 5, time_end: '20261206120000' }),
      ],
    } as unknown as ForwarderStore;
    expect(await firedOn(store, '2026-12-06')).toEqual([{ mchId: '1', orderId: 'A', transactionId: 'TA', totalFee: 5 }]);
  });
});
