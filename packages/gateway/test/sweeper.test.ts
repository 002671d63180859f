/**
 * The gateway's sweeper with WeChat's notifications switched off entirely (the simulator as
 * WeChat, on a manual clock shared with the gateway, so an order's whole life runs in moments):
 * every paid order reaches its app's `notify-pay-callback` exactly once, every order that expired
 * unpaid is closed at WeChat once, and a notification racing a sweep still gives one `paid`.
 * `/ready`, `/metrics` and the log lines show what the sweeper did.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClosedEvent, PaidEvent } from '@wxpay-kit/core';
import { verifyWebhook } from '@wxpay-kit/forwarder';
import { createManualClock, startSimulator, type ManualClock, type RunningSimulator } from '@wxpay-kit/simulator';
import { createGatewayLogger, parseGatewayConfig, startGateway, type GatewayHandle } from '@wxpay-kit/gateway';
import { postJson, startReceiver, type Received, type Receiver } from './helpers.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const MCH_ID = '1900000109';
const APP_ID = 'wxd930ea5d5a258f4f';
const SECRET = 'whsec_c2hvcC1jYWxsYmFjay1zZWNyZXQtZm9yLXRlc3Rz';
/** The query points the gateway is configured with (seconds after creation). */
const SCHEDULE = [10, 30, 60, 180];
const EXPIRE_MINUTES = 10;

