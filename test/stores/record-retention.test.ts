/**
 * The records that notifications are checked against (orders from create-pay, refunds from
 * create-refund) outlive WeChat's refund window (a year) in the durable stores; once they are gone,
 * a verified result is still delivered, marked unchecked. The file store runs on an injected clock
 * compressed by hundreds of days; Redis keeps records by TTL, which is read back.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createWxPay, type ErrorEvent, type PaidEvent, type RefundedEvent, type WxPay } from '@wxpay-kit/core';
import { buildV3Notification, buildV3Transaction, generateTestRsaKeyPair } from '@wxpay-kit/core/testing';
import { createFileStore, createRedisStore, RETAIN_RECORDS_MS, type FileStore } from '@wxpay-kit/forwarder';
import { startSimulator, type RunningSimulator, type SimWechatpayKeys } from '@wxpay-kit/simulator';
import { hasRedisServer, startRedisServer, type RedisServer } from '../../packages/forwarder/test/helpers/redis-server.js';

const DAY = 86_400_000;
const MCH_ID = '1230000109';
const APP_ID = 'wx8888888888888888';
const API_V3_KEY = randomBytes(16).toString('hex');
const merchantKeys = generateTestRsaKeyPair();
const wechatKeys = generateTestRsaKeyPair();
const SERIAL = randomBytes(20).toString('hex').toUpperCase();

let sim: RunningSimulator;
let keys: SimWechatpayKeys;
beforeAll(async () => {
  sim = await startSimulator({
    port: 0,
    host: '127.0.0.1',
    merchants: [
      {
        mchId: MCH_ID,
        apiKey: 'Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4f',
        appIds: [APP_ID],
        v3: { publicKey: merchantKeys.publicKey, serialNo: SERIAL, apiV3Key: API_V3_KEY },
      },
    ],
    refunds: 'manual',
    v3: { privateKey: wechatKeys.privateKey },
  });
  keys = await sim.wechatpayKeys();
});
afterAll(async () => {
  await sim?.close();
});

/** A v3 merchant's instance over `store`, with an app that lists no app ids, on the clock `now`. */
function instance(store: FileStore | ReturnType<typeof createRedisStore>, now: () => number) {
  const wxpay = createWxPay({
    merchants: [
      {
        name: 'main',
        mchId: MCH_ID,
        apiVersion: 'v3',
        baseUrl: sim.url,
        privateKey: merchantKeys.privateKey,
        certSerialNo: SERIAL,
        apiV3Key: API_V3_KEY,
        wechatpayPublicKey: keys.publicKey,
        wechatpayPublicKeyId: keys.publicKeyId,
      },
    ],
    apps: [{ name: 'shop', merchant: 'main', appIds: ['*'] }],
    notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
    notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund',
    store,
    now,
    client: { retries: 0 },
  });
  const paid: PaidEvent[] = [];
  const refunded: RefundedEvent[] = [];
  const errors: ErrorEvent[] = [];
  wxpay.on('paid', (e) => void paid.push(e));
  wxpay.on('refunded', (e) => void refunded.push(e));
  wxpay.on('error', (e) => void errors.push(e));
  return { wxpay, paid, refunded, errors };
}

async function call(wxpay: WxPay, path: string, body: unknown): Promise<number> {
  const out = await wxpay.handle({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    rawBody: Buffer.from(JSON.stringify(body)),
  });
  return out.status;
}

/** Places and pays order `orderId` (300 fen) through create-pay, and asks for refunds `refunds` (100 fen each) through create-refund. */
async function placeAndRefund(wxpay: WxPay, orderId: string, refunds: readonly string[]): Promise<void> {
  expect(
    await call(wxpay, '/create-pay/NATIVE', {
      payApp: 'shop',
      appId: APP_ID,
      goods: 'g',
      orderId,
      fee: 300,
      ip: '127.0.0.1',
      productId: 'p',
    }),
  ).toBe(200);
  await sim.pay(orderId, { mchId: MCH_ID, notify: false });
  for (const refundId of refunds) {
    expect(await call(wxpay, '/create-refund', { payApp: 'shop', appId: APP_ID, orderId, refundId, totalFee: 300, refundFee: 100 })).toBe(
      200,
    );
  }
}

