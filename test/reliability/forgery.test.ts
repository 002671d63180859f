/**
 * Forged and replayed notifications: every one is answered FAIL, fires nothing, and is reported
 * on `error` with a reason code. API v3 cases (`WECHATPAY/SIGNTEST/` probes, stale v3
 * timestamps) do not apply until API v3 is served.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryDedupStore, createWxPay, type DedupStore, type WxPay } from '@wxpay-kit/core';
import { buildXml, sign } from '@wxpay-kit/core/protocol';
import { buildPayNotification, buildRefundNotifyXml, signNotifyXml } from '@wxpay-kit/core/testing';
import { startSimulator } from '@wxpay-kit/simulator';
import { APP_ID, MERCHANT, OTHER_APP_ID, OTHER_MERCHANT, notifyRequest, record, replyCode, type Recorded } from './support.js';

const APP_ID_2 = 'wx2222222222222222';

describe('forged and replayed notifications', () => {
  let store: DedupStore;
  let wxpay: WxPay;
  let rec: Recorded;
  let seq = 0;
  const orderNo = (): string => `FORGE${Date.now()}${(seq += 1)}`;

  beforeEach(() => {
    store = createMemoryDedupStore();
    wxpay = createWxPay({
      merchants: [
        // An HMAC-SHA256 merchant, to try downgrades against.
        { name: 'main', ...MERCHANT, signType: 'HMAC-SHA256', baseUrl: 'http://127.0.0.1:9' },
        { name: 'other', ...OTHER_MERCHANT, baseUrl: 'http://127.0.0.1:9' },
      ],
      apps: [
        { name: 'shop', merchant: 'main', appIds: [APP_ID] },
        { name: 'shop2', merchant: 'main', appIds: [APP_ID_2] },
        { name: 'else', merchant: 'other', appIds: [OTHER_APP_ID] },
      ],
      notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
      notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
      store,
    });
    rec = record(wxpay);
  });

  /** Posts `xml` to the route and expects a refusal with `code` (and `reason` for signature errors). */
  async function expectRefused(
    xml: string,
    code: string,
    options: { route?: 'pay' | 'refund'; app?: string; reason?: string } = {},
  ): Promise<void> {
    const before = rec.errors.length;
    const response = await wxpay.handle(notifyRequest(xml, options.route ?? 'pay', options.app ?? 'shop'));
    expect(replyCode(response)).toBe('FAIL');
    expect(response.status).toBeGreaterThanOrEqual(400);
    const raised = rec.errors.slice(before);
    expect(raised).toHaveLength(1);
    expect(raised[0]?.error.code).toBe(code);
    expect(raised[0]?.route).toBe(options.route === 'refund' ? '/notify-refund/:app' : '/notify-pay/:app');
    if (options.reason !== undefined) expect((raised[0]?.error as { reason?: string }).reason).toBe(options.reason);
    expect(rec.paid).toHaveLength(0);
    expect(rec.refunded).toHaveLength(0);
  }

  const fields = (extra: Record<string, string> = {}): Record<string, string> =>
    buildPayNotification({ appid: APP_ID, mch_id: MERCHANT.mchId, out_trade_no: orderNo(), total_fee: '101', cash_fee: '101', ...extra });

  it('wrong signature', async () => {
    await expectRefused(buildXml({ ...fields(), sign: 'A'.repeat(32) }), 'WXPAY_ERR_SIGNATURE', { reason: 'mismatch' });
  });

  it('no signature', async () => {
    await expectRefused(buildXml(fields()), 'WXPAY_ERR_SIGNATURE', { reason: 'missing' });
  });

  it('a genuine signature over different fields (amount raised after signing)', async () => {
    const genuine = fields();
    const signed = { ...genuine, sign: sign(genuine, MERCHANT.apiKey, 'MD5'), total_fee: '1', cash_fee: '1' };
    await expectRefused(buildXml(signed), 'WXPAY_ERR_SIGNATURE', { reason: 'mismatch' });
  });

  it("signed with another merchant's key", async () => {
    await expectRefused(signNotifyXml(fields(), OTHER_MERCHANT.apiKey, 'HMAC-SHA256'), 'WXPAY_ERR_SIGNATURE', { reason: 'mismatch' });
    await expectRefused(signNotifyXml(fields(), OTHER_MERCHANT.apiKey, 'MD5'), 'WXPAY_ERR_SIGNATURE', { reason: 'mismatch' });
  });

  it("another app's genuine notification replayed to this app's URL", async () => {
    const theirs = signNotifyXml(
      buildPayNotification({ appid: OTHER_APP_ID, mch_id: OTHER_MERCHANT.mchId, out_trade_no: orderNo() }),
      OTHER_MERCHANT.apiKey,
    );
    await expectRefused(theirs, 'WXPAY_ERR_SIGNATURE', { reason: 'mismatch' });
  });

  it('appid or mch_id of another app, signed with this merchant key', async () => {
    await expectRefused(signNotifyXml(fields({ appid: OTHER_APP_ID }), MERCHANT.apiKey, 'HMAC-SHA256'), 'WXPAY_ERR_APP_MISMATCH');
    await expectRefused(signNotifyXml(fields({ mch_id: OTHER_MERCHANT.mchId }), MERCHANT.apiKey, 'HMAC-SHA256'), 'WXPAY_ERR_APP_MISMATCH');
    // shop2 shares the merchant: its genuine notification replayed to shop's URL.
    await expectRefused(signNotifyXml(fields({ appid: APP_ID_2 }), MERCHANT.apiKey, 'HMAC-SHA256'), 'WXPAY_ERR_APP_MISMATCH');
    // An app name that is not configured.
    await expectRefused(signNotifyXml(fields(), MERCHANT.apiKey, 'HMAC-SHA256'), 'WXPAY_ERR_APP_MISMATCH', { app: 'nobody' });
  });

  it('an amount different from the order recorded at create-pay; the genuine notification then fires once', async () => {
    const no = orderNo();
    await store.putOrder(`${MERCHANT.mchId}:${no}`, {
      app: 'shop',
      appId: APP_ID,
      mchId: MERCHANT.mchId,
      totalFee: 101,
      createdAt: Date.now(),
    });
    const txn = '4200000000202411229999000001';
    await expectRefused(
      signNotifyXml(fields({ out_trade_no: no, transaction_id: txn, total_fee: '1', cash_fee: '1' }), MERCHANT.apiKey, 'HMAC-SHA256'),
      'WXPAY_ERR_AMOUNT_MISMATCH',
    );
    // The refusal did not burn the transaction.
    const ok = await wxpay.handle(
      notifyRequest(signNotifyXml(fields({ out_trade_no: no, transaction_id: txn }), MERCHANT.apiKey, 'HMAC-SHA256')),
    );
    expect(replyCode(ok)).toBe('SUCCESS');
    expect(rec.paid.map((e) => e.totalFee)).toEqual([101]);
  });

  it('an order recorded for another app of the same merchant', async () => {
    const no = orderNo();
    await store.putOrder(`${MERCHANT.mchId}:${no}`, {
      app: 'shop2',
      appId: APP_ID_2,
      mchId: MERCHANT.mchId,
      totalFee: 101,
      createdAt: Date.now(),
    });
    await expectRefused(signNotifyXml(fields({ out_trade_no: no }), MERCHANT.apiKey, 'HMAC-SHA256'), 'WXPAY_ERR_APP_MISMATCH');
  });

  describe('sign_type downgrade (HMAC-SHA256 merchant)', () => {
    it('accepts an MD5-signed notification with the merchant key, by design: WeChat sends those (spec §2.2); both are keyed by the same API key', async () => {
      const response = await wxpay.handle(notifyRequest(signNotifyXml(fields(), MERCHANT.apiKey, 'MD5')));
      expect(replyCode(response)).toBe('SUCCESS');
      expect(rec.paid).toHaveLength(1);
    });

    it('refuses sign_type HMAC-SHA256 carrying an MD5 signature, and the reverse', async () => {
      const f = fields();
      await expectRefused(buildXml({ ...f, sign_type: 'HMAC-SHA256', sign: sign(f, MERCHANT.apiKey, 'MD5') }), 'WXPAY_ERR_SIGNATURE', {
        reason: 'mismatch',
      });
      const g = { ...fields(), sign_type: 'MD5' };
      await expectRefused(buildXml({ ...g, sign: sign(g, MERCHANT.apiKey, 'HMAC-SHA256') }), 'WXPAY_ERR_SIGNATURE', { reason: 'mismatch' });
    });

    it('refuses an unknown or lower-case sign_type, even with a signature that would verify under another algorithm', async () => {
      for (const declared of ['SHA1', 'NONE', 'hmac-sha256', 'md5']) {
        const f = { ...fields(), sign_type: declared };
        await expectRefused(buildXml({ ...f, sign: sign(f, MERCHANT.apiKey, 'MD5') }), 'WXPAY_ERR_SIGNATURE', {
          reason: 'unsupported-type',
        });
      }
    });
  });

  describe('refund notifications', () => {
    const refundXml = (info: Record<string, string>, key: string, outer: Record<string, string> = {}): string =>
      buildRefundNotifyXml({ out_trade_no: orderNo(), ...info }, key, { appid: APP_ID, mch_id: MERCHANT.mchId, ...outer });

    it("encrypted with another merchant's key, or with req_info corrupted", async () => {
      await expectRefused(refundXml({}, OTHER_MERCHANT.apiKey), 'WXPAY_ERR_DECRYPT', { route: 'refund' });
      const genuine = refundXml({}, MERCHANT.apiKey);
      // Flip one base64 digit of the first cipher block.
      const corrupted = genuine.replace(
        /(<req_info>(?:<!\[CDATA\[)?)(.)/,
        (_m, head: string, c: string) => `${head}${c === 'A' ? 'B' : 'A'}`,
      );
      expect(corrupted).not.toBe(genuine);
      await expectRefused(corrupted, 'WXPAY_ERR_DECRYPT', { route: 'refund' });
    });

    it('appid or mch_id of another app', async () => {
      await expectRefused(refundXml({}, MERCHANT.apiKey, { appid: OTHER_APP_ID }), 'WXPAY_ERR_APP_MISMATCH', { route: 'refund' });
      await expectRefused(refundXml({}, MERCHANT.apiKey, { mch_id: OTHER_MERCHANT.mchId }), 'WXPAY_ERR_APP_MISMATCH', { route: 'refund' });
    });

    it('a total different from the order recorded at create-pay', async () => {
      const no = orderNo();
      await store.putOrder(`${MERCHANT.mchId}:${no}`, {
        app: 'shop',
        appId: APP_ID,
        mchId: MERCHANT.mchId,
        totalFee: 101,
        createdAt: Date.now(),
      });
      await expectRefused(
        refundXml({ out_trade_no: no, total_fee: '100000', refund_fee: '100000' }, MERCHANT.apiKey),
        'WXPAY_ERR_AMOUNT_MISMATCH',
        { route: 'refund' },
      );
    });

    it('for an order recorded for another app of the same merchant (same app id)', async () => {
      // Both apps use one app id here, so only the order record tells them apart.
      const shared = createWxPay({
        merchants: [{ name: 'main', ...MERCHANT, baseUrl: 'http://127.0.0.1:9' }],
        apps: [
          { name: 'shop', merchant: 'main', appIds: [APP_ID] },
          { name: 'shop2', merchant: 'main', appIds: [APP_ID] },
        ],
        notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
        notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
        store,
      });
      const sharedRec = record(shared);
      const no = orderNo();
      await store.putOrder(`${MERCHANT.mchId}:${no}`, {
        app: 'shop2',
        appId: APP_ID,
        mchId: MERCHANT.mchId,
        totalFee: 100,
        createdAt: Date.now(),
      });
      const response = await shared.handle(notifyRequest(refundXml({ out_trade_no: no }, MERCHANT.apiKey), 'refund', 'shop'));
      expect(replyCode(response)).toBe('FAIL');
      expect(sharedRec.errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_APP_MISMATCH']);
      expect(sharedRec.refunded).toHaveLength(0);
      // The same order's pay notification is refused the same way.
      const pay = signNotifyXml(buildPayNotification({ appid: APP_ID, mch_id: MERCHANT.mchId, out_trade_no: no }), MERCHANT.apiKey);
      expect(replyCode(await shared.handle(notifyRequest(pay, 'pay', 'shop')))).toBe('FAIL');
      expect(sharedRec.paid).toHaveLength(0);
      await shared.close();
    });
  });
});

describe('refund notification disagreeing with the refund on record', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let wxpay: WxPay;
  let rec: Recorded;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, merchants: [{ ...MERCHANT, appIds: [APP_ID] }], refunds: 'manual' });
    wxpay = createWxPay({
      merchants: [{ name: 'main', ...MERCHANT, baseUrl: sim.url, sandbox: true }],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
      notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
      client: { retries: 0 },
    });
    rec = record(wxpay);
  });
  afterAll(async () => {
    await wxpay.close();
    await sim.close();
  });

  const call = async (path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const response = await wxpay.handle({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      rawBody: Buffer.from(JSON.stringify(body)),
    });
    return { status: response.status, json: JSON.parse(String(response.body)) as Record<string, unknown> };
  };

  // AES-256-ECB gives req_info no integrity beyond the key, so the core checks a refund
  // notification against the refund recorded at create-refund; see docs/reliability.md.
  it('refuses a refund notification whose refund_fee differs from the refund created', async () => {
    const orderId = `RREC${Date.now()}`;
    expect(
      (await call('/create-pay/NATIVE', { appId: APP_ID, payApp: 'shop', goods: 'g', orderId, fee: 101, ip: '127.0.0.1', productId: 'p' }))
        .status,
    ).toBe(200);
    await sim.pay(orderId, { notify: false, environment: 'sandbox' });
    const refundId = `R${orderId}`;
    const created = await call('/create-refund', { appId: APP_ID, payApp: 'shop', orderId, refundId, totalFee: 101, refundFee: 10 });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const key = await wxpay.client.signKey('main');
    const forged = buildRefundNotifyXml(
      { out_trade_no: orderId, out_refund_no: refundId, total_fee: '101', refund_fee: '101', settlement_refund_fee: '101' },
      key,
      { appid: APP_ID, mch_id: MERCHANT.mchId },
    );
    const response = await wxpay.handle(notifyRequest(forged, 'refund'));
    expect(replyCode(response)).toBe('FAIL');
    expect(rec.refunded).toHaveLength(0);
    expect(rec.errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_AMOUNT_MISMATCH']);
    // The same refund moved onto another order is refused too.
    const moved = buildRefundNotifyXml(
      { out_trade_no: `${orderId}X`, out_refund_no: refundId, total_fee: '101', refund_fee: '10', settlement_refund_fee: '10' },
      key,
      { appid: APP_ID, mch_id: MERCHANT.mchId },
    );
    expect(replyCode(await wxpay.handle(notifyRequest(moved, 'refund')))).toBe('FAIL');
    expect(rec.errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_AMOUNT_MISMATCH', 'WXPAY_ERR_AMOUNT_MISMATCH']);
    // The notification that agrees with the refund fires refunded once.
    const genuine = buildRefundNotifyXml(
      { out_trade_no: orderId, out_refund_no: refundId, total_fee: '101', refund_fee: '10', settlement_refund_fee: '10' },
      key,
      { appid: APP_ID, mch_id: MERCHANT.mchId },
    );
    expect(replyCode(await wxpay.handle(notifyRequest(genuine, 'refund')))).toBe('SUCCESS');
    expect(rec.refunded.map((e) => [e.refundId, e.refundFee])).toEqual([[refundId, 10]]);
  });
});
