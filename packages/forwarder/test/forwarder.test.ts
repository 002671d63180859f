import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { WxPay } from '@wxpay-kit/core';
import {
  createFileStore,
  forwarder,
  verifyWebhook,
  type FileStore,
  type Forwarder,
  type ForwarderOptions,
  type OutboxStore,
} from '@wxpay-kit/forwarder';
import { ManualClock } from './helpers/manual-clock.js';
import { fakeHost, paidEvent, refundedEvent, refundFailedEvent } from './helpers/events.js';
import { startCallbackServer } from './helpers/callback-server.js';

const SECRET = 'whsec_c2hvcC1zZWNyZXQtZm9yLXRlc3Rz';
const OTHER_SECRET = 'whsec_bWVtYmVycy1zZWNyZXQ=';

describe('forwarder', () => {
  let dir: string;
  let clock: ManualClock;
  let store: FileStore;
  let server: Awaited<ReturnType<typeof startCallbackServer>>;
  const cleanups: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wxpay-fwd-'));
    clock = new ManualClock();
    store = await createFileStore({ dir, now: clock.now });
    server = await startCallbackServer();
  });
  afterEach(async () => {
    await server.close();
    for (const c of cleanups.splice(0).reverse()) await c();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function setup(options: Partial<ForwarderOptions> = {}) {
    const fwd = forwarder({
      store,
      clock,
      pollIntervalMs: 86_400_000 * 7,
      apps: {
        shop: { payCallback: `${server.url}/shop/paid`, refundCallback: `${server.url}/shop/refunded`, secret: SECRET },
        members: { payCallback: `${server.url}/members/paid`, secret: OTHER_SECRET },
      },
      ...options,
    });
    const host = fakeHost();
    void fwd.setup(host.host);
    cleanups.push(() => host.close());
    return { fwd, ...host };
  }

  /** Runs the engine until nothing is in flight. */
  async function settle(fwd: Forwarder): Promise<void> {
    await fwd.pump();
    await fwd.idle();
  }

  /** Fires the next timer (the next retry) and lets its attempts finish. */
  async function step(fwd: Forwarder): Promise<number> {
    const at = clock.nextTimerAt();
    if (at === undefined) throw new Error('no timer pending');
    clock.advanceTo(at);
    await settle(fwd);
    return at;
  }

  it('delivers a paid result to its app: the seed JSON body, signed with Standard Webhooks headers', async () => {
    const { fwd, dispatch, emitted } = setup();
    const event = paidEvent({ coupons: [{ id: 'c1', type: 'CASH', fee: 10 }], cashFee: 91 });
    await dispatch('paid', event);
    await settle(fwd);

    expect(server.received).toHaveLength(1);
    const req = server.received[0]!;
    expect(req.path).toBe('/shop/paid');
    expect(req.headers['content-type']).toBe('application/json');
    const verified = verifyWebhook<Record<string, unknown>>({
      payload: req.body,
      headers: req.headers as never,
      secret: SECRET,
      now: clock.now,
    });
    expect(verified.body).toEqual({
      result_code: 'SUCCESS',
      err_code: 'SUCCESS',
      err_code_des: 'SUCCESS',
      mch_id: event.mchId,
      device_info: 'WEB',
      trade_type: 'JSAPI',
      attach: 'any',
      bank_type: 'CMC',
      fee_type: 'CNY',
      total_fee: 101,
      settlement_total_fee: 101,
      cash_fee_type: 'CNY',
      cash_fee: 91,
      coupon_count: 1,
      coupons: [{ coupon_id: 'c1', coupon_type: 'CASH', coupon_fee: 10 }],
      is_subscribe: true,
      open_id: event.openId,
      order_id: event.orderId,
      time_end: '20240101120000',
      transaction_id: event.transactionId,
      record_checked: true,
    });
    expect(emitted).toEqual([
      {
        event: 'forward-delivered',
        payload: { id: verified.id, app: 'shop', event: 'paid', attempts: 1, status: 204, deliveredAt: clock.now() },
      },
    ]);
    expect(await fwd.stats()).toEqual({ pending: 0, inFlight: 0, delivered: 1, dead: 0, oldestPendingAgeMs: 0 });
  });

  it('sends refund outcomes to the refund callback, and each app its own results under its own secret', async () => {
    const { fwd, dispatch } = setup();
    await dispatch('refunded', refundedEvent());
    await dispatch('refund-failed', refundFailedEvent());
    await dispatch('paid', paidEvent({ app: 'members' }));
    await settle(fwd);
    const byPath = Object.fromEntries(
      server.received.map((r) => [`${r.path}:${(JSON.parse(r.body) as { refund_status?: string }).refund_status ?? ''}`, r]),
    );
    expect(Object.keys(byPath).sort()).toEqual(['/members/paid:', '/shop/refunded:REFUNDCLOSE', '/shop/refunded:SUCCESS']);
    const ok = byPath['/shop/refunded:SUCCESS']!;
    expect(
      verifyWebhook<Record<string, unknown>>({ payload: ok.body, headers: ok.headers as never, secret: SECRET, now: clock.now }).body,
    ).toMatchObject({
      result_code: 'SUCCESS',
      refund_status: 'SUCCESS',
      refund_fee: 101,
      success_time: '2024-01-01 12:00:00',
    });
    const closed = byPath['/shop/refunded:REFUNDCLOSE']!;
    expect(JSON.parse(closed.body)).toMatchObject({ result_code: 'FAIL', err_code: 'REFUNDCLOSE', success_time: '' });
    const members = byPath['/members/paid:']!;
    expect(() => verifyWebhook({ payload: members.body, headers: members.headers as never, secret: SECRET, now: clock.now })).toThrow();
    expect(
      verifyWebhook({ payload: members.body, headers: members.headers as never, secret: OTHER_SECRET, now: clock.now }).id,
    ).toBeTruthy();
  });

  it('sends transfer outcomes to the transfer callback, signed; an app without one keeps them in the outbox', async () => {
    const { fwd, dispatch } = setup({
      apps: {
        shop: { payCallback: `${server.url}/shop/paid`, transferCallback: `${server.url}/shop/transfer`, secret: SECRET },
        members: { payCallback: `${server.url}/members/paid`, secret: OTHER_SECRET },
      },
    });
    const base = {
      app: 'shop',
      appId: 'wx8888888888888888',
      mchId: '1230000109',
      outBillNo: 'B1',
      transferBillNo: '1330000071100999991182020050700019480001',
      transferAmount: 150,
      openId: 'o-1',
      failReason: undefined,
      createTime: '2025-01-15T10:00:00.000+08:00',
      updateTime: '2025-01-15T10:01:00.000+08:00',
      source: 'notify',
      redelivery: false,
      recordChecked: true,
      raw: {},
    } as const;
    await dispatch('transferred', { ...base, state: 'SUCCESS' });
    await dispatch('transfer-failed', { ...base, outBillNo: 'B2', transferBillNo: 'W2', state: 'FAIL', failReason: 'OVERDUE_CLOSE' });
    await dispatch('transfer-cancelled', { ...base, outBillNo: 'B3', transferBillNo: 'W3', state: 'CANCELLED', failReason: 'MCH_CANCEL' });
    await dispatch('transferred', { ...base, app: 'members', outBillNo: 'B4', transferBillNo: 'W4', state: 'SUCCESS' });
    await settle(fwd);
    expect(server.received.map((r) => r.path)).toEqual(['/shop/transfer', '/shop/transfer', '/shop/transfer']);
    const bodies = server.received.map(
      (r) => verifyWebhook<Record<string, unknown>>({ payload: r.body, headers: r.headers as never, secret: SECRET, now: clock.now }).body,
    );
    expect(bodies[0]).toEqual({
      app_id: 'wx8888888888888888',
      mch_id: '1230000109',
      event: 'transferred',
      state: 'SUCCESS',
      out_bill_no: 'B1',
      transfer_bill_no: '1330000071100999991182020050700019480001',
      transfer_amount: 150,
      openid: 'o-1',
      fail_reason: '',
      create_time: '2025-01-15T10:00:00.000+08:00',
      update_time: '2025-01-15T10:01:00.000+08:00',
      record_checked: true,
    });
    expect(bodies.slice(1).map((b) => [b['event'], b['state'], b['fail_reason']])).toEqual([
      ['transfer-failed', 'FAIL', 'OVERDUE_CLOSE'],
      ['transfer-cancelled', 'CANCELLED', 'MCH_CANCEL'],
    ]);
    expect((await fwd.stats()).pending).toBe(1);
  });

  it('stores a result once when WeChat repeats it, and delivers it once', async () => {
    const { fwd, dispatch } = setup();
    const event = paidEvent();
    await dispatch('paid', event);
    await dispatch('paid', { ...event, redelivery: true });
    await settle(fwd);
    expect(server.received).toHaveLength(1);
    expect((await fwd.list()).length).toBe(1);
  });

  it('retries a 500 with the same webhook-id until a 2xx', async () => {
    const { fwd, dispatch, emitted } = setup();
    let calls = 0;
    server.setResponder((_r, res) => res.writeHead(++calls < 3 ? 500 : 200).end());
    await dispatch('paid', paidEvent());
    await settle(fwd);
    await step(fwd);
    await step(fwd);
    expect(server.received).toHaveLength(3);
    expect(new Set(server.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(emitted.at(-1)).toMatchObject({ event: 'forward-delivered', payload: { attempts: 3, status: 200 } });
    expect(clock.nextTimerAt()).toBeGreaterThan(clock.now() + 86_400_000);
  });

  it('logs the first failed attempt of a result and every warnEvery-th at warn, with URL and status, and each delivery at info', async () => {
    const lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] = [];
    const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
    const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const { fwd, dispatch } = setup({ logger, warnEvery: 3 });
    let calls = 0;
    server.setResponder((_r, res) => res.writeHead(++calls < 5 ? 401 : 200).end());
    await dispatch('paid', paidEvent());
    await settle(fwd);
    for (let i = 0; i < 4; i++) await step(fwd);
    expect(server.received).toHaveLength(5);
    const warned = lines.filter((l) => l.level === 'warn');
    expect(warned.map((l) => l.obj['attempts'])).toEqual([1, 3]);
    expect(warned[0]!.msg).toContain(`callback delivery to ${server.url}/shop/paid failed (HTTP 401), attempt 1`);
    expect(warned[0]!.obj).toMatchObject({ app: 'shop', url: `${server.url}/shop/paid`, status: 401 });
    expect(lines.filter((l) => l.level === 'debug' && l.msg?.includes('attempt failed')).map((l) => l.obj['attempts'])).toEqual([2, 4]);
    const delivered = lines.filter((l) => l.level === 'info');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      msg: 'callback delivered',
      obj: { app: 'shop', status: 200, attempts: 5, url: `${server.url}/shop/paid` },
    });
  });

  it('without a host or a logger, writes its warnings to stderr', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (written.push(String(chunk)), true));
    try {
      const fwd = forwarder({
        store,
        clock,
        pollIntervalMs: 86_400_000 * 7,
        apps: { shop: { payCallback: `${server.url}/shop/paid`, secret: SECRET } },
      });
      server.setResponder((_r, res) => res.writeHead(503).end());
      await fwd.enqueue('paid', paidEvent());
      await settle(fwd);
      await fwd.stop();
    } finally {
      spy.mockRestore();
    }
    const lines = written
      .join('')
      .split('\n')
      .filter((l) => l.includes('callback delivery'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^wxpay-kit warn: @wxpay-kit\/forwarder: callback delivery to http:\/\/127\.0\.0\.1:\d+\/shop\/paid failed \(HTTP 503\)/,
    );
  });

  it('backs off exponentially with full jitter, capped, until the horizon, then dead-letters and fires forward-dead', async () => {
    const { fwd, dispatch, emitted } = setup({
      baseDelayMs: 5_000,
      maxDelayMs: 60_000,
      horizonMs: 10 * 60_000,
      random: () => 0.5,
    });
    server.setResponder((_r, res) => res.writeHead(503).end());
    const start = clock.now();
    await dispatch('paid', paidEvent());
    await settle(fwd);
    const times = [clock.now()];
    while ((await fwd.stats()).dead === 0) times.push(await step(fwd));
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // 0.5 × min(60 s, 5 s × 2^(n-1)): 2.5, 5, 10, 20, 30, 30, … seconds, the last one cut at the horizon.
    expect(gaps.slice(0, 6)).toEqual([2_500, 5_000, 10_000, 20_000, 30_000, 30_000]);
    expect(times.at(-1)).toBe(start + 10 * 60_000);
    expect(gaps.every((g) => g <= 30_000)).toBe(true);
    expect(server.received).toHaveLength(times.length);
    const [dead] = await fwd.list({ state: 'dead' });
    expect(dead).toMatchObject({ state: 'dead', attempts: times.length, lastStatus: 503, lastError: 'HTTP 503' });
    expect(emitted.at(-1)).toMatchObject({
      event: 'forward-dead',
      payload: { id: dead!.id, app: 'shop', attempts: times.length, lastStatus: 503 },
    });

    // Replayed dead letters go out again under the same id, with a fresh horizon.
    server.setResponder((_r, res) => res.writeHead(200).end());
    expect(await fwd.replayDead()).toBe(1);
    await settle(fwd);
    expect(server.received.at(-1)!.headers['webhook-id']).toBe(dead!.id);
    expect(await fwd.stats()).toMatchObject({ delivered: 1, dead: 0, pending: 0 });
    // And so are delivered ones, by id.
    expect(await fwd.replay(dead!.id)).toBe(true);
    await settle(fwd);
    expect(server.received.filter((r) => r.headers['webhook-id'] === dead!.id)).toHaveLength(times.length + 2);
  });

  it('draws the delay uniformly below the ceiling (full jitter)', async () => {
    const draws = [0, 0.999, 0.25];
    const { fwd, dispatch } = setup({ baseDelayMs: 4_000, random: () => draws.shift() ?? 0.5 });
    const times: number[] = [];
    server.setResponder((_r, res) => {
      times.push(clock.now());
      res.writeHead(500).end();
    });
    await dispatch('paid', paidEvent());
    await settle(fwd);
    while (times.length < 4) await step(fwd);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps).toEqual([0, Math.floor(0.999 * 8_000), 4_000]);
  });

  it('counts timeouts, refused connections and redirects as failures, and does not follow redirects', async () => {
    const target = await startCallbackServer();
    cleanups.push(() => target.close());
    const { fwd, dispatch } = setup({
      timeoutMs: 200,
      apps: {
        hangs: { payCallback: `${server.url}/hang`, secret: SECRET },
        refused: { payCallback: 'http://127.0.0.1:1/paid', secret: SECRET },
        moved: { payCallback: `${server.url}/moved`, secret: SECRET },
      },
    });
    server.setResponder((r, res) => {
      if (r.path === '/moved') res.writeHead(301, { location: `${target.url}/paid` }).end();
    });
    for (const app of ['hangs', 'refused', 'moved']) await dispatch('paid', paidEvent({ app }));
    await settle(fwd);
    const records = await fwd.list();
    const byApp = Object.fromEntries(records.map((r) => [r.app, r]));
    expect(byApp['hangs']).toMatchObject({ state: 'pending', attempts: 1, lastError: 'timeout' });
    expect(byApp['refused']).toMatchObject({ state: 'pending', attempts: 1 });
    expect(byApp['refused']!.lastError).toMatch(/ECONNREFUSED/);
    expect(byApp['moved']).toMatchObject({ state: 'pending', attempts: 1, lastStatus: 301 });
    expect(target.received).toHaveLength(0);
  });

  it('does not let a hanging app hold up the others', async () => {
    server.setResponder((r, res) => {
      if (!r.path.startsWith('/slow')) res.writeHead(200).end();
    });
    const { fwd, dispatch, waitForEmits } = setup({
      perAppConcurrency: 2,
      concurrency: 4,
      timeoutMs: 60_000,
      apps: {
        slow: { payCallback: `${server.url}/slow`, secret: SECRET },
        fast: { payCallback: `${server.url}/fast`, secret: SECRET },
      },
    });
    for (let i = 0; i < 6; i++) await dispatch('paid', paidEvent({ app: 'slow' }));
    for (let i = 0; i < 10; i++) await dispatch('paid', paidEvent({ app: 'fast' }));
    await waitForEmits('forward-delivered', 10);
    const slowRequests = server.received.filter((r) => r.path === '/slow');
    expect(slowRequests).toHaveLength(2);
    expect(await fwd.stats()).toMatchObject({ inFlight: 2, pending: 4, delivered: 10 });
    server.setResponder((_r, res) => res.writeHead(200).end());
    server.releaseAll(200);
    await waitForEmits('forward-delivered', 16);
  });

  it('keeps results of an app without a callback in the outbox and reports an error', async () => {
    const { fwd, dispatch, emitted } = setup();
    await dispatch('paid', paidEvent({ app: 'ghost' }));
    await dispatch('refunded', refundedEvent({ app: 'members' }));
    await settle(fwd);
    expect(server.received).toHaveLength(0);
    expect(await fwd.stats()).toMatchObject({ pending: 2, delivered: 0, dead: 0 });
    const errors = emitted.filter((e) => e.event === 'error').map((e) => e.payload as { error: Error; app: string });
    expect([...new Set(errors.map((e) => e.app))].sort()).toEqual(['ghost', 'members']);
    expect(errors.every((e) => (e.error as { code?: string }).code === 'WXPAY_ERR_CONFIG')).toBe(true);
  });

  it('keeps results of a callback listed in noCallbackNeeded in the outbox with one info line and no error', async () => {
    const lines: { level: string; msg: string | undefined }[] = [];
    const at = (level: string) => (_obj: object, msg?: string) => void lines.push({ level, msg });
    const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const { fwd, dispatch, emitted } = setup({
      logger,
      apps: { shop: { secret: SECRET, noCallbackNeeded: ['payCallback'] } },
    });
    await dispatch('paid', paidEvent({ transactionId: '4200000001' }));
    await dispatch('paid', paidEvent({ transactionId: '4200000002' }));
    await settle(fwd);
    expect(await fwd.stats()).toMatchObject({ pending: 2, delivered: 0, dead: 0 });
    expect(emitted.filter((e) => e.event === 'error')).toEqual([]);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(lines.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual([
      '@wxpay-kit/forwarder: app shop has no payCallback; its results wait in the outbox until one is set',
    ]);
    // a kind not listed is still a mistake in the configuration
    await dispatch('refunded', refundedEvent({ app: 'shop' }));
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      expect.stringContaining('apps.shop.refundCallback: is not configured'),
    ]);
    expect(emitted.filter((e) => e.event === 'error')).toHaveLength(1);
    expect(() => forwarder({ store, apps: { shop: { secret: SECRET, noCallbackNeeded: ['paidCallback' as never] } } })).toThrow(
      /apps\.shop\.noCallbackNeeded: must be a list of payCallback, refundCallback, transferCallback/,
    );
  });

  it('rejects the listener when the outbox cannot store the result (so WeChat is answered FAIL)', async () => {
    const failing: OutboxStore = {
      ...store,
      append: () => Promise.reject(new Error('disk full')),
    };
    const { dispatch } = setup({ store: failing });
    await expect(dispatch('paid', paidEvent())).rejects.toThrow('disk full');
  });

  it('resumes pending results on start', async () => {
    const first = setup({ autoStart: false });
    await first.dispatch('paid', paidEvent());
    await first.dispatch('paid', paidEvent());
    expect(server.received).toHaveLength(0);
    await first.fwd.stop();
    const second = setup();
    await settle(second.fwd);
    expect(server.received).toHaveLength(2);
  });

  it('adds forward-delivered and forward-dead to the core event map', () => {
    const listen = (wxpay: WxPay): void => {
      wxpay.on('forward-dead', (e) => expectTypeOf(e.lastError).toEqualTypeOf<string>());
      wxpay.on('forward-delivered', (e) => expectTypeOf(e.status).toEqualTypeOf<number>());
      // @ts-expect-error: not an event
      wxpay.on('forward-lost', () => undefined);
    };
    expectTypeOf(listen).toBeFunction();
  });

  it('validates its options, naming every bad field', () => {
    expect(() =>
      forwarder({
        store,
        apps: { 'bad name': { secret: '' }, shop: { payCallback: 'ftp://x', secret: SECRET } },
        timeoutMs: -1,
      }),
    ).toThrow(/apps\.bad name[\s\S]*apps\.bad name\.secret[\s\S]*apps\.shop\.payCallback[\s\S]*timeoutMs/);
  });
});
