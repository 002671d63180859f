/**
 * Daily reconciliation against the simulator's bills, for a v2 merchant (`downloadbill`, gzip) and
 * a v3 merchant (`tradebill` + hash-checked download, gzip), on the simulator's manual clock: a day
 * with one difference of each kind gives one `reconcile-mismatch` event each and the same report;
 * the payment WeChat has and this side never fired fires `paid` now, once, and a second run fires
 * nothing. A v3 bill that does not match its hash is refused with a typed error.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BillIntegrityError,
  createMemoryDedupStore,
  createWxPay,
  parseFundFlowBill,
  parseTradeBill,
  WxPayError,
  type DedupStore,
  type MerchantOptions,
  type PaidEvent,
  type ReconcileMismatchEvent,
  type WxPay,
} from '@wxpay-kit/core';
import { generateTestCertificates, type TestCertificates } from '@wxpay-kit/core/testing';
import { createManualClock, startSimulator, type ManualClock, type RunningSimulator } from '@wxpay-kit/simulator';
import { skipWithout } from '../helpers/external-tools.js';
import { APP_ID, MERCHANT } from './support.js';

// A v2 merchant refunds over mutual TLS: its certificates come from openssl.
const noOpenssl = skipWithout(import.meta.url, ['openssl']);
let certs: Promise<TestCertificates> | undefined;

interface Rig {
  readonly clock: ManualClock;
  readonly sim: RunningSimulator;
  readonly wxpay: WxPay;
  readonly store: DedupStore;
  readonly merchant: MerchantOptions;
  readonly paid: PaidEvent[];
  readonly mismatches: ReconcileMismatchEvent[];
  call(path: string, body: Record<string, unknown>): Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.wxpay.close();
    await r.sim.close();
  }
});

const API_V3_KEY = '0123456789abcdef0123456789abcdef';

async function rig(version: 'v2' | 'v3'): Promise<Rig> {
  // 2024-01-01 12:00 China time.
  const clock = createManualClock();
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serialNo = randomBytes(20).toString('hex').toUpperCase();
  const tls = version === 'v2' ? await (certs ??= generateTestCertificates({ mchId: MERCHANT.mchId })) : undefined;
  const sim = await startSimulator({
    port: 0,
    clock,
    notifications: false,
    ...(tls === undefined ? {} : { tls: { ca: tls.ca, cert: tls.serverCert, key: tls.serverKey } }),
    merchants: [
      {
        ...MERCHANT,
        appIds: [APP_ID],
        ...(version === 'v3'
          ? {
              v3: {
                publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
                serialNo,
                apiV3Key: API_V3_KEY,
                wechatpayKey: 'public-key' as const,
              },
            }
          : {}),
      },
    ],
  });
  let merchant: MerchantOptions = {
    name: 'main',
    ...MERCHANT,
    baseUrl: sim.url,
    ...(tls === undefined ? {} : { cert: { pfx: tls.clientPfx } }),
  };
  if (version === 'v3') {
    const wechatpay = await sim.wechatpayKeys();
    merchant = {
      ...merchant,
      apiVersion: 'v3',
      privateKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      certSerialNo: serialNo,
      apiV3Key: API_V3_KEY,
      wechatpayPublicKey: wechatpay.publicKey,
      wechatpayPublicKeyId: wechatpay.publicKeyId,
    };
  }
  const store = createMemoryDedupStore({ now: clock.now });
  const wxpay = createWxPay({
    merchants: [merchant],
    apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
    notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
    notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
    client: { retries: 0, ...(tls === undefined ? {} : { ca: tls.ca }) },
    store,
    now: clock.now,
  });
  const paid: PaidEvent[] = [];
  const mismatches: ReconcileMismatchEvent[] = [];
  wxpay.on('paid', (e) => void paid.push(e));
  wxpay.on('reconcile-mismatch', (e) => void mismatches.push(e));
  const r: Rig = {
    clock,
    sim,
    wxpay,
    store,
    merchant,
    paid,
    mismatches,
    async call(path, body) {
      const out = await wxpay.handle({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json' },
        rawBody: Buffer.from(JSON.stringify({ appId: APP_ID, payApp: 'shop', ...body })),
      });
      expect(out.status, Buffer.from(out.body).toString()).toBe(200);
    },
  };
  rigs.push(r);
  return r;
}

const order = (r: Rig, orderId: string, fee: number) =>
  r.call('/create-pay/NATIVE', { goods: 'g', orderId, fee, ip: '127.0.0.1', productId: 'p' });

const VERSIONS: readonly ('v2' | 'v3')[] = noOpenssl ? ['v3'] : ['v2', 'v3'];

describe.each(VERSIONS)('reconciliation against the simulator bill (%s merchant)', (version) => {
  it('reports and emits each kind of difference, fires the missing paid once, and a second run fires nothing', async () => {
    const r = await rig(version);
    // OK1: paid, and fired by confirm: no difference. Its refund R-OK through create-refund: none either.
    await order(r, 'OK1', 101);
    await r.sim.paySilently('OK1');
    await r.call('/confirm', { orderId: 'OK1' });
    await r.call('/create-refund', { orderId: 'OK1', refundId: 'ROK1', totalFee: 101, refundFee: 10 });
    // MISS1: paid at WeChat, never fired here (no notification, nobody asked).
    await order(r, 'MISS1', 202);
    await r.sim.paySilently('MISS1');
    // AMT1: fired, but recorded here for another amount (the record says 999 fen).
    await order(r, 'AMT1', 303);
    await r.sim.paySilently('AMT1');
    await r.call('/confirm', { orderId: 'AMT1' });
    const amt = (await r.store.getOrder(`${MERCHANT.mchId}:AMT1`))!;
    await r.store.putOrder(`${MERCHANT.mchId}:AMT1`, { ...amt, totalFee: 999 });
    // RF1: a refund started in the merchant console: create-refund never recorded it.
    await r.sim.startRefund('OK1', { refundFee: 50, outRefundNo: 'RF1' });
    // UNPAID1: never paid: in no bill, no difference.
    await order(r, 'UNPAID1', 404);
    expect(r.paid.map((p) => [p.orderId, p.source])).toEqual([
      ['OK1', 'confirm'],
      ['AMT1', 'confirm'],
    ]);
    const ok1 = r.paid[0]!;

    r.clock.advance(24 * 3600_000);
    const ghost = { mchId: MERCHANT.mchId, orderId: 'GHOST1', transactionId: '4200000000202401010000000001', totalFee: 505 };
    const report = await r.wxpay.reconcile({
      date: '2024-01-01',
      merchant: 'main',
      fired: [{ mchId: MERCHANT.mchId, orderId: 'OK1', transactionId: ok1.transactionId, totalFee: 101 }, ghost],
    });
    expect(report).toMatchObject({ date: '2024-01-01', merchant: 'main' });
    const byKind = Object.fromEntries(report.differences.map((d) => [d.kind, d]));
    expect(report.differences.map((d) => d.kind).sort()).toEqual(['amount', 'missing-at-wechat', 'missing-here', 'refund']);
    expect(byKind['missing-here']).toMatchObject({ orderId: 'MISS1', ours: null, wechat: { totalFee: 202 }, app: 'shop', fired: true });
    expect(byKind['missing-here']!.transactionId).toMatch(/^42/);
    expect(byKind['missing-at-wechat']).toEqual({
      kind: 'missing-at-wechat',
      orderId: 'GHOST1',
      transactionId: ghost.transactionId,
      ours: { totalFee: 505 },
      wechat: null,
    });
    expect(byKind['amount']).toMatchObject({ orderId: 'AMT1', ours: { totalFee: 999 }, wechat: { totalFee: 303 } });
    expect(byKind['refund']).toMatchObject({ orderId: 'OK1', refundId: 'RF1', ours: null, wechat: { refundFee: 50 } });
    // Bill lines: 3 payments and 2 refunds; plus the fired payment the bill lacks.
    expect(report.checked).toBe(5 + 1);
    // The events say the same, with the day and the merchant.
    expect(r.mismatches.map((m) => m.kind).sort()).toEqual(['amount', 'missing-at-wechat', 'missing-here', 'refund']);
    for (const m of r.mismatches) expect(m).toMatchObject({ date: '2024-01-01', merchant: 'main', mchId: MERCHANT.mchId });
    // The missing payment fired now, once, with WeChat's details.
    expect(r.paid.slice(2)).toHaveLength(1);
    expect(r.paid[2]).toMatchObject({ orderId: 'MISS1', source: 'reconcile', totalFee: 202, app: 'shop', recordChecked: true });
    expect(r.paid[2]!.transactionId).toBe(byKind['missing-here']!.transactionId);

    // A second run (default date: yesterday in China time) finds MISS1 delivered and fires nothing.
    r.mismatches.length = 0;
    const again = await r.wxpay.reconcile();
    expect(again.date).toBe('2024-01-01');
    expect(again.differences.map((d) => d.kind).sort()).toEqual(['amount', 'refund']);
    expect(r.paid).toHaveLength(3);
    expect(r.mismatches.map((m) => m.kind).sort()).toEqual(['amount', 'refund']);

    // A day without trades: no bill, no difference.
    expect(await r.wxpay.reconcile({ date: '2023-12-01' })).toEqual({ date: '2023-12-01', merchant: 'main', checked: 0, differences: [] });
    // Bad input: a typed error naming the field.
    for (const date of ['2024-02-30', '2024-13-01', '20240101', 'yesterday']) {
      await expect(r.wxpay.reconcile({ date })).rejects.toMatchObject({ code: 'WXPAY_ERR_VALIDATION', field: 'date' });
    }
    await expect(r.wxpay.reconcile({ merchant: 'nope' })).rejects.toMatchObject({ code: 'WXPAY_ERR_VALIDATION', field: 'merchant' });
  });

  it("reports a payment it cannot deliver now (nobody listens to 'paid') without recording it as fired", async () => {
    const r = await rig(version);
    await order(r, 'LOST1', 111);
    await r.sim.paySilently('LOST1');
    r.clock.advance(24 * 3600_000);
    // Another instance on the same store, with no 'paid' listener.
    const deaf = createWxPay({
      merchants: [r.merchant],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
      notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
      client: { retries: 0, ...(certs === undefined ? {} : { ca: (await certs).ca }) },
      store: r.store,
      now: r.clock.now,
    });
    try {
      const first = await deaf.reconcile({ date: '2024-01-01' });
      expect(first.differences).toEqual([expect.objectContaining({ kind: 'missing-here', orderId: 'LOST1', fired: false })]);
    } finally {
      await deaf.close();
    }
    // The instance that listens delivers it, once.
    const second = await r.wxpay.reconcile({ date: '2024-01-01' });
    expect(second.differences).toEqual([expect.objectContaining({ kind: 'missing-here', orderId: 'LOST1', fired: true })]);
    expect((await r.wxpay.reconcile({ date: '2024-01-01' })).differences).toEqual([]);
    expect(r.paid.map((p) => [p.orderId, p.source])).toEqual([['LOST1', 'reconcile']]);
  });
});

describe('v3 bills from the simulator', () => {
  it('refuses a bill that does not match its hash with BillIntegrityError, gzip or not', async () => {
    const r = await rig('v3');
    await order(r, 'H1', 100);
    await r.sim.paySilently('H1');
    r.clock.advance(24 * 3600_000);
    for (const gzip of [true, false]) {
      await r.sim.addFault({ kind: 'corrupt-bill' });
      const error = await r.wxpay.client.downloadBill({ merchant: 'main', appId: APP_ID, billDate: '20240101', gzip }).catch((e) => e);
      expect(error).toBeInstanceOf(BillIntegrityError);
      expect(error).toMatchObject({ code: 'WXPAY_ERR_BILL_INTEGRITY', api: 'tradebill', hashType: 'sha1' });
      expect(error.actual).not.toBe(error.expected);
    }
    await r.sim.addFault({ kind: 'corrupt-bill' });
    await expect(r.wxpay.reconcile({ date: '2024-01-01' })).rejects.toBeInstanceOf(BillIntegrityError);
    expect(r.paid).toEqual([]);
    // Unchanged, it passes: gzip and plain give the same text.
    const gz = await r.wxpay.client.downloadBill({ merchant: 'main', appId: APP_ID, billDate: '20240101', gzip: true });
    const plain = await r.wxpay.client.downloadBill({ merchant: 'main', appId: APP_ID, billDate: '20240101' });
    expect(gz).toBe(plain);
    expect(parseTradeBill(plain).rows).toEqual([expect.objectContaining({ kind: 'payment', outTradeNo: 'H1', totalFee: 100 })]);
  });

  it("answers STATEMENT_CREATING before the day's bill is made (09:00 China time the next day)", async () => {
    const r = await rig('v3');
    await order(r, 'C1', 100);
    await r.sim.paySilently('C1');
    const error = await r.wxpay.reconcile({ date: '2024-01-01' }).catch((e) => e);
    expect(error).toBeInstanceOf(WxPayError);
    expect(error).toMatchObject({ errCode: 'STATEMENT_CREATING' });
  });

  it('serves the fund-flow bill: income, fee and refund of the day, hash-checked', async () => {
    const r = await rig('v3');
    await order(r, 'F1', 10_000);
    await r.sim.paySilently('F1');
    await r.sim.startRefund('F1', { refundFee: 2_500, outRefundNo: 'FR1' });
    r.clock.advance(24 * 3600_000);
    const text = await r.wxpay.client.downloadFundFlowBill({ merchant: 'main', appId: APP_ID, billDate: '20240101', gzip: true });
    const bill = parseFundFlowBill(text);
    expect(bill.rows.map((f) => [f.bizType, f.direction, f.amount, f.voucherNo])).toEqual([
      ['交易', 'income', 10_000, 'F1'],
      ['扣除交易手续费', 'expense', 60, 'F1'],
      ['退款', 'expense', 2_500, 'FR1'],
    ]);
    expect(bill.rows.at(-1)!.balance).toBe(10_000 - 60 - 2_500);
    expect(bill.summary['资金流水总笔数']).toBe('3');
    await r.sim.addFault({ kind: 'corrupt-bill' });
    await expect(r.wxpay.client.downloadFundFlowBill({ merchant: 'main', appId: APP_ID, billDate: '20240101' })).rejects.toBeInstanceOf(
      BillIntegrityError,
    );
  });
});