/** WeChat's signed v3 notifications, timestamped by the instance's clock. */
function notify(wxpay: WxPay, clock: number, kind: 'pay' | 'refund', resource: Record<string, unknown>) {
  const n = buildV3Notification({
    eventType: kind === 'pay' ? 'TRANSACTION.SUCCESS' : 'REFUND.SUCCESS',
    resource,
    apiV3Key: API_V3_KEY,
    signer: { privateKey: wechatKeys.privateKey, serial: keys.publicKeyId, timestamp: Math.floor(clock / 1000) },
  });
  return wxpay.handle({ method: 'POST', path: `/notify-${kind}/shop`, headers: n.headers, rawBody: Buffer.from(n.body) });
}

const payment = (orderId: string, total: number) =>
  buildV3Transaction({
    appid: APP_ID,
    mchid: MCH_ID,
    out_trade_no: orderId,
    transaction_id: `42${orderId}`,
    trade_type: 'NATIVE',
    amount: { total, payer_total: total, currency: 'CNY', payer_currency: 'CNY' },
  });
const refund = (orderId: string, refundId: string, amount: number) => ({
  mchid: MCH_ID,
  out_trade_no: orderId,
  transaction_id: `42${orderId}`,
  refund_id: `50${refundId}`,
  out_refund_no: refundId,
  refund_status: 'SUCCESS',
  success_time: '2024-01-01T12:00:05+08:00',
  user_received_account: '支付用户零钱',
  amount: { total: 300, refund: amount, payer_total: 300, payer_refund: amount },
});

describe('records that notifications are checked against', () => {
  it('the default retention covers the refund window', () => {
    expect(RETAIN_RECORDS_MS).toBeGreaterThanOrEqual(366 * DAY);
  });

  it('file store, clock compressed: still checked 200 days on; aged out after a year and more, delivered unchecked instead of refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxpay-retention-'));
    let clock = Date.now();
    const now = (): number => clock;
    let store = await createFileStore({ dir, now });
    try {
      const orderId = `RT${randomBytes(4).toString('hex')}`;
      await placeAndRefund(instance(store, now).wxpay, orderId, ['R1', 'R2']);

      // 200 days later, across a compaction (which drops what is past retention) and a restart.
      clock += 200 * DAY;
      await store.compact();
      await store.close();
      store = await createFileStore({ dir, now });
      let x = instance(store, now);
      // The records still check: forged amounts are refused…
      expect((await notify(x.wxpay, clock, 'pay', payment(orderId, 1))).status).toBeGreaterThanOrEqual(400);
      expect((await notify(x.wxpay, clock, 'refund', refund(orderId, 'R1', 300))).status).toBeGreaterThanOrEqual(400);
      expect(x.errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_AMOUNT_MISMATCH', 'WXPAY_ERR_AMOUNT_MISMATCH']);
      // …and the genuine results fire, checked, with the app id create-refund recorded.
      expect((await notify(x.wxpay, clock, 'pay', payment(orderId, 300))).status).toBe(200);
      expect((await notify(x.wxpay, clock, 'refund', refund(orderId, 'R1', 100))).status).toBe(200);
      expect(x.paid.map((e) => [e.orderId, e.recordChecked])).toEqual([[orderId, true]]);
      expect(x.refunded.map((e) => [e.refundId, e.appId, e.recordChecked])).toEqual([['R1', APP_ID, true]]);

      // Past the retention the records are gone; the verified refund result is still delivered.
      clock += 200 * DAY;
      await store.compact();
      await store.close();
      store = await createFileStore({ dir, now });
      x = instance(store, now);
      expect(await store.getOrder(`${MCH_ID}:${orderId}`)).toBeUndefined();
      const out = await notify(x.wxpay, clock, 'refund', refund(orderId, 'R2', 100));
      expect(x.errors.map((e) => e.error.message)).toEqual([]);
      expect(out.status).toBe(200);
      expect(x.refunded.map((e) => [e.refundId, e.appId, e.refundFee, e.recordChecked])).toEqual([['R2', '', 100, false]]);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe.skipIf(!hasRedisServer)('redis store', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedisServer();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('keeps the order and refund records for at least a year (their TTL)', async () => {
      const prefix = `ret${randomBytes(3).toString('hex')}:`;
      const store = createRedisStore({ redis: new Redis(server.url), prefix });
      try {
        const orderId = `RT${randomBytes(4).toString('hex')}`;
        await placeAndRefund(instance(store, Date.now).wxpay, orderId, [`${orderId}R1`]);
        const ttls = await Promise.all(
          [`${prefix}order:${MCH_ID}:${orderId}`, `${prefix}order:${MCH_ID}:refund:${orderId}R1`].map((k) => store.redis.pttl(k)),
        );
        for (const ttl of ttls) expect(ttl).toBeGreaterThan(366 * DAY);
      } finally {
        await store.close();
        await store.redis.quit();
      }
    });
  });
});
