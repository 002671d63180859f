/**
 * A payment-code payment whose process stops between the submission and the final state: the
 * sweeper of another instance on the same store finishes it once its deadline has passed. A paid
 * order fires `paid` once (never again from the first instance or a later sweep); one that did not
 * go through is reversed at WeChat and fires `micropay-reversed` once: never an unreversed unknown order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMemoryDedupStore,
  createWxPay,
  type DedupStore,
  type MicropayReversedEvent,
  type PaidEvent,
  type WxPay,
  type WxPayOptions,
} from '@wxpay-kit/core';
import { generateTestCertificates } from '@wxpay-kit/core/testing';
import { createManualClock, startSimulator, type ManualClock, type RunningSimulator } from '@wxpay-kit/simulator';
import { skipWithout } from '../helpers/external-tools.js';
import { APP_ID, MERCHANT } from './support.js';

const TIMING = { queryIntervalMs: 5_000, deadlineMs: 45_000, reverseAfterMs: 15_000, reverseIntervalMs: 5_000, reverseAttempts: 3 };
/** An 18-digit payment code whose last three digits pick the simulator's case. */
const code = (ending: string): string => `134567890123456${ending}`;

interface Instance {
  readonly wxpay: WxPay;
  readonly paid: PaidEvent[];
  readonly reversed: MicropayReversedEvent[];
}

const closers: (() => Promise<void>)[] = [];

/** A wait that ends only when the instance closes (its runs are aborted then). */
const stopped = (_ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((_, reject) => {
    if (signal?.aborted) reject(signal.reason);
    else signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe.skipIf(skipWithout(import.meta.url, ['openssl'], 'the payment-code crash cases (reverse needs a client certificate)'))(
  'a payment-code payment whose process stops before the final state',
  () => {
    async function rig() {
      const clock: ManualClock = createManualClock();
      const certs = await generateTestCertificates({ mchId: MERCHANT.mchId });
      const sim: RunningSimulator = await startSimulator({
        port: 0,
        host: '127.0.0.1',
        clock,
        merchants: [{ ...MERCHANT, appIds: [APP_ID] }],
        notifications: false,
        tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey },
      });
      closers.push(() => sim.close());
      const store: DedupStore = createMemoryDedupStore();
      const instance = (overrides: Partial<WxPayOptions>): Instance => {
        const wxpay = createWxPay({
          merchants: [{ name: 'main', ...MERCHANT, baseUrl: sim.url, cert: { cert: certs.clientCert, key: certs.clientKey } }],
          apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
          notifyPayUrl: 'http://127.0.0.1:9/wxpay/notify-pay',
          notifyRefundUrl: 'http://127.0.0.1:9/wxpay/notify-refund',
          client: { retries: 0, ca: [certs.ca] },
          now: clock.now,
          store,
          logger: false,
          ...overrides,
        });
        closers.push(() => wxpay.close());
        const out: Instance = { wxpay, paid: [], reversed: [] };
        wxpay.on('paid', (e) => void out.paid.push(e));
        wxpay.on('micropay-reversed', (e) => void out.reversed.push(e));
        wxpay.on('micropay-failed', () => {
          throw new Error('no payment code here is refused');
        });
        return out;
      };
      // The first instance submits, then stops before it queries: its waits end only when it closes.
      const first = instance({ micropay: { ...TIMING, sleep: stopped }, sweep: { autoStart: false } });
      // The second shares the store and sweeps.
      const second = instance({ micropay: { ...TIMING, sleep: async (ms) => void clock.advance(ms) }, sweep: { autoStart: false } });
      /** Submits through the first instance, which then stops (closes) while its run waits to query. */
      const submitAndStop = async (orderId: string, authCode: string) => {
        const run = first.wxpay.micropay({
          app: 'shop',
          appId: APP_ID,
          orderId,
          fee: 321,
          goods: 'Counter goods',
          authCode,
          ip: '10.0.0.8',
        });
        for (let i = 0; i < 200 && (await sim.order(orderId).catch(() => undefined)) === undefined; i++)
          await new Promise((r) => setTimeout(r, 10));
        await first.wxpay.close();
        const out = await run;
        return out;
      };
      const advance = async (ms: number) => {
        for (let left = ms; left > 0; left -= 1000) {
          clock.advance(Math.min(1000, left));
          await second.wxpay.sweeper!.runOnce();
        }
      };
      return { sim, first, second, submitAndStop, advance };
    }

    it('USERPAYING until the deadline: the other instance reverses it, once', async () => {
      const r = await rig();
      expect(await r.submitAndStop('MC-1', code('002'))).toMatchObject({ state: 'pending' });
      expect((await r.sim.order('MC-1')).tradeState).toBe('USERPAYING');
      // Before the deadline the order is the first instance's business.
      await r.advance(40_000);
      expect((await r.sim.order('MC-1')).tradeState).toBe('USERPAYING');
      await r.advance(30_000);
      expect((await r.sim.order('MC-1')).tradeState).toBe('REVOKED');
      expect(r.second.reversed.map((e) => [e.orderId, e.reason])).toEqual([['MC-1', 'timeout']]);
      await r.advance(600_000);
      expect(r.second.reversed).toHaveLength(1);
      expect([...r.first.paid, ...r.second.paid, ...r.first.reversed]).toEqual([]);
      expect((await r.second.wxpay.sweeper!.stats()).pending).toBe(0);
    });

    it('paid behind a system error: the other instance fires paid once, and nothing is reversed', async () => {
      const r = await rig();
      expect(await r.submitAndStop('MC-2', code('006'))).toMatchObject({ state: 'pending' });
      await r.advance(120_000);
      expect(r.second.paid.map((e) => [e.orderId, e.totalFee, e.source])).toEqual([['MC-2', 321, 'micropay']]);
      expect((await r.sim.order('MC-2')).tradeState).toBe('SUCCESS');
      // Asking again (the cashier retrying on the other instance) and later sweeps fire nothing new.
      const again = await r.second.wxpay.micropay({
        app: 'shop',
        appId: APP_ID,
        orderId: 'MC-2',
        fee: 321,
        goods: 'Counter goods',
        authCode: code('006'),
        ip: '10.0.0.8',
      });
      expect(again.state).toBe('paid');
      await r.advance(600_000);
      expect(r.second.paid).toHaveLength(1);
      expect([...r.first.paid, ...r.first.reversed, ...r.second.reversed]).toEqual([]);
    });
  },
);
