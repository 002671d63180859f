/**
 * Exactly-once `paid`: WeChat's 16 deliveries with lost acknowledgements, 50 concurrent copies
 * (one instance and two instances on one Redis), `confirm` racing notifications, restarts on the
 * file and Redis stores, and a process that dies inside its listener.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createWxPay, type WxPay } from '@wxpay-kit/core';
import { createNodeListener, readRawBody, toHeaderRecord } from '@wxpay-kit/core/node';
import { buildPayNotification, signNotifyXml } from '@wxpay-kit/core/testing';
import { createFileStore, createRedisStore, type FileStore, type RedisStore } from '@wxpay-kit/forwarder';
import { createManualClock, startSimulator, NOTIFY_SCHEDULE_S } from '@wxpay-kit/simulator';
import { skipWithout } from '../helpers/external-tools.js';
import { startRedisServer, type RedisServer } from '../../packages/forwarder/test/helpers/redis-server.js';
import { listenLoopback } from '../helpers/loopback.js';
import { startHost } from './host-process.js';
import { APP_ID, MERCHANT, notifyWxPay, payNotification, record, replyCode } from './support.js';

/** False when redis-server is missing: the Redis variants are skipped, with one line saying so. */
const hasRedisServer = !skipWithout(import.meta.url, ['redis-server'], 'the Redis variants');

async function postXml(url: string, xml: string): Promise<{ status: number; code: 'SUCCESS' | 'FAIL' | undefined }> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml });
  const body = await res.body.text();
  const type = res.headers['content-type'];
  return {
    status: res.statusCode,
    code: replyCode({ body, headers: { 'content-type': Array.isArray(type) ? (type[0] ?? '') : (type ?? '') } }),
  };
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-once-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

