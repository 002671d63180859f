import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { ErrorEvent, MerchantOptions, PaidEvent, RefundedEvent, TransferEvent, WxPay } from '@wxpay-kit/core';
import { buildV3Notification, buildV3Transaction, generateTestRsaKeyPair } from '@wxpay-kit/core/testing';
import type { RunningSimulator, SimForgery, SimulatorMerchantOptions, SimWechatpayKeys } from '@wxpay-kit/simulator';

/** The app of the API v3 merchant in the end-to-end cases. */
export const V3_APP = 'shop3';
/** An app of the same merchant that lists no app ids (`['*']`), as go-wxpay-gateway apps may. */
export const V3_ANY_APP = 'shop3-any';

/**
 * What the v3 cases share with the v2 end-to-end cases: one simulator, one host app and one
 * `WxPay` instance serve both merchants. Filled in by the shared `beforeAll`.
 */
export interface EndToEndFixture {
  readonly sim: RunningSimulator;
  /** The instance the adapter mounts (to place an order without create-pay, as another system would). */
  readonly wxpay: WxPay;
  /** `${host}${prefix}`: where the adapter's routes are. */
  readonly base: string;
  /** The simulator's WeChat Pay key, so a test can sign notifications as WeChat does. */
  readonly wechatpay: { readonly privateKey: string; readonly publicKeyId: string };
  readonly paid: PaidEvent[];
  readonly errors: ErrorEvent[];
  readonly refunded: RefundedEvent[];
  /** `transferred`, `transfer-failed` and `transfer-cancelled`, in order. */
  readonly transfers: TransferEvent[];
  /** Per-order listener behaviour: throw to make the notification answer FAIL. */
  readonly beforePaid: Map<string, (event: PaidEvent) => Promise<void>>;
  nextOrderId(tag: string): string;
  paidFor(orderId: string): PaidEvent[];
}

/** A v3 merchant's keys, generated per run, for the simulator and for the core. */
export function v3MerchantSetup() {
  const mchId = '1230000109';
  const apiKey = 'Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4f';
  const apiV3Key = randomBytes(16).toString('hex');
  const appId = 'wx8888888888888888';
  const keys = generateTestRsaKeyPair();
  const serialNo = randomBytes(20).toString('hex').toUpperCase();
  const simulatorMerchant: SimulatorMerchantOptions = {
    mchId,
    apiKey,
    appIds: [appId],
    v3: { publicKey: keys.publicKey, serialNo, apiV3Key },
  };
  return {
    mchId,
    appId,
    apiV3Key,
    simulatorMerchant,
    /** The core merchant: v3, verifying WeChat with its public key; the v2 key decrypts console refund notifications. */
    coreMerchant: (name: string, baseUrl: string, wechatpay: SimWechatpayKeys): MerchantOptions => ({
      name,
      mchId,
      apiKey,
      baseUrl,
      apiVersion: 'v3',
      privateKey: keys.privateKey,
      certSerialNo: serialNo,
      apiV3Key,
      wechatpayPublicKey: wechatpay.publicKey,
      wechatpayPublicKeyId: wechatpay.publicKeyId,
    }),
  };
}

async function post(url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await request(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), text };
}

/** The v3 reply to a notification: `{ code, message }` JSON, 200 for SUCCESS and an error status for FAIL. */
function expectV3NotifyReply(reply: { status: number; contentType: string; text: string }, code: 'SUCCESS' | 'FAIL'): void {
  expect(reply.contentType).toMatch(/^application\/json/);
  expect((JSON.parse(reply.text) as { code: string }).code).toBe(code);
  if (code === 'SUCCESS') expect(reply.status).toBe(200);
  else expect(reply.status).toBeGreaterThanOrEqual(400);
}

/**
 * The end-to-end cases that depend on the merchant's API version, for an API v3 merchant: JSON
 * notifications signed by WeChat Pay's key with an encrypted resource, answered in v3 JSON, and
 * console refunds still notified in v2 XML. Same routes and events as the v2 app.
 */
