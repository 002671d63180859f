/**
 * The sweeper against the simulator, on the simulator's manual clock (two hours of WeChat's query
 * schedule run in moments): no payment result is lost when notifications never arrive, a
 * notification racing a sweep gives one `paid`, expired unpaid orders are closed once, and an
 * order paid while it is being closed fires `paid` and never `closed`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createWxPay, type ClosedEvent, type PaidEvent, type WxPay, type WxPayOptions } from '@wxpay-kit/core';
import { createNodeListener } from '@wxpay-kit/core/node';
import { createManualClock, startSimulator, type ManualClock, type RunningSimulator } from '@wxpay-kit/simulator';
import { listenLoopback, type LoopbackServer } from '../helpers/loopback.js';
import { APP_ID, MERCHANT } from './support.js';

const SCHEDULE = [5, 30, 60, 180, 300, 600, 1800];

interface Rig {
  readonly clock: ManualClock;
  readonly sim: RunningSimulator;
  readonly host: LoopbackServer;
  readonly wxpay: WxPay;
  readonly paid: { event: PaidEvent; at: number }[];
  readonly closed: ClosedEvent[];
  /** Places an order through create-pay. */
  order(orderId: string, fee?: number): Promise<void>;
  /** Moves the clock `ms` ahead in 1-second steps, sweeping what is due at each. */
  advance(ms: number): Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    await rig.wxpay.close();
    await rig.host.close();
    await rig.sim.close();
  }
});

async function rig(
  options: { notifications?: boolean; overrides?: Partial<WxPayOptions>; baseUrl?: (sim: RunningSimulator) => string } = {},
): Promise<Rig> {
  const clock = createManualClock();
  const sim = await startSimulator({
    port: 0,
    clock,
    merchants: [{ ...MERCHANT, appIds: [APP_ID] }],
    notifications: options.notifications ?? false,
  });
  const lazy: { wxpay?: WxPay } = {};
  const host = await listenLoopback((req, res) => createNodeListener(lazy.wxpay!, { prefix: '/wxpay' })(req, res));
  const wxpay = createWxPay({
    merchants: [{ name: 'main', ...MERCHANT, baseUrl: options.baseUrl?.(sim) ?? sim.url }],
    apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
    notifyPayUrl: `${host.url}/wxpay/notify-pay`,
    notifyRefundUrl: `${host.url}/wxpay/notify-refund`,
    client: { retries: 0 },
    now: clock.now,
    sweep: { schedule: SCHEDULE, autoStart: false },
    ...options.overrides,
  });
  lazy.wxpay = wxpay;
  const paid: Rig['paid'] = [];
  const closed: ClosedEvent[] = [];
  wxpay.on('paid', (event) => void paid.push({ event, at: clock.now() }));
  wxpay.on('closed', (event) => void closed.push(event));
  const r: Rig = {
    clock,
    sim,
    host,
    wxpay,
    paid,
    closed,
    async order(orderId, fee = 101) {
      const out = await wxpay.handle({
        method: 'POST',
        path: '/create-pay/NATIVE',
        headers: { 'content-type': 'application/json' },
        rawBody: Buffer.from(JSON.stringify({ appId: APP_ID, payApp: 'shop', goods: 'g', orderId, fee, ip: '127.0.0.1', productId: 'p' })),
      });
      expect(out.status, Buffer.from(out.body).toString()).toBe(200);
    },
    async advance(ms) {
      for (let left = ms; left > 0; left -= 1000) {
        clock.advance(Math.min(1000, left));
        await wxpay.sweeper!.runOnce();
      }
    },
  };
  rigs.push(r);
  return r;
}

/** The latest moment a sweep at schedule point `s` (seconds after creation) may happen: 1 s + 10 % late. */
const deadline = (createdAt: number, s: number): number => createdAt + s * 1000 + 1000 + s * 100;