let redis: RedisServer | undefined;
beforeAll(async () => {
  if (hasRedisServer) redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

type StoreKind = 'file' | 'redis';
const kinds: StoreKind[] = hasRedisServer ? ['file', 'redis'] : ['file'];

/** Opens a durable store; reopening with the same `where` sees the same data. */
async function openStore(kind: StoreKind, where: string): Promise<FileStore | RedisStore> {
  if (kind === 'file') return createFileStore({ dir: where });
  return createRedisStore({ redis: redis?.url ?? '', prefix: where });
}
async function closeStore(store: FileStore | RedisStore): Promise<void> {
  await store.close?.();
  if ('redis' in store) store.redis.disconnect();
}
const newPlace = (kind: StoreKind): string => (kind === 'file' ? tempDir() : `once${randomBytes(4).toString('hex')}:`);

describe("WeChat's schedule on the simulator's manual clock", () => {
  it("16 deliveries whose acknowledgements are lost on the way back give one 'paid'", async () => {
    const clock = createManualClock();
    const sim = await startSimulator({ port: 0, clock, merchants: [{ ...MERCHANT, appIds: [APP_ID] }] });
    const dir = tempDir();
    const store = await createFileStore({ dir });
    const lazy: { wxpay?: WxPay } = {};
    let delivered = 0;
    // The host answers WeChat, but the first 15 answers never reach it (connection dropped after handling).
    const host = await listenLoopback((req: IncomingMessage, res: ServerResponse) => {
      const wxpay = lazy.wxpay!;
      const path = (req.url ?? '/').replace(/^\/wxpay/, '');
      const route = wxpay.match(req.method ?? 'GET', path);
      void readRawBody(req, { limit: 65_536, signed: true })
        .then((rawBody) => wxpay.handle({ method: 'POST', path, headers: toHeaderRecord(req.headers), rawBody }))
        .then((out) => {
          delivered += 1;
          expect(route).toBeDefined();
          expect(replyCode(out)).toBe('SUCCESS');
          if (delivered < 16) res.socket?.destroy();
          else res.writeHead(out.status, out.headers).end(out.body);
        });
    });
    const wxpay = createWxPay({
      merchants: [{ name: 'main', ...MERCHANT, baseUrl: sim.url }],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: `${host.url}/wxpay/notify-pay`,
      notifyRefundUrl: `${host.url}/wxpay/notify-refund`,
      store,
      client: { retries: 0 },
    });
    lazy.wxpay = wxpay;
    const rec = record(wxpay);
    try {
      const orderId = `SCHED${Date.now()}`;
      const created = await wxpay.handle({
        method: 'POST',
        path: '/create-pay/NATIVE',
        headers: { 'content-type': 'application/json' },
        rawBody: Buffer.from(
          JSON.stringify({ appId: APP_ID, payApp: 'shop', goods: 'g', orderId, fee: 101, ip: '127.0.0.1', productId: 'p' }),
        ),
      });
      expect(created.status, String(created.body)).toBe(200);
      const attempts: number[] = [];
      let onAttempt: (() => void) | undefined;
      sim.on('attempt', (_n, attempt) => {
        attempts.push(attempt.attempt);
        onAttempt?.();
      });
      const nextAttempt = (): Promise<void> => new Promise((resolve) => (onAttempt = resolve));
      let waiting = nextAttempt();
      await sim.pay(orderId);
      for (let i = 1; i < NOTIFY_SCHEDULE_S.length; i += 1) {
        await waiting;
        waiting = nextAttempt();
        expect(clock.runNext()).toBe(true);
      }
      const settled = await sim.waitForNotification({ kind: 'pay', outTradeNo: orderId });
      expect(settled.attempts).toHaveLength(16);
      expect(settled.attempts.slice(0, 15).every((a) => !a.ok)).toBe(true);
      expect(settled.attempts[15]?.ok).toBe(true);
      // WeChat's real spacing: 15 s, 15 s, 30 s, 3 min, … 6 h after the first attempt.
      expect(settled.attempts.map((a) => (a.scheduledAt - settled.createdAt) / 1000)).toEqual([...NOTIFY_SCHEDULE_S]);
      expect(delivered).toBe(16);
      expect(rec.paid).toHaveLength(1);
      expect(rec.paid[0]).toMatchObject({ orderId, redelivery: false, source: 'notify' });
      expect(rec.errors).toEqual([]);
    } finally {
      await host.close();
      await wxpay.close();
      await sim.close();
      await store.close();
    }
  });
});

describe.each(kinds)('concurrency and restarts on the %s store', (kind) => {
  it("50 concurrent copies over real sockets give one 'paid' and 50 SUCCESS replies", async () => {
    const store = await openStore(kind, newPlace(kind));
    const wxpay = notifyWxPay({ store });
    const rec = record(wxpay);
    const server = await listenLoopback(createNodeListener(wxpay));
    try {
      const xml = payNotification();
      const replies = await Promise.all(Array.from({ length: 50 }, () => postXml(`${server.url}/notify-pay/shop`, xml)));
      expect(replies.map((r) => r.code)).toEqual(Array(50).fill('SUCCESS'));
      expect(rec.paid).toHaveLength(1);
    } finally {
      await server.close();
      await wxpay.close();
      await closeStore(store);
    }
  });

  it("'paid' fires once across a restart: the redelivery after it is acknowledged without an event", async () => {
    const place = newPlace(kind);
    const xml = payNotification();
    const first = await openStore(kind, place);
    const a = notifyWxPay({ store: first });
    const recA = record(a);
    expect(
      replyCode(
        await a.handle({ method: 'POST', path: '/notify-pay/shop', headers: { 'content-type': 'text/xml' }, rawBody: Buffer.from(xml) }),
      ),
    ).toBe('SUCCESS');
    await a.close();
    await closeStore(first);
    const second = await openStore(kind, place);
    const b = notifyWxPay({ store: second });
    const recB = record(b);
    try {
      for (let i = 0; i < 3; i += 1) {
        expect(
          replyCode(
            await b.handle({
              method: 'POST',
              path: '/notify-pay/shop',
              headers: { 'content-type': 'text/xml' },
              rawBody: Buffer.from(xml),
            }),
          ),
        ).toBe('SUCCESS');
      }
      expect(recA.paid).toHaveLength(1);
      expect(recB.paid).toHaveLength(0);
    } finally {
      await b.close();
      await closeStore(second);
    }
  });
});

describe.skipIf(!hasRedisServer)('two instances on one Redis', () => {
  it("50 concurrent copies split over both give one 'paid'; the copies refused while busy succeed on redelivery", async () => {
    const prefix = newPlace('redis');
    const stores = [await openStore('redis', prefix), await openStore('redis', prefix)];
    const instances = stores.map((store) => notifyWxPay({ store }));
    const recs = instances.map((w) => record(w));
    const servers = await Promise.all(instances.map((w) => listenLoopback(createNodeListener(w))));
    try {
      const xml = payNotification();
      const send = (i: number) => postXml(`${servers[i % 2]!.url}/notify-pay/shop`, xml);
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => send(i)));
      // A copy that reaches the instance not holding the claim is told FAIL (503) so WeChat retries.
      for (const r of replies) expect(r.code === 'SUCCESS' || (r.code === 'FAIL' && r.status === 503)).toBe(true);
      const again = await Promise.all(replies.map((r, i) => (r.code === 'SUCCESS' ? r : send(i))));
      expect(again.map((r) => r.code)).toEqual(Array(50).fill('SUCCESS'));
      expect(recs[0]!.paid.length + recs[1]!.paid.length).toBe(1);
      for (const r of recs) for (const e of r.errors) expect(e.error.code).toBe('WXPAY_ERR_STORE');
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all(instances.map((w) => w.close()));
      await Promise.all(stores.map((s) => closeStore(s)));
    }
  });
});