export function defineV3EndToEndCases(f: EndToEndFixture): void {
  describe('API v3 merchant', () => {
    const v3 = { appId: 'wx8888888888888888', mchId: '1230000109' };
    const createPay = (type: string, orderId: string, extra: Record<string, unknown> = {}) =>
      post(`${f.base}/create-pay/${type}`, {
        appId: v3.appId,
        payApp: V3_APP,
        goods: 'Test goods',
        orderId,
        fee: 101,
        ip: '127.0.0.1',
        productId: 'p1',
        openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
        ...extra,
      });
    const paidOrder = async (tag: string): Promise<string> => {
      const orderId = f.nextOrderId(tag);
      expect((await createPay('NATIVE', orderId)).status).toBe(200);
      await f.sim.pay(orderId, { mchId: v3.mchId });
      await f.sim.waitForNotification({ kind: 'pay', outTradeNo: orderId });
      return orderId;
    };

    it('create-pay answers JSAPI params signed with RSA and a NATIVE code_url', async () => {
      const js = await createPay('JSAPI', f.nextOrderId('v3js'));
      expect(js.status, js.text).toBe(200);
      const { result } = JSON.parse(js.text) as { result: { prepay_id: string; jsapi_params: Record<string, string> } };
      expect(result.jsapi_params).toMatchObject({ signType: 'RSA', package: `prepay_id=${result.prepay_id}` });
      const native = await createPay('NATIVE', f.nextOrderId('v3nat'));
      expect(native.status, native.text).toBe(200);
      expect((JSON.parse(native.text) as { result: { code_url: string } }).result.code_url).toMatch(/^weixin:\/\//);
    });

    it("pay → WeChat's v3 notification → one 'paid' event → 200 JSON SUCCESS", async () => {
      const orderId = f.nextOrderId('v3n');
      expect((await createPay('JSAPI', orderId)).status).toBe(200);
      await f.sim.pay(orderId, { mchId: v3.mchId });
      const delivered = await f.sim.waitForNotification({ kind: 'pay', outTradeNo: orderId });
      expect(delivered.format).toBe('json');
      expect(delivered.url).toBe(`${f.base}/notify-pay/${V3_APP}`);
      expect(delivered.attempts).toHaveLength(1);
      expect(delivered.attempts[0]?.statusCode).toBe(200);
      expect(JSON.parse(delivered.attempts[0]?.reply ?? '{}')).toMatchObject({ code: 'SUCCESS' });
      const events = f.paidFor(orderId);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ app: V3_APP, appId: v3.appId, mchId: v3.mchId, orderId, totalFee: 101, source: 'notify' });
      expect(events[0]?.transactionId).toBe((await f.sim.order(orderId, { mchId: v3.mchId })).transactionId);
    });

    it("a rejecting listener answers FAIL; WeChat's retry then gives a single 'paid'", async () => {
      const orderId = f.nextOrderId('v3f');
      let calls = 0;
      f.beforePaid.set(orderId, async () => {
        calls += 1;
        if (calls === 1) throw new Error('database unavailable');
      });
      expect((await createPay('NATIVE', orderId)).status).toBe(200);
      await f.sim.pay(orderId, { mchId: v3.mchId });
      const delivered = await f.sim.waitForNotification({ kind: 'pay', outTradeNo: orderId });
      expect(delivered.attempts.length).toBeGreaterThanOrEqual(2);
      expect(delivered.attempts[0]?.ok).toBe(false);
      expect(delivered.attempts[0]?.statusCode).toBeGreaterThanOrEqual(400);
      expect(JSON.parse(delivered.attempts[0]?.reply ?? '{}')).toMatchObject({ code: 'FAIL' });
      expect(f.paidFor(orderId)).toHaveLength(1);
      expect(calls).toBe(2);
    });

    it("20 concurrent copies of one signed v3 notification give one 'paid' and 20 SUCCESS replies", async () => {
      const orderId = f.nextOrderId('v3d');
      expect((await createPay('NATIVE', orderId)).status).toBe(200);
      const { headers, body } = buildV3Notification({
        resource: buildV3Transaction({
          appid: v3.appId,
          mchid: v3.mchId,
          out_trade_no: orderId,
          trade_type: 'NATIVE',
          amount: { total: 101, payer_total: 101, currency: 'CNY', payer_currency: 'CNY' },
        }),
        apiV3Key: f.sim.merchants.find((m) => m.mchId === v3.mchId)?.v3?.apiV3Key ?? '',
        signer: { privateKey: f.wechatpay.privateKey, serial: f.wechatpay.publicKeyId },
      });
      const replies = await Promise.all(Array.from({ length: 20 }, () => post(`${f.base}/notify-pay/${V3_APP}`, body, headers)));
      for (const reply of replies) expectV3NotifyReply(reply, 'SUCCESS');
      expect(f.paidFor(orderId)).toHaveLength(1);
    });

    it("confirm racing WeChat's v3 notification gives one 'paid'", async () => {
      const orderId = f.nextOrderId('v3x');
      expect((await createPay('NATIVE', orderId)).status).toBe(200);
      await f.sim.pay(orderId, { mchId: v3.mchId });
      const confirms = await Promise.all([1, 2, 3].map(() => post(`${f.base}/confirm`, { appId: v3.appId, payApp: V3_APP, orderId })));
      for (const reply of confirms) expect(reply.status, reply.text).toBe(200);
      await f.sim.waitForNotification({ kind: 'pay', outTradeNo: orderId });
      expect(f.paidFor(orderId)).toHaveLength(1);
    });

    it("a refund through the API (v3 JSON notification) and one from the merchant console (v2 XML) each give one 'refunded'", async () => {
      const orderId = await paidOrder('v3r');
      const refundId = f.nextOrderId('v3rf');
      const reply = await post(`${f.base}/create-refund`, {
        appId: v3.appId,
        payApp: V3_APP,
        orderId,
        refundId,
        totalFee: 101,
        refundFee: 60,
        refundReason: 'r',
      });
      expect(reply.status, reply.text).toBe(200);
      const api = await f.sim.waitForNotification({ kind: 'refund', outRefundNo: refundId });
      expect(api.format).toBe('json');
      expect(JSON.parse(api.attempts.at(-1)?.reply ?? '{}')).toMatchObject({ code: 'SUCCESS' });

      const console = await f.sim.startRefund(orderId, {
        mchId: v3.mchId,
        refundFee: 41,
        source: 'console',
        notifyUrl: `${f.base}/notify-refund/${V3_APP}`,
      });
      const xml = await f.sim.waitForNotification({ kind: 'refund', outRefundNo: console.outRefundNo });
      expect(xml.format).toBe('xml');
      expect(xml.attempts.at(-1)?.reply).toContain('SUCCESS');

      const events = f.refunded.filter((e) => e.orderId === orderId);
      expect(events.map((e) => [e.app, e.refundId, e.refundFee, e.totalFee, e.refundStatus])).toEqual([
        [V3_APP, refundId, 60, 101, 'SUCCESS'],
        [V3_APP, console.outRefundNo, 41, 101, 'SUCCESS'],
      ]);
    });

    it("a refund made through create-refund of an order placed elsewhere, for an app listing no app ids, gives one 'refunded' (checked against create-refund's record)", async () => {
      // The order is placed without create-pay (before the merchant used wxpay-kit), so no order
      // record exists; the refund is asked for through create-refund of an app with `appIds: ['*']`.
      const orderId = f.nextOrderId('v3o');
      await f.wxpay.client.unifiedOrder({
        merchant: 'main3',
        appId: v3.appId,
        tradeType: 'NATIVE',
        outTradeNo: orderId,
        totalFee: 101,
        body: 'Test goods',
        spbillCreateIp: '127.0.0.1',
        productId: 'p1',
        notifyUrl: `${f.base}/notify-pay/${V3_ANY_APP}`,
      });
      await f.sim.pay(orderId, { mchId: v3.mchId, notify: false });
      const refundId = f.nextOrderId('v3orf');
      const before = f.errors.length;
      // WeChat finishes the refund after create-refund answered (the record is written by then).
      const { refunds } = await f.sim.settings();
      await f.sim.updateSettings({ refunds: 'manual' });
      try {
        const reply = await post(`${f.base}/create-refund`, {
          appId: v3.appId,
          payApp: V3_ANY_APP,
          orderId,
          refundId,
          totalFee: 101,
          refundFee: 30,
        });
        expect(reply.status, reply.text).toBe(200);
      } finally {
        await f.sim.updateSettings({ refunds });
      }
      await f.sim.completeRefund(refundId, { mchId: v3.mchId });
      const delivered = await f.sim.waitForNotification({ kind: 'refund', outRefundNo: refundId });
      expect(delivered.format).toBe('json');
      expect(delivered.url).toBe(`${f.base}/notify-refund/${V3_ANY_APP}`);
      expect(f.errors.slice(before).map((e) => e.error.message)).toEqual([]);
      expect(delivered.attempts).toHaveLength(1);
      expect(delivered.attempts[0]?.statusCode).toBe(200);
      expect(JSON.parse(delivered.attempts[0]?.reply ?? '{}')).toMatchObject({ code: 'SUCCESS' });
      const events = f.refunded.filter((e) => e.refundId === refundId);
      expect(events.map((e) => [e.app, e.appId, e.orderId, e.refundFee, e.totalFee, e.recordChecked])).toEqual([
        [V3_ANY_APP, v3.appId, orderId, 30, 101, true],
      ]);
    });

    it('a verified v3 refund result with no record anywhere, for an app listing no app ids, is delivered unchecked, not refused', async () => {
      const orderId = f.nextOrderId('v3u');
      const refundId = f.nextOrderId('v3urf');
      const { headers, body } = buildV3Notification({
        eventType: 'REFUND.SUCCESS',
        resource: {
          mchid: v3.mchId,
          out_trade_no: orderId,
          transaction_id: '4200000777',
          refund_id: `50000${Date.now()}`,
          out_refund_no: refundId,
          refund_status: 'SUCCESS',
          success_time: '2024-01-01T12:00:05+08:00',
          user_received_account: '支付用户零钱',
          amount: { total: 500, refund: 200, payer_total: 500, payer_refund: 200 },
        },
        apiV3Key: f.sim.merchants.find((m) => m.mchId === v3.mchId)?.v3?.apiV3Key ?? '',
        signer: { privateKey: f.wechatpay.privateKey, serial: f.wechatpay.publicKeyId },
      });
      const before = f.errors.length;
      expectV3NotifyReply(await post(`${f.base}/notify-refund/${V3_ANY_APP}`, body, headers), 'SUCCESS');
      expect(f.errors.slice(before)).toEqual([]);
      const events = f.refunded.filter((e) => e.refundId === refundId);
      expect(events.map((e) => [e.app, e.appId, e.mchId, e.orderId, e.refundFee, e.totalFee, e.recordChecked])).toEqual([
        [V3_ANY_APP, '', v3.mchId, orderId, 200, 500, false],
      ]);
    });

    it("answers FAIL to every forged v3 notification, reports each on 'error' and emits nothing", async () => {
      const orderId = await paidOrder('v3g');
      const refundId = f.nextOrderId('v3gr');
      expect(
        (await post(`${f.base}/create-refund`, { appId: v3.appId, payApp: V3_APP, orderId, refundId, totalFee: 101, refundFee: 101 }))
          .status,
      ).toBe(200);
      await f.sim.waitForNotification({ kind: 'refund', outRefundNo: refundId });
      const before = f.errors.length;
      const forgeries: SimForgery[] = ['signtest', 'bad-signature', 'unknown-serial', 'stale-timestamp', 'bad-tag'];
      for (const forgery of forgeries) {
        for (const target of [{ outTradeNo: orderId }, { outRefundNo: refundId }]) {
          const forged = await f.sim.forgeNotification({ forgery, mchId: v3.mchId, ...target });
          expect(forged.forgery).toBe(forgery);
          expect(forged.status, `${forgery} ${JSON.stringify(target)}`).toBe('failed');
          expect(forged.attempts).toHaveLength(1);
          expect(forged.attempts[0]?.statusCode).toBeGreaterThanOrEqual(400);
          expect(JSON.parse(forged.attempts[0]?.reply ?? '{}')).toMatchObject({ code: 'FAIL' });
        }
      }
      const reported = f.errors.slice(before);
      expect(reported).toHaveLength(forgeries.length * 2);
      for (const event of reported) {
        expect(event.app).toBe(V3_APP);
        expect(event.error.code).toMatch(/^WXPAY_ERR_(SIGNATURE|DECRYPT)$/);
      }
      expect(f.paidFor(orderId)).toHaveLength(1);
      expect(f.refunded.filter((e) => e.refundId === refundId)).toHaveLength(1);
    });

    describe('transfers (商家转账)', () => {
      const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';
      const reports = [
        { infoType: '活动名称', infoContent: '新会员有礼' },
        { infoType: '奖励说明', infoContent: '注册会员抽奖一等奖' },
      ];
      const createTransfer = (outBillNo: string, extra: Record<string, unknown> = {}) =>
        post(`${f.base}/create-transfer`, {
          appId: v3.appId,
          payApp: V3_APP,
          outBillNo,
          openId: OPENID,
          fee: 150,
          remark: '新会员开通有礼',
          sceneId: '1000',
          sceneReportInfos: reports,
          ...extra,
        });
      const billNo = (tag: string): string => f.nextOrderId(tag).replace(/[^A-Za-z0-9]/g, '');
      const apiV3Key = (): string => f.sim.merchants.find((m) => m.mchId === v3.mchId)?.v3?.apiV3Key ?? '';

      it("create → the payee confirms in WeChat → one 'transferred'; confirm-transfer adds none", async () => {
        const outBillNo = billNo('tr');
        const created = await createTransfer(outBillNo);
        expect(created.status, created.text).toBe(200);
        const { result } = JSON.parse(created.text) as { result: Record<string, unknown> };
        expect(result).toMatchObject({ out_bill_no: outBillNo, state: 'WAIT_USER_CONFIRM', mch_id: v3.mchId });
        expect(result['confirm_params']).toEqual({ mchId: v3.mchId, appId: v3.appId, package: result['package_info'] });
        await f.sim.confirmTransfer(outBillNo, { mchId: v3.mchId });
        const delivered = await f.sim.waitForNotification({ kind: 'transfer', outBillNo });
        expect(delivered.url).toBe(`${f.base}/notify-transfer/${V3_APP}`);
        expect(JSON.parse(delivered.attempts.at(-1)?.reply ?? '{}')).toMatchObject({ code: 'SUCCESS' });
        const confirm = await post(`${f.base}/confirm-transfer`, { appId: v3.appId, payApp: V3_APP, outBillNo });
        expect(confirm.status, confirm.text).toBe(200);
        expect(JSON.parse(confirm.text).result.state).toBe('SUCCESS');
        const events = f.transfers.filter((e) => e.outBillNo === outBillNo);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({
          state: 'SUCCESS',
          app: V3_APP,
          appId: v3.appId,
          mchId: v3.mchId,
          transferAmount: 150,
          openId: OPENID,
          source: 'notify',
          recordChecked: true,
        });
        expect(events[0]?.transferBillNo).toBe(result['transfer_bill_no']);
      });

      it("confirm-transfer fires 'transferred' when no callback came (no notify URL reaches us)", async () => {
        const outBillNo = billNo('tq');
        expect((await createTransfer(outBillNo, { notifyUrl: 'http://127.0.0.1:1/nowhere' })).status).toBe(200);
        await f.sim.confirmTransfer(outBillNo, { mchId: v3.mchId });
        const replies = await Promise.all(
          [1, 2, 3].map(() => post(`${f.base}/confirm-transfer`, { appId: v3.appId, payApp: V3_APP, outBillNo })),
        );
        for (const reply of replies) expect(reply.status, reply.text).toBe(200);
        expect(f.transfers.filter((e) => e.outBillNo === outBillNo).map((e) => [e.state, e.source])).toEqual([['SUCCESS', 'confirm']]);
      });

      it("20 concurrent copies of the signed callback give one 'transferred'; forgeries and replays answer FAIL and emit nothing", async () => {
        const outBillNo = billNo('td');
        const created = await createTransfer(outBillNo, { notifyUrl: 'http://127.0.0.1:1/nowhere' });
        expect(created.status, created.text).toBe(200);
        const transferBillNo = JSON.parse(created.text).result.transfer_bill_no as string;
        const resource = {
          out_bill_no: outBillNo,
          transfer_bill_no: transferBillNo,
          state: 'SUCCESS',
          mch_id: v3.mchId,
          transfer_amount: 150,
          openid: OPENID,
          create_time: '2025-01-15T10:00:00.000+08:00',
          update_time: '2025-01-15T10:01:00.000+08:00',
        };
        const signer = { privateKey: f.wechatpay.privateKey, serial: f.wechatpay.publicKeyId };
        const genuine = buildV3Notification({ resource, apiV3Key: apiV3Key(), signer, eventType: 'MCHTRANSFER.BILL.FINISHED' });
        const replay = buildV3Notification({
          resource,
          apiV3Key: apiV3Key(),
          signer: { ...signer, timestamp: Math.floor(Date.now() / 1000) - 600 },
          eventType: 'MCHTRANSFER.BILL.FINISHED',
        });
        const forged = buildV3Notification({
          resource,
          apiV3Key: apiV3Key(),
          signer: { privateKey: generateTestRsaKeyPair().privateKey, serial: f.wechatpay.publicKeyId },
          eventType: 'MCHTRANSFER.BILL.FINISHED',
        });
        const errorsBefore = f.errors.length;
        for (const bad of [replay, forged])
          expectV3NotifyReply(await post(`${f.base}/notify-transfer/${V3_APP}`, bad.body, bad.headers), 'FAIL');
        expect(f.transfers.filter((e) => e.outBillNo === outBillNo)).toEqual([]);
        expect(f.errors.slice(errorsBefore).map((e) => e.error.code)).toEqual(['WXPAY_ERR_SIGNATURE', 'WXPAY_ERR_SIGNATURE']);
        const replies = await Promise.all(
          Array.from({ length: 20 }, () => post(`${f.base}/notify-transfer/${V3_APP}`, genuine.body, genuine.headers)),
        );
        for (const reply of replies) expectV3NotifyReply(reply, 'SUCCESS');
        expect(f.transfers.filter((e) => e.outBillNo === outBillNo)).toHaveLength(1);
        // WeChat's redelivery later: acknowledged, nothing more.
        expectV3NotifyReply(await post(`${f.base}/notify-transfer/${V3_APP}`, genuine.body, genuine.headers), 'SUCCESS');
        expect(f.transfers.filter((e) => e.outBillNo === outBillNo)).toHaveLength(1);
      });

      it("cancel → 'transfer-cancelled'", async () => {
        const outBillNo = billNo('tc');
        expect((await createTransfer(outBillNo)).status).toBe(200);
        const cancel = await post(`${f.base}/cancel-transfer`, { appId: v3.appId, payApp: V3_APP, outBillNo });
        expect(cancel.status, cancel.text).toBe(200);
        expect(JSON.parse(cancel.text).result.state).toBe('CANCELING');
        await f.sim.waitForNotification({ kind: 'transfer', outBillNo });
        expect(f.transfers.filter((e) => e.outBillNo === outBillNo).map((e) => [e.state, e.failReason])).toEqual([
          ['CANCELLED', 'MCH_CANCEL'],
        ]);
      });

      it("the payee never confirms → the bill expires → 'transfer-failed' (OVERDUE_CLOSE)", async () => {
        const outBillNo = billNo('te');
        expect((await createTransfer(outBillNo)).status).toBe(200);
        await f.sim.expireTransfer(outBillNo, { mchId: v3.mchId });
        await f.sim.waitForNotification({ kind: 'transfer', outBillNo });
        expect(f.transfers.filter((e) => e.outBillNo === outBillNo).map((e) => [e.state, e.failReason])).toEqual([
          ['FAIL', 'OVERDUE_CLOSE'],
        ]);
      });

      it("bad input answers 400 naming the field; WeChat's NOT_ENOUGH answers 502 with err_code", async () => {
        const cases: [Record<string, unknown>, string][] = [
          [{ payApp: 'nope' }, 'payApp'],
          [{ fee: 0 }, 'fee'],
          [{ fee: -5 }, 'fee'],
          [{ fee: 1.5 }, 'fee'],
          [{ fee: '100' }, 'fee'],
          [{ fee: 200_000 }, 'userName'],
        ];
        for (const [extra, field] of cases) {
          const reply = await createTransfer(billNo('tb'), extra);
          expect(reply.status, reply.text).toBe(400);
          expect(JSON.parse(reply.text)).toMatchObject({ code: 400 });
          expect(JSON.parse(reply.text).msg).toContain(field);
        }
        await f.sim.addFault({ kind: 'error', code: 'NOT_ENOUGH', status: 403, path: '/v3/fund-app/mch-transfer/transfer-bills' });
        const poor = await createTransfer(billNo('tn'));
        expect(poor.status, poor.text).toBe(502);
        expect(JSON.parse(poor.text)).toMatchObject({ code: 502, err_code: 'NOT_ENOUGH' });
      });
    });
  });
}
