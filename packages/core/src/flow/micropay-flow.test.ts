import { describe, expect, it } from 'vitest';
import {
  APP_ID_1,
  MCH_1,
  bodyText,
  jsonRequest,
  scriptedClient,
  testConfig,
  type ScriptedClient,
} from '../../test/helpers/handler-fixtures.js';
import { MICROPAY_DEFAULTS } from '../config/schema.js';
import { TransportError, WxPayError } from '../errors.js';
import type { MicropayFailedEvent, MicropayReversedEvent } from '../model/micropay.js';
import type { PaidEvent } from '../events/event-map.js';
import { createHandler } from '../handler/create-handler.js';
import type { WxPay } from '../handler/wxpay.js';
import type { DedupStore } from '../stores/dedup-store.js';
import { createMemoryDedupStore } from '../stores/memory-dedup-store.js';
import type { ResolvedConfig, ResolvedMerchant } from '../config/types.js';

const CODE = '134567890123456789';
const T0 = 1_700_000_000_000;

/** A clock that only moves when the flow waits: no test waits in real time. */
function fakeTime() {
  const clock = { t: T0 };
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      clock.t += ms;
      await Promise.resolve();
    },
  };
}

interface Setup {
  readonly wxpay: WxPay;
  readonly client: ScriptedClient;
  readonly clock: { t: number };
  readonly paid: PaidEvent[];
  readonly reversed: MicropayReversedEvent[];
  readonly failed: MicropayFailedEvent[];
}

/** The test merchants with a certificate (the scripted client makes no TLS call): API v2's reverse needs one. */
function withCertificates(config: ResolvedConfig): ResolvedConfig {
  const merchants = config.merchants.map((m) => ({ ...m, cert: { key: 'test', cert: 'test' } as unknown as ResolvedMerchant['cert'] }));
  const find = (name: string | undefined) => merchants.find((m) => m.name === name);
  return {
    ...config,
    merchants,
    merchant: (name) => find(name),
    merchantOfApp: (name) => find(config.app(name)?.merchant),
  };
}

function setup(
  store: DedupStore = createMemoryDedupStore(),
  client = scriptedClient(),
  sleep?: Setup['wxpay']['config']['micropay'],
): Setup {
  const time = fakeTime();
  const micropay = sleep ?? { ...MICROPAY_DEFAULTS, sleep: time.sleep };
  const wxpay = createHandler(withCertificates(testConfig({ now: time.now, store, micropay })), client);
  const paid: PaidEvent[] = [];
  const reversed: MicropayReversedEvent[] = [];
  const failed: MicropayFailedEvent[] = [];
  wxpay.on('paid', (e) => void paid.push(e));
  wxpay.on('micropay-reversed', (e) => void reversed.push(e));
  wxpay.on('micropay-failed', (e) => void failed.push(e));
  return { wxpay, client, clock: time.clock, paid, reversed, failed };
}

/** Query answers in order; the last repeats. */
function scriptQueries(client: ScriptedClient, states: readonly (string | Error)[]): void {
  let n = 0;
  const base = client.queryOrder.bind(client);
  client.queryOrder = async (input) => {
    const next = states[Math.min(n++, states.length - 1)]!;
    if (next instanceof Error) {
      client.calls.push({ method: 'queryOrder', input });
      throw next;
    }
    client.orderState =
      next === 'SUCCESS'
        ? { tradeState: 'SUCCESS', transactionId: '4200000000202401010000000777', totalFee: 500, cashFee: 500, tradeType: 'MICROPAY' }
        : { tradeState: next };
    return base(input);
  };
}

const call = { app: 'shop', orderId: 'MP1', fee: 500, goods: 'coffee', authCode: CODE, ip: '10.0.0.8' };
const calls = (client: ScriptedClient, method: string) => client.calls.filter((c) => c.method === method);
const systemError = () => new WxPayError({ layer: 'result', errCode: 'SYSTEMERROR', errCodeDes: 'busy' });