describe('confirm racing notifications', () => {
  it("25 confirms and 25 notifications of one payment, all at once, give one 'paid'", async () => {
    const sim = await startSimulator({ port: 0, merchants: [{ ...MERCHANT, appIds: [APP_ID] }] });
    const store = await createFileStore({ dir: tempDir() });
    const wxpay = createWxPay({
      merchants: [{ name: 'main', ...MERCHANT, baseUrl: sim.url }],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
      notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
      store,
      client: { retries: 0 },
    });
    const rec = record(wxpay);
    const server = await listenLoopback(createNodeListener(wxpay));
    try {
      const orderId = `RACE${Date.now()}`;
      const json = (path: string, body: unknown) =>
        request(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then(async (r) => ({
          status: r.statusCode,
          text: await r.body.text(),
        }));
      const created = await json('/create-pay/NATIVE', {
        appId: APP_ID,
        payApp: 'shop',
        goods: 'g',
        orderId,
        fee: 101,
        ip: '127.0.0.1',
        productId: 'p',
      });
      expect(created.status, created.text).toBe(200);
      const order = await sim.pay(orderId, { notify: false });
      const xml = signNotifyXml(
        buildPayNotification({
          appid: APP_ID,
          mch_id: MERCHANT.mchId,
          out_trade_no: orderId,
          transaction_id: order.transactionId ?? '',
          total_fee: '101',
          cash_fee: '101',
        }),
        MERCHANT.apiKey,
      );
      const calls = Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0 ? json('/confirm', { appId: APP_ID, payApp: 'shop', orderId }) : postXml(`${server.url}/notify-pay/shop`, xml),
      );
      const results = await Promise.all(calls);
      for (const r of results) {
        if ('code' in r) expect(r.code).toBe('SUCCESS');
        else expect(r.status, r.text).toBe(200);
      }
      expect(rec.paid).toHaveLength(1);
      expect(rec.errors).toEqual([]);
    } finally {
      await server.close();
      await wxpay.close();
      await store.close();
      await sim.close();
    }
  });
});

describe.each(kinds)('a listener that kills the process (%s store)', (kind) => {
  it('gets exactly one redelivery after the restart, flagged redelivery: true; later copies fire nothing', async () => {
    const dir = tempDir();
    const eventsFile = join(dir, 'events.jsonl');
    const place = kind === 'file' ? join(dir, 'store') : newPlace('redis');
    const base: Record<string, string> =
      kind === 'file'
        ? { STORE: 'file', STORE_DIR: place, EVENTS_FILE: eventsFile }
        : { STORE: 'redis', REDIS_URL: redis?.url ?? '', REDIS_PREFIX: place, EVENTS_FILE: eventsFile, LEASE_MS: '400' };
    const xml = payNotification();
    const crashing = await startHost({ ...base, CRASH_ON_PAID: '1' });
    await expect(postXml(`${crashing.url}/notify-pay/shop`, xml)).rejects.toThrow();
    expect(await crashing.exited).toBe(1);
    // The file store frees a dead process's claims when it opens (the clock offset also puts the
    // 60 s lease in the past). Redis leases are server TTLs, so that host holds claims for 400 ms
    // and the test retries like WeChat.
    const host = await startHost(kind === 'file' ? { ...base, CLOCK_OFFSET_MS: '61000' } : base);
    try {
      let reply = await postXml(`${host.url}/notify-pay/shop`, xml);
      for (let i = 0; reply.code !== 'SUCCESS' && i < 50; i += 1) {
        expect(reply.status).toBe(503);
        await new Promise((resolve) => setTimeout(resolve, 100));
        reply = await postXml(`${host.url}/notify-pay/shop`, xml);
      }
      expect(reply.code).toBe('SUCCESS');
      for (let i = 0; i < 3; i += 1) expect((await postXml(`${host.url}/notify-pay/shop`, xml)).code).toBe('SUCCESS');
      expect(existsSync(eventsFile)).toBe(true);
      const lines = readFileSync(eventsFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { redelivery: boolean; pid: number });
      expect(lines.map((l) => l.redelivery)).toEqual([false, true]);
      expect(lines[0]?.pid).not.toBe(lines[1]?.pid);
    } finally {
      await host.kill();
    }
  });
});
