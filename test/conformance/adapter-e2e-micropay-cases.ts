import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { MicropayFailedEvent, MicropayReversedEvent } from '@wxpay-kit/core';
import { V3_APP, type EndToEndFixture } from './adapter-e2e-v3-cases.js';

/** The timing the end-to-end instance runs payment codes with: WeChat's schedule, shrunk. */
export const E2E_MICROPAY_TIMING = { queryIntervalMs: 100, deadlineMs: 1_000, reverseAfterMs: 0, reverseIntervalMs: 100 } as const;

/** What the payment-code cases add to the end-to-end fixture. */
export interface MicropayFixture {
  readonly reversedMicropays: MicropayReversedEvent[];
  readonly failedMicropays: MicropayFailedEvent[];
}

/** A payment code whose last three digits pick the simulator's case (see the simulator README). */
const code = (ending: string): string => `134567890123456${ending}`;

/** Each negative case of the simulator, as the cashier sees it through `POST micropay`. */
const CASES = [
  { ending: '000', name: 'paid at once', state: 'paid', tradeState: 'SUCCESS' },
  { ending: '001', name: 'USERPAYING, then paid', state: 'paid', tradeState: 'SUCCESS' },
  { ending: '002', name: 'USERPAYING until the deadline', state: 'reversed', tradeState: 'REVOKED', reason: 'timeout' },
  { ending: '003', name: 'USERPAYING, then PAYERROR', state: 'reversed', tradeState: 'REVOKED', reason: 'payerror' },
  { ending: '004', name: 'AUTHCODEEXPIRE', state: 'failed', reason: 'refused', errCode: 'AUTHCODEEXPIRE' },
  { ending: '005', name: 'AUTH_CODE_INVALID', state: 'failed', reason: 'refused', errCode: 'AUTH_CODE_INVALID' },
  { ending: '006', name: 'SYSTEMERROR while it went through', state: 'paid', tradeState: 'SUCCESS' },
  { ending: '007', name: 'BANKERROR, then PAYERROR', state: 'reversed', tradeState: 'REVOKED', reason: 'payerror' },
  { ending: '009', name: "USERPAYING, and the reverse's own SYSTEMERROR", state: 'reversed', tradeState: 'REVOKED', reason: 'timeout' },
] as const;

async function post(url: string, body: unknown) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, body: JSON.parse(text) as { code: number; msg: string; result?: Record<string, unknown> } };
}

/** `POST micropay` through the adapter against the simulator, for the v2 and the v3 merchant. */
export function defineMicropayCases(f: EndToEndFixture & MicropayFixture): void {
  describe.each([
    { version: 'v2', payApp: 'shop', appId: 'wxd930ea5d5a258f4f', mchId: '1900000109' },
    { version: 'v3', payApp: V3_APP, appId: 'wx8888888888888888', mchId: '1230000109' },
  ])('payment codes ($version merchant)', ({ payApp, appId, mchId }) => {
    const pay = (orderId: string, authCode: string, extra: Record<string, unknown> = {}) =>
      post(`${f.base}/micropay`, { appId, payApp, orderId, fee: 321, goods: 'Counter goods', authCode, ip: '10.0.0.8', ...extra });

    it.each(CASES)('$name (code …$ending) ends $state', async (c) => {
      const orderId = f.nextOrderId(`mp${c.ending}`);
      const res = await pay(orderId, code(c.ending));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ code: 200, msg: 'OK', result: { state: c.state, order_id: orderId } });
      const paid = f.paidFor(orderId);
      const reversed = f.reversedMicropays.filter((e) => e.orderId === orderId);
      const failed = f.failedMicropays.filter((e) => e.orderId === orderId);
      if (c.state === 'paid') {
        expect(res.body.result).toMatchObject({ trade_state: 'SUCCESS', total_fee: 321, trade_type: 'MICROPAY' });
        expect(res.body.result?.['transaction_id']).toMatch(/^\d{28}$/);
        expect(paid).toEqual([expect.objectContaining({ source: 'micropay', totalFee: 321, recordChecked: true })]);
        expect(reversed).toHaveLength(0);
      } else if (c.state === 'reversed') {
        expect(res.body.result).toMatchObject({ trade_state: 'REVOKED', reason: c.reason });
        expect(reversed).toEqual([expect.objectContaining({ reason: c.reason, totalFee: 321, app: payApp })]);
        expect(paid).toHaveLength(0);
        expect((await f.sim.order(orderId, { mchId })).tradeState).toBe('REVOKED');
      } else {
        expect(res.body.result).toMatchObject({ reason: 'refused', err_code: c.errCode });
        expect(failed).toEqual([expect.objectContaining({ reason: 'refused', errCode: c.errCode })]);
        expect(paid).toHaveLength(0);
      }
      // Asking again for the same order follows the same payment: nothing fires twice.
      const again = await pay(orderId, code(c.ending));
      expect(again.body.result?.['state']).toBe(c.state);
      expect(f.paidFor(orderId)).toHaveLength(paid.length);
      expect(
        f.reversedMicropays.filter((e) => e.orderId === orderId).length + f.failedMicropays.filter((e) => e.orderId === orderId).length,
      ).toBe(reversed.length + failed.length);
    });

    it('answers pending with a query hint when the caller waits less than the payment takes', async () => {
      const orderId = f.nextOrderId('mpwait');
      const res = await pay(orderId, code('002'), { waitMs: 0 });
      expect(res.body.result).toMatchObject({ state: 'pending', order_id: orderId });
      expect(res.body.result?.['query_hint']).toMatch(/micropay again/);
      const end = await pay(orderId, code('002'));
      expect(end.body.result).toMatchObject({ state: 'reversed', trade_state: 'REVOKED' });
    });

    it('refuses a malformed payment code with 400 naming authCode, sending nothing', async () => {
      const orderId = f.nextOrderId('mpbad');
      const res = await pay(orderId, '99999');
      expect(res.status).toBe(400);
      expect(res.body.msg).toMatch(/authCode/);
      await expect(f.sim.order(orderId, { mchId })).rejects.toThrow();
    });
  });
}