describe('managed payment-code payments', () => {
  it('USERPAYING, then queries every 5 s until paid: one paid with source micropay, never re-submitted', async () => {
    const s = setup();
    scriptQueries(s.client, ['USERPAYING', 'SUCCESS']);
    const outcome = await s.wxpay.micropay(call);
    expect(outcome.state).toBe('paid');
    expect(calls(s.client, 'micropay')).toHaveLength(1);
    expect(calls(s.client, 'queryOrder')).toHaveLength(2);
    expect(s.clock.t - T0).toBe(10_000);
    expect(s.paid).toHaveLength(1);
    expect(s.paid[0]).toMatchObject({ source: 'micropay', orderId: 'MP1', totalFee: 500, recordChecked: true });
    expect(calls(s.client, 'reverse')).toHaveLength(0);
    // Asking again for the same order follows it up: still one submission, still one paid.
    expect((await s.wxpay.micropay(call)).state).toBe('paid');
    expect(calls(s.client, 'micropay')).toHaveLength(1);
    expect(s.paid).toHaveLength(1);
  });

  it('USERPAYING until the 45 s deadline: reversed (reason timeout), no paid', async () => {
    const s = setup();
    scriptQueries(s.client, ['USERPAYING']);
    const outcome = await s.wxpay.micropay(call);
    expect(outcome.state).toBe('reversed');
    expect(s.reversed).toEqual([expect.objectContaining({ orderId: 'MP1', reason: 'timeout', errCode: 'USERPAYING', totalFee: 500 })]);
    expect(calls(s.client, 'reverse')).toHaveLength(1);
    expect(s.clock.t - T0).toBeGreaterThanOrEqual(45_000);
    expect(s.paid).toHaveLength(0);
    expect(calls(s.client, 'micropay')).toHaveLength(1);
  });

  it('PAYERROR after submission: reversed (reason payerror), not sooner than 15 s after the submission', async () => {
    const s = setup();
    scriptQueries(s.client, ['PAYERROR']);
    let reversedAt = 0;
    const reverse = s.client.reverse.bind(s.client);
    s.client.reverse = async (input) => {
      reversedAt = s.clock.t;
      return reverse(input);
    };
    expect((await s.wxpay.micropay(call)).state).toBe('reversed');
    expect(reversedAt - T0).toBe(15_000);
    expect(s.reversed[0]?.reason).toBe('payerror');
  });

  it('SYSTEMERROR on submission: queried (found paid), never submitted again', async () => {
    const s = setup();
    s.client.failNext = systemError();
    scriptQueries(s.client, [new TransportError('no answer'), 'SUCCESS']);
    expect((await s.wxpay.micropay(call)).state).toBe('paid');
    expect(calls(s.client, 'micropay')).toHaveLength(1);
    expect(s.paid).toHaveLength(1);
  });

  it('a refusal (AUTHCODEEXPIRE) ends at once: micropay-failed with the reason, no query, no reverse', async () => {
    const s = setup();
    s.client.failNext = new WxPayError({ layer: 'result', errCode: 'AUTHCODEEXPIRE', errCodeDes: '二维码已过期' });
    const outcome = await s.wxpay.micropay(call);
    expect(outcome.state).toBe('failed');
    expect(s.failed).toEqual([expect.objectContaining({ reason: 'refused', errCode: 'AUTHCODEEXPIRE', errCodeDes: '二维码已过期' })]);
    expect(calls(s.client, 'queryOrder')).toHaveLength(0);
    expect(calls(s.client, 'reverse')).toHaveLength(0);
  });

  it('reverse is repeated on its own system errors until it succeeds', async () => {
    const s = setup();
    scriptQueries(s.client, ['USERPAYING']);
    let n = 0;
    s.client.reverse = async (input) => {
      s.client.calls.push({ method: 'reverse', input });
      n += 1;
      if (n < 3) throw n === 1 ? systemError() : new TransportError('no answer');
    };
    expect((await s.wxpay.micropay(call)).state).toBe('reversed');
    expect(calls(s.client, 'reverse')).toHaveLength(3);
    expect(s.reversed).toHaveLength(1);
  });

  it('a reverse that keeps failing answers pending (reverse_failed); a later call finishes it', async () => {
    const s = setup();
    scriptQueries(s.client, ['USERPAYING']);
    const reverse = s.client.reverse.bind(s.client);
    s.client.reverse = async () => {
      throw systemError();
    };
    const first = await s.wxpay.micropay(call);
    expect(first).toMatchObject({ state: 'pending', reverseFailed: true });
    expect(s.reversed).toHaveLength(0);
    s.client.reverse = reverse;
    expect((await s.wxpay.micropay(call)).state).toBe('reversed');
    expect(calls(s.client, 'micropay')).toHaveLength(1);
  });

  it('a crash between submission and the final state: the next instance follows the order up (paid once) without submitting again', async () => {
    const store = createMemoryDedupStore();
    // The first instance submits (outcome unknown) and dies while waiting to query.
    const hang = (_ms: number, signal?: AbortSignal) =>
      new Promise<void>((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
    const a = setup(store, scriptedClient(), { ...MICROPAY_DEFAULTS, sleep: hang });
    a.client.failNext = new TransportError('connection reset');
    const running = a.wxpay.micropay(call);
    await new Promise((r) => setTimeout(r, 0));
    await a.wxpay.close();
    expect((await running).state).toBe('pending');
    expect(calls(a.client, 'micropay')).toHaveLength(1);

    // A restart: a new instance on the same store. The cashier (or confirm) asks again.
    const b = setup(store);
    b.clock.t = T0 + 60_000;
    scriptQueries(b.client, ['SUCCESS']);
    expect((await b.wxpay.micropay(call)).state).toBe('paid');
    expect(calls(b.client, 'micropay')).toHaveLength(0);
    expect(b.paid).toHaveLength(1);
    // confirm afterwards fires nothing more.
    await b.wxpay.handle(jsonRequest('/confirm', { appId: APP_ID_1, payApp: 'shop', orderId: 'MP1' }));
    expect(b.paid).toHaveLength(1);
  });

  it('after a restart, confirm finishes an order left USERPAYING past its deadline by reversing it', async () => {
    const store = createMemoryDedupStore();
    const hang = setup(store, scriptedClient(), {
      ...MICROPAY_DEFAULTS,
      sleep: (_ms, signal) => new Promise((_r, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true })),
    });
    const running = hang.wxpay.micropay(call);
    await new Promise((r) => setTimeout(r, 0));
    await hang.wxpay.close();
    expect((await running).state).toBe('pending');

    const b = setup(store);
    b.clock.t = T0 + 120_000;
    // confirm's query, the follow-up's query (still USERPAYING, past the deadline: reverse), confirm's answer.
    scriptQueries(b.client, ['USERPAYING', 'USERPAYING', 'REVOKED']);
    const res = await b.wxpay.handle(jsonRequest('/confirm', { appId: APP_ID_1, payApp: 'shop', orderId: 'MP1' }));
    expect(res.status).toBe(200);
    expect(calls(b.client, 'reverse')).toHaveLength(1);
    expect(calls(b.client, 'micropay')).toHaveLength(0);
    expect(b.reversed).toHaveLength(1);
    expect(JSON.parse(bodyText(res.body)).trade_state).toBe('REVOKED');
  });

  it("the route answers pending with a query hint when the caller's own wait is shorter; the payment goes on", async () => {
    const s = setup();
    scriptQueries(s.client, ['USERPAYING']);
    const res = await s.wxpay.handle(
      jsonRequest('/micropay', {
        appId: APP_ID_1,
        payApp: 'shop',
        orderId: 'MP9',
        fee: 500,
        goods: 'tea',
        authCode: CODE,
        ip: '10.0.0.8',
        waitMs: 7_000,
      }),
    );
    expect(res.status).toBe(200);
    const body = JSON.parse(bodyText(res.body));
    expect(body).toMatchObject({ code: 200, msg: 'OK', result: { state: 'pending', order_id: 'MP9', trade_state: 'USERPAYING' } });
    expect(body.result.query_hint).toMatch(/micropay again/);
    // The run continues to its end: asking again without a wait gets the reversal.
    const again = await s.wxpay.handle(
      jsonRequest('/micropay', { appId: APP_ID_1, payApp: 'shop', orderId: 'MP9', fee: 500, goods: 'tea', authCode: CODE, ip: '10.0.0.8' }),
    );
    expect(JSON.parse(bodyText(again.body)).result).toMatchObject({ state: 'reversed', trade_state: 'REVOKED', reason: 'timeout' });
    expect(calls(s.client, 'micropay')).toHaveLength(1);
  });

  it('refuses a malformed payment code with 400 naming authCode, before anything is recorded or sent', async () => {
    const s = setup();
    const res = await s.wxpay.handle(
      jsonRequest('/micropay', {
        appId: APP_ID_1,
        payApp: 'shop',
        orderId: 'MPX',
        fee: 500,
        goods: 'tea',
        authCode: '99999',
        ip: '10.0.0.8',
      }),
    );
    expect(res.status).toBe(400);
    expect(bodyText(res.body)).toMatch(/authCode/);
    expect(bodyText(res.body)).not.toContain('99999');
    expect(s.client.calls).toHaveLength(0);
    await expect(s.wxpay.micropay({ ...call, fee: 1.5 })).rejects.toMatchObject({ field: 'fee' });
  });

  it('refuses with 400 before anything is recorded or sent when an API v2 merchant has no certificate to reverse with', async () => {
    const store = createMemoryDedupStore();
    const client = scriptedClient();
    const wxpay = createHandler(testConfig({ store }), client);
    const res = await wxpay.handle(
      jsonRequest('/micropay', { appId: APP_ID_1, payApp: 'shop', orderId: 'MPC', fee: 500, goods: 'tea', authCode: CODE, ip: '10.0.0.8' }),
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(bodyText(res.body)).msg).toMatch(/^merchant: m1 has no certificate; payment codes need the merchant API certificate/);
    expect(client.calls).toHaveLength(0);
    expect(await store.getOrder(`${MCH_1}:MPC`)).toBeUndefined();
  });
});
