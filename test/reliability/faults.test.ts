/**
 * Faults of the other side. WeChat (the simulator's fault injection): timeouts, resets,
 * SYSTEMERROR bursts and slow answers. The apps (forwarder receivers): hanging, resetting,
 * answering 500 or 301, while a healthy app keeps receiving.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TransportError, WxPayError, createWxPay, type WxPay } from '@wxpay-kit/core';
import {
  createFileStore,
  forwarder,
  verifyWebhook,
  type FileStore,
  type ForwardDeadEvent,
  type ForwardDeliveredEvent,
} from '@wxpay-kit/forwarder';
import { startSimulator } from '@wxpay-kit/simulator';
import { listenLoopback, type LoopbackServer } from '../helpers/loopback.js';
import { APP_ID, MERCHANT, notifyRequest, notifyWxPay, payNotification, replyCode, writeFigures } from './support.js';

describe('WeChat API faults (simulator)', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let wxpay: WxPay;
  const figures: Record<string, unknown> = {};
  const TIMEOUT_MS = 300;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, merchants: [{ ...MERCHANT, appIds: [APP_ID] }] });
    wxpay = createWxPay({
      merchants: [{ name: 'main', ...MERCHANT, baseUrl: sim.url }],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
      notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
      client: { timeoutMs: TIMEOUT_MS, retries: 2, retryDelayMs: 20 },
    });
  });
  beforeEach(async () => {
    await sim.clearFaults();
  });
  afterAll(async () => {
    writeFigures('wechat-faults', figures);
    await wxpay.close();
    await sim.close();
  });

  let seq = 0;
  async function placeOrder(): Promise<string> {
    const orderId = `FAULT${Date.now()}${(seq += 1)}`;
    await wxpay.client.unifiedOrder({
      appId: APP_ID,
      merchant: 'main',
      body: 'g',
      outTradeNo: orderId,
      totalFee: 101,
      spbillCreateIp: '127.0.0.1',
      notifyUrl: 'http://127.0.0.1:9/n',
      tradeType: 'NATIVE',
      productId: 'p',
    });
    return orderId;
  }
  const remaining = async (): Promise<number> => (await sim.faults()).reduce((n, f) => n + f.remaining, 0);
  async function timed<T>(name: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      figures[name] = { ms: Math.round(performance.now() - started) };
    }
  }

  it('a query that times out twice is retried with backoff and succeeds on the third attempt', async () => {
    const orderId = await placeOrder();
    await sim.addFault({ kind: 'delay', ms: 60_000, path: '/pay/orderquery', times: 2 });
    const order = await timed('query: 2 timeouts then success', () =>
      wxpay.client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: orderId }),
    );
    expect(order).toMatchObject({ outTradeNo: orderId });
    expect(await remaining()).toBe(0);
  });

  it('a query that keeps timing out fails with TransportError after its retries, never waiting for the 60 s answer', async () => {
    const orderId = await placeOrder();
    await sim.addFault({ kind: 'delay', ms: 60_000, path: '/pay/orderquery', times: 10 });
    const error = await timed('query: timeouts until it gives up', () =>
      wxpay.client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: orderId }).catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(TransportError);
    // One try and two retries, each cut at the client timeout.
    expect(await remaining()).toBe(7);
  });

  it('a reset connection is retried for a query, never for unifiedorder', async () => {
    const orderId = await placeOrder();
    await sim.addFault({ kind: 'drop', path: '/pay/orderquery', times: 1 });
    await expect(wxpay.client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: orderId })).resolves.toMatchObject({
      outTradeNo: orderId,
    });
    expect(await remaining()).toBe(0);
    await sim.addFault({ kind: 'drop', path: '/pay/unifiedorder', times: 2 });
    await expect(placeOrder()).rejects.toBeInstanceOf(TransportError);
    expect(await remaining()).toBe(1);
  });

  it('a SYSTEMERROR burst: retried through two, a typed WxPayError after three', async () => {
    const orderId = await placeOrder();
    await sim.addFault({ kind: 'systemerror', path: '/pay/orderquery', times: 2 });
    await expect(wxpay.client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: orderId })).resolves.toMatchObject({
      outTradeNo: orderId,
    });
    await sim.addFault({ kind: 'systemerror', path: '/pay/orderquery', times: 3 });
    const error = await wxpay.client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: orderId }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WxPayError);
    expect((error as WxPayError).errCode).toBe('SYSTEMERROR');
    expect((error as WxPayError).retryable).toBe(true);
    // unifiedorder is not repeated on SYSTEMERROR either.
    await sim.addFault({ kind: 'systemerror', path: '/pay/unifiedorder', times: 2 });
    await expect(placeOrder()).rejects.toBeInstanceOf(WxPayError);
    expect(await remaining()).toBe(1);
  });

  it('a slow answer within the timeout is waited for, without a retry', async () => {
    const orderId = await placeOrder();
    await sim.addFault({ kind: 'delay', ms: TIMEOUT_MS / 2, path: '/pay/orderquery', times: 2 });
    await expect(
      timed('query: slow answer', () => wxpay.client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: orderId })),
    ).resolves.toMatchObject({ outTradeNo: orderId });
    expect(await remaining()).toBe(1);
  });

  it('the host sees the failures on its routes as 502 envelopes, and create-pay is not repeated', async () => {
    await sim.addFault({ kind: 'drop', path: '/pay/unifiedorder', times: 2 });
    const response = await wxpay.handle({
      method: 'POST',
      path: '/create-pay/NATIVE',
      headers: { 'content-type': 'application/json' },
      rawBody: Buffer.from(
        JSON.stringify({
          appId: APP_ID,
          payApp: 'shop',
          goods: 'g',
          orderId: `HOST${Date.now()}`,
          fee: 1,
          ip: '127.0.0.1',
          productId: 'p',
        }),
      ),
    });
    expect(response.status).toBe(502);
    expect(JSON.parse(String(response.body))).toMatchObject({ code: 502 });
    expect(await remaining()).toBe(1);
  });
});

describe('app receivers that misbehave (forwarder)', () => {
  const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const HORIZON_MS = 1_500;
  let dir: string;
  let store: FileStore;
  let wxpay: WxPay;
  let receivers: Record<string, LoopbackServer>;
  let canary: LoopbackServer;
  let canaryHits = 0;
  const received: Record<string, string[]> = {};
  const delivered: ForwardDeliveredEvent[] = [];
  const dead: ForwardDeadEvent[] = [];
  const hanging: ServerResponse[] = [];
  const apps = ['good', 'hang', 'reset', 'e500', 'r301'] as const;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wxpay-recv-'));
    canary = await listenLoopback((_req, res) => {
      canaryHits += 1;
      res.end('ok');
    });
    const behave: Record<(typeof apps)[number], (req: IncomingMessage, res: ServerResponse) => void> = {
      good: (req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => void (body += d.toString()));
        req.on('end', () => {
          const verified = verifyWebhook({ payload: body, headers: req.headers as Record<string, string>, secret: SECRET });
          (received['good'] ??= []).push(verified.id);
          res.end('ok');
        });
      },
      hang: (req, res) => {
        (received['hang'] ??= []).push('attempt');
        hanging.push(res);
        req.resume();
      },
      reset: (req) => {
        (received['reset'] ??= []).push('attempt');
        req.socket.destroy();
      },
      e500: (req, res) => {
        (received['e500'] ??= []).push('attempt');
        req.resume();
        res.writeHead(500).end('oops');
      },
      r301: (req, res) => {
        (received['r301'] ??= []).push('attempt');
        req.resume();
        res.writeHead(301, { location: `${canary.url}/moved` }).end();
      },
    };
    receivers = Object.fromEntries(await Promise.all(apps.map(async (a) => [a, await listenLoopback(behave[a])] as const)));
    store = await createFileStore({ dir });
    wxpay = notifyWxPay({
      store,
      apps: apps.map((a, i) => ({ name: a, merchant: 'main', appIds: [`wx${String(i).padStart(16, '0')}`] })),
    });
    wxpay.use(
      forwarder({
        store,
        apps: Object.fromEntries(apps.map((a) => [a, { payCallback: `${receivers[a]!.url}/paid`, secret: SECRET }])),
        timeoutMs: 200,
        baseDelayMs: 20,
        maxDelayMs: 100,
        horizonMs: HORIZON_MS,
        pollIntervalMs: 20,
        perAppConcurrency: 2,
        concurrency: 8,
      }),
    );
    wxpay.on('forward-delivered', (e) => void delivered.push(e));
    wxpay.on('forward-dead', (e) => void dead.push(e));
    await wxpay.ready();
  });
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    await wxpay.close();
    await store.close();
    await Promise.all([...Object.values(receivers).map((r) => r.close()), canary.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries the bad apps until the horizon, dead-letters them, follows no redirect, and the healthy app gets everything at the first attempt', async () => {
    const started = performance.now();
    const perApp = 5;
    for (const [i, a] of apps.entries()) {
      for (let n = 0; n < perApp; n += 1) {
        const xml = payNotification({ appid: `wx${String(i).padStart(16, '0')}`, out_trade_no: `${a}${n}${Date.now()}` });
        expect(replyCode(await wxpay.handle(notifyRequest(xml, 'pay', a)))).toBe('SUCCESS');
      }
    }
    const bad = apps.length - 1;
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (dead.length >= bad * perApp && delivered.length >= perApp) resolve();
      };
      wxpay.on('forward-dead', check);
      wxpay.on('forward-delivered', check);
      check();
    });
    const goodDoneMs = Math.max(...delivered.map((d) => d.deliveredAt)) - performance.timeOrigin - started;
    const firstDeadMs = Math.min(...dead.map((d) => d.deadAt)) - performance.timeOrigin - started;
    expect(delivered.map((d) => d.app)).toEqual(Array(perApp).fill('good'));
    expect(delivered.every((d) => d.attempts === 1)).toBe(true);
    expect(new Set(received['good'])).toEqual(new Set(delivered.map((d) => d.id)));
    // The healthy app was served while the others were still being retried.
    expect(Math.max(...delivered.map((d) => d.deliveredAt))).toBeLessThan(Math.min(...dead.map((d) => d.deadAt)));
    for (const a of ['hang', 'reset', 'e500', 'r301']) {
      const letters = dead.filter((d) => d.app === a);
      expect(letters).toHaveLength(perApp);
      for (const d of letters) expect(d.attempts).toBeGreaterThan(1);
    }
    expect(dead.filter((d) => d.app === 'e500').every((d) => d.lastStatus === 500)).toBe(true);
    expect(dead.filter((d) => d.app === 'r301').every((d) => d.lastStatus === 301)).toBe(true);
    expect(dead.filter((d) => d.app === 'hang').every((d) => d.lastError === 'timeout')).toBe(true);
    expect(canaryHits).toBe(0);
    const stats = await store.stats(Date.now());
    expect(stats).toMatchObject({ pending: 0, inFlight: 0, delivered: perApp, dead: bad * perApp });
    // Dead letters are replayable under the same id.
    const letters = await store.list({ state: 'dead' });
    expect(letters.map((r) => r.id).sort()).toEqual(dead.map((d) => d.id).sort());
    writeFigures('receiver-faults', {
      horizonMs: HORIZON_MS,
      healthyAppAllDeliveredMs: Math.round(goodDoneMs),
      firstDeadLetterMs: Math.round(firstDeadMs),
      attemptsPerApp: Object.fromEntries(Object.entries(received).map(([a, list]) => [a, list.length])),
    });
  });
});