interface Rig {
  readonly clock: ManualClock;
  readonly sim: RunningSimulator;
  readonly receiver: Receiver;
  readonly gateway: GatewayHandle;
  readonly paid: { event: PaidEvent; at: number }[];
  readonly closed: ClosedEvent[];
  /** The gateway's JSON log lines so far. */
  logs(): Record<string, unknown>[];
  /** Places a NATIVE order through the gateway's create-pay endpoint. */
  order(app: 'shop' | 'club', orderId: string, fee: number): Promise<void>;
  /** Moves the shared clock `ms` ahead in 1-second steps, letting the sweeper run at each. */
  advance(ms: number): Promise<void>;
  /** Resolves once the forwarder has nothing left to deliver. */
  drained(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

async function rig(options: { notifications: boolean }): Promise<Rig> {
  const clock = createManualClock();
  const sim = await startSimulator({
    port: 0,
    clock,
    merchants: [{ mchId: MCH_ID, apiKey: KEY, appIds: [APP_ID] }],
    notifications: options.notifications,
  });
  cleanups.push(() => sim.close());
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-sweeper-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const app = (name: string) => ({
    name,
    merchant: 'mch',
    'app-ids': [APP_ID],
    'notify-pay-callback': `${receiver.url}/${name}/pay`,
    'notify-refund-callback': `${receiver.url}/${name}/refund`,
    'callback-secret': SECRET,
  });
  const { config } = parseGatewayConfig({
    'listen-host': '127.0.0.1',
    'listen-port': 0,
    store: `file:${dir}`,
    'order-expire-minutes': EXPIRE_MINUTES,
    'sweep-schedule': SCHEDULE,
    merchants: [{ name: 'mch', 'mch-id': MCH_ID, 'mch-app-key': KEY, 'api-base-url': sim.url }],
    apps: [app('shop'), app('club')],
  });
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const gateway = await startGateway({
    config,
    clock,
    logger: createGatewayLogger({ level: 'info', destination }),
    shutdownTimeoutMs: 2_000,
  });
  cleanups.push(() => gateway.close());
  const paid: Rig['paid'] = [];
  const closed: ClosedEvent[] = [];
  gateway.wxpay.on('paid', (event) => void paid.push({ event, at: clock.now() }));
  gateway.wxpay.on('closed', (event) => void closed.push(event));
  const sweeper = gateway.wxpay.sweeper!;
  return {
    clock,
    sim,
    receiver,
    gateway,
    paid,
    closed,
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    async order(payApp, orderId, fee) {
      const { status, json } = await postJson(`${gateway.url}/wxpay/create-pay/NATIVE`, {
        appId: APP_ID,
        payApp,
        goods: 'Sweeper goods',
        orderId,
        fee,
        ip: '127.0.0.1',
        productId: 'p1',
      });
      expect(status, JSON.stringify(json)).toBe(200);
    },
    async advance(ms) {
      for (let left = ms; left > 0; left -= 1000) {
        clock.advance(Math.min(1000, left));
        await sweeper.runOnce();
      }
    },
    async drained() {
      await expect
        .poll(
          async () => {
            const s = await gateway.runtime.store.stats(Date.now());
            return s.pending + s.inFlight;
          },
          { timeout: 10_000, interval: 50 },
        )
        .toBe(0);
    },
  };
}

/** The latest moment a query at schedule point `s` may happen: 1 s + 10 % late. */
const latest = (createdAt: number, s: number): number => createdAt + s * 1000 + 1000 + s * 100;

/**
 * The first query point after `seconds` after creation (after the last point: every last
 * interval). A payment at a point's very second lands after that point's query.
 */
function pointAfter(seconds: number): number {
  const found = SCHEDULE.find((s) => s > seconds);
  if (found !== undefined) return found;
  const last = SCHEDULE[SCHEDULE.length - 1]!;
  const interval = last - SCHEDULE[SCHEDULE.length - 2]!;
  return last + (Math.floor((seconds - last) / interval) + 1) * interval;
}

function deliveriesOf(receiver: Receiver, orderId: string): Received[] {
  return receiver.received.filter((r) => (JSON.parse(r.body) as { order_id?: string }).order_id === orderId);
}

describe('the gateway with WeChat notifications off (manual clock)', () => {
  it('delivers each paid order once to its app and closes each expired one once', async () => {
    const r = await rig({ notifications: false });
    const createdAt = r.clock.now();
    // Paid silently at these seconds after creation; the others are never paid.
    const payAt: Record<string, number> = { 'shop-1': 3, 'club-1': 10, 'shop-2': 25, 'club-2': 61, 'shop-3': 200, 'club-3': 420 };
    const unpaid = ['shop-4', 'club-4', 'shop-5'];
    const fees: Record<string, number> = {};
    let n = 0;
    for (const id of [...Object.keys(payAt), ...unpaid]) {
      fees[id] = 100 + n++;
      await r.order(id.startsWith('shop') ? 'shop' : 'club', id, fees[id]!);
    }

    let elapsed = 0;
    for (const [id, s] of Object.entries(payAt).sort((a, b) => a[1] - b[1])) {
      await r.advance(s * 1000 - elapsed);
      elapsed = s * 1000;
      await r.sim.paySilently(id);
    }
    // Past every order's expiry (10 min) and a few sweeps more.
    await r.advance((EXPIRE_MINUTES + 3) * 60_000 - elapsed);
    await r.drained();

    expect(await r.sim.notifications()).toEqual([]);
    // Each paid order: one `paid` (found by the sweeper, within 1 s + 10 % of its query point).
    expect(r.paid.map((p) => p.event.orderId).sort()).toEqual(Object.keys(payAt).sort());
    for (const { event, at } of r.paid) {
      expect(event).toMatchObject({ source: 'sweep', totalFee: fees[event.orderId], recordChecked: true });
      expect(at).toBeLessThanOrEqual(latest(createdAt, pointAfter(payAt[event.orderId]!)));
    }
    // ... delivered exactly once, to its own app's notify-pay-callback, signed.
    for (const id of Object.keys(payAt)) {
      const got = deliveriesOf(r.receiver, id);
      expect(got, id).toHaveLength(1);
      const app = id.startsWith('shop') ? 'shop' : 'club';
      expect(got[0]!.path).toBe(`/${app}/pay`);
      const verified = verifyWebhook<Record<string, unknown>>({ payload: got[0]!.body, headers: got[0]!.headers, secret: SECRET });
      expect(verified.body).toMatchObject({ order_id: id, total_fee: fees[id], result_code: 'SUCCESS' });
    }
    // Each order never paid: closed at WeChat once, at its expiry; never reported paid.
    expect(r.closed.map((c) => c.orderId).sort()).toEqual([...unpaid].sort());
    for (const c of r.closed) {
      expect(c).toMatchObject({ reason: 'expired', source: 'sweep', tradeState: 'NOTPAY', expiresAt: createdAt + EXPIRE_MINUTES * 60_000 });
      expect((await r.sim.order(c.orderId)).tradeState).toBe('CLOSED');
      expect(deliveriesOf(r.receiver, c.orderId)).toEqual([]);
    }
    expect(r.receiver.received).toHaveLength(Object.keys(payAt).length);

    // /ready's details, /metrics and the log lines say the same.
    const ready = await fetch(`${r.gateway.url}/ready`);
    const body = (await ready.json()) as { status: string; details: { sweeper: Record<string, any> } };
    expect(ready.status).toBe(200);
    expect(body.details.sweeper).toMatchObject({
      state: 'on',
      pending: 0,
      oldestUnresolvedSeconds: 0,
      sweeps: { paid: 6, closed: 3, error: 0 },
      lastSweepAt: new Date(r.clock.now()).toISOString(),
    });
    const metrics = await (await fetch(`${r.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/^wxpay_sweeps_total\{outcome="paid"\} 6$/m);
    expect(metrics).toMatch(/^wxpay_sweeps_total\{outcome="closed"\} 3$/m);
    expect(metrics).toMatch(/^wxpay_sweeper_pending_orders 0$/m);
    expect(metrics).toMatch(/^wxpay_sweeper_oldest_unresolved_age_seconds 0$/m);
    expect(metrics).toMatch(/^wxpay_events_total\{event="closed",app="shop"\} 2$/m);
    const logs = r.logs();
    expect(logs.filter((l) => l['event'] === 'paid' && l['source'] === 'sweep').map((l) => l['msg'])).toEqual(
      Array(6).fill("paid (found by the sweeper: WeChat's notification had not arrived)"),
    );
    expect(
      logs
        .filter((l) => l['event'] === 'closed')
        .map((l) => [l['orderId'], l['msg']])
        .sort(),
    ).toEqual(unpaid.map((id) => [id, 'order closed at WeChat: expired unpaid']).sort());
  });

  it('shows the oldest unresolved order in /ready and /metrics while orders wait', async () => {
    const r = await rig({ notifications: false });
    await r.order('shop', 'wait-1', 100);
    await r.advance(95_000);
    await r.order('club', 'wait-2', 100);
    const body = (await (await fetch(`${r.gateway.url}/ready`)).json()) as { details: { sweeper: Record<string, any> } };
    expect(body.details.sweeper).toMatchObject({ state: 'on', pending: 2, oldestUnresolvedSeconds: 95, sweeps: { unpaid: 3 } });
    const metrics = await (await fetch(`${r.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/^wxpay_sweeper_pending_orders 2$/m);
    expect(metrics).toMatch(/^wxpay_sweeper_oldest_unresolved_age_seconds 95$/m);
    expect(metrics).toMatch(/^wxpay_sweeps_total\{outcome="unpaid"\} 3$/m);
  });
});

describe('the gateway with WeChat notifications on (manual clock)', () => {
  it("a notification racing a sweep gives one 'paid' and one callback per order", async () => {
    const r = await rig({ notifications: true });
    const ids = Array.from({ length: 12 }, (_, n) => `race-${n}`);
    for (const [n, id] of ids.entries()) await r.order(n % 2 === 0 ? 'shop' : 'club', id, 200);
    await r.advance(9_000);
    // Paid just before the 10 s query: WeChat's notification and the sweep's query of each order
    // go out at the same moment of the clock, and run concurrently.
    for (const id of ids) await r.sim.pay(id);
    await r.advance(1_000);
    await Promise.all(ids.map((id) => r.sim.waitForNotification({ kind: 'pay', outTradeNo: id })));
    await r.advance(60_000);
    await r.drained();
    expect(r.paid.map((p) => p.event.orderId).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(deliveriesOf(r.receiver, id), id).toHaveLength(1);
    expect((await r.gateway.wxpay.sweeper!.stats()).pending).toBe(0);
  });
});