describe('sweeper on the simulator (manual clock)', () => {
  it("with notifications off, every paid order fires exactly one 'paid' (source sweep) within the schedule", async () => {
    const r = await rig({ notifications: false });
    const createdAt = r.clock.now();
    const ids = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'];
    for (const id of ids) await r.order(id);
    // Paid at different moments of the schedule; S6 is never paid.
    const payAt: Record<string, number> = { S1: 2, S2: 20, S3: 100, S4: 400, S5: 2000 };
    let elapsed = 0;
    for (const [id, s] of Object.entries(payAt).sort((a, b) => a[1] - b[1])) {
      await r.advance(s * 1000 - elapsed);
      elapsed = s * 1000;
      await r.sim.pay(id);
    }
    await r.advance(3600_000 - elapsed);
    expect(await r.sim.notifications()).toEqual([]);
    expect(r.paid.map((p) => p.event.orderId).sort()).toEqual(['S1', 'S2', 'S3', 'S4', 'S5']);
    for (const { event, at } of r.paid) {
      expect(event).toMatchObject({ source: 'sweep', redelivery: false, recordChecked: true, totalFee: 101 });
      // Found at the first schedule point after payment (after the last point: every 1200 s).
      const paidS = payAt[event.orderId]!;
      const point = SCHEDULE.find((s) => s > paidS) ?? 1800 + Math.ceil((paidS - 1800) / 1200) * 1200;
      expect(at).toBeLessThanOrEqual(deadline(createdAt, point));
    }
    expect((await r.wxpay.sweeper!.stats()).pending).toBe(1);
    expect(r.closed).toEqual([]);
  });

  it("a notification and a sweep racing give one 'paid'", async () => {
    const r = await rig({ notifications: true });
    await r.order('R1');
    await r.advance(4000);
    // WeChat's notification goes out as the 5 s sweep queries the order.
    const notified = r.sim.waitForNotification({ kind: 'pay', outTradeNo: 'R1' });
    await r.sim.pay('R1');
    await r.advance(1000);
    await notified;
    await r.advance(60_000);
    expect(r.paid).toHaveLength(1);
    expect(r.paid[0]!.event.orderId).toBe('R1');
    expect((await r.wxpay.sweeper!.stats()).pending).toBe(0);
  });

  it("expired unpaid orders are closed at WeChat and fire one 'closed' each", async () => {
    const r = await rig({ notifications: false, overrides: { orderExpireMinutes: 30 } });
    const createdAt = r.clock.now();
    for (const id of ['E1', 'E2', 'E3']) await r.order(id);
    await r.advance(29 * 60_000);
    expect(r.closed).toEqual([]);
    expect((await r.sim.order('E1')).tradeState).toBe('NOTPAY');
    await r.advance(3 * 60_000);
    expect(r.closed.map((c) => c.orderId).sort()).toEqual(['E1', 'E2', 'E3']);
    for (const c of r.closed) {
      expect(c).toMatchObject({
        reason: 'expired',
        source: 'sweep',
        tradeState: 'NOTPAY',
        totalFee: 101,
        expiresAt: createdAt + 30 * 60_000,
      });
      expect((await r.sim.order(c.orderId)).tradeState).toBe('CLOSED');
    }
    await r.advance(3600_000);
    expect(r.closed).toHaveLength(3);
    expect(r.paid).toEqual([]);
    const stats = await r.wxpay.sweeper!.stats();
    expect(stats.pending).toBe(0);
    expect(stats.outcomes.closed).toBe(3);
  });

  it("an order paid while it is being closed fires 'paid' and no 'closed'", async () => {
    // WeChat's API behind a proxy: at the order's last payable moment, the user pays right after
    // WeChat answered the sweeper's query (NOTPAY), before the sweeper's close arrives.
    const lazy: { sim?: RunningSimulator; clock?: ManualClock } = {};
    const seen: string[] = [];
    const proxy = await listenLoopback(async (req, res) => {
      seen.push(req.url ?? '');
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const out = await request(`${lazy.sim!.url}${req.url}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
      if ((req.url ?? '').endsWith('/pay/orderquery')) {
        const order = await lazy.sim!.order('C1');
        if (order.tradeState === 'NOTPAY' && lazy.clock!.now() === order.expiresAt) await lazy.sim!.paySilently('C1');
      }
      res.writeHead(out.statusCode, { 'content-type': String(out.headers['content-type'] ?? 'text/xml') });
      res.end(Buffer.from(await out.body.arrayBuffer()));
    });
    try {
      const r = await rig({ notifications: false, overrides: { orderExpireMinutes: 10 }, baseUrl: () => proxy.url });
      lazy.sim = r.sim;
      lazy.clock = r.clock;
      await r.order('C1');
      await r.advance(20 * 60_000);
      expect(r.paid.map((p) => p.event.orderId)).toEqual(['C1']);
      expect(r.paid[0]!.event.source).toBe('sweep');
      expect(r.closed).toEqual([]);
      expect((await r.sim.order('C1')).tradeState).toBe('SUCCESS');
      // The close did reach WeChat (and was refused: the order was paid).
      expect(seen.filter((p) => p.endsWith('/pay/closeorder'))).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});
