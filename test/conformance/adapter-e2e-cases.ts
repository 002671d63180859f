import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../helpers/external-tools.js';
import { request } from 'undici';
import {
  createWxPay,
  type ErrorEvent,
  type MicropayFailedEvent,
  type MicropayReversedEvent,
  type PaidEvent,
  type RefundedEvent,
  type TransferEvent,
  type WxPay,
} from '@wxpay-kit/core';
import { buildXml } from '@wxpay-kit/core/protocol';
import {
  buildPayNotification,
  buildRefundNotifyXml,
  generateTestCertificates,
  generateTestRsaKeyPair,
  signNotifyXml,
} from '@wxpay-kit/core/testing';
import { startSimulator } from '@wxpay-kit/simulator';
import { lazyWxPay } from '../helpers/lazy-wxpay.js';
import type { MountedApp, Mount } from './adapter-suite.js';
import { defineMicropayCases, E2E_MICROPAY_TIMING } from './adapter-e2e-micropay-cases.js';
import { defineV3EndToEndCases, V3_ANY_APP, V3_APP, v3MerchantSetup, type EndToEndFixture } from './adapter-e2e-v3-cases.js';

const PREFIX = '/wxpay';
const BODY_LIMIT = 8 * 1024;
const merchant = { mchId: '1900000109', apiKey: '192006250b4c09247ec02edce69f6a2d' };
const appId = 'wxd930ea5d5a258f4f';

interface Reply {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

async function post(url: string, body: unknown, contentType = 'application/json'): Promise<Reply> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  const header = res.headers['content-type'];
  return { status: res.statusCode, contentType: Array.isArray(header) ? header[0] : header, text, json: <T>() => JSON.parse(text) as T };
}

/** `{code, msg}` with the HTTP status as `code`: the error envelope of every JSON route. */
function expectErrorEnvelope(reply: Reply, status?: number): void {
  if (status !== undefined) expect(reply.status, reply.text).toBe(status);
  else expect(reply.status, reply.text).toBeGreaterThanOrEqual(400);
  expect(reply.contentType).toMatch(/^application\/json/);
  const body = reply.json<{ code: number; msg: string }>();
  expect(body.code).toBe(reply.status);
  expect(typeof body.msg).toBe('string');
}

function expectNotifyReply(reply: Reply, code: 'SUCCESS' | 'FAIL'): void {
  expect(reply.contentType).toMatch(/^text\/xml/);
  expect(reply.text).toMatch(new RegExp(`<return_code>(<!\\[CDATA\\[)?${code}(\\]\\]>)?</return_code>`));
}

/**
 * End-to-end cases: the real core mounted by the adapter, `@wxpay-kit/simulator` as WeChat, its
 * notifications (and their retries) aimed at the adapter's notify URL.
 */
export function defineEndToEndCases(mount: Mount): void {
  describe.skipIf(skipWithout(import.meta.url, ['openssl'], 'the end-to-end cases (refunds need a client certificate)'))(
    'end to end with the simulator',
    () => {
      let sim: Awaited<ReturnType<typeof startSimulator>>;
      let wxpay: WxPay;
      let app: MountedApp;
      let parsed: MountedApp;
      let base: string;
      const paid: PaidEvent[] = [];
      const errors: ErrorEvent[] = [];
      const refunded: RefundedEvent[] = [];
      const transfers: TransferEvent[] = [];
      /** Per-order listener behaviour: throw to make the notification answer FAIL. */
      const beforePaid = new Map<string, (event: PaidEvent) => Promise<void>>();
      let sequence = 0;
      const nextOrderId = (tag: string): string => `${tag}${Date.now().toString(36)}${(sequence += 1)}`.slice(0, 32);
      const paidFor = (orderId: string): PaidEvent[] => paid.filter((e) => e.orderId === orderId);
      const reversedMicropays: MicropayReversedEvent[] = [];
      const failedMicropays: MicropayFailedEvent[] = [];
      const fixture = {
        paid,
        errors,
        refunded,
        transfers,
        beforePaid,
        nextOrderId,
        paidFor,
        reversedMicropays,
        failedMicropays,
      } as Partial<EndToEndFixture> as EndToEndFixture & {
        reversedMicropays: MicropayReversedEvent[];
        failedMicropays: MicropayFailedEvent[];
      };

      beforeAll(async () => {
        // Refunds go over mutual TLS, as with WeChat: a throwaway CA, the simulator's server
        // certificate and the merchant's client certificate.
        const certs = await generateTestCertificates({ mchId: merchant.mchId });
        // The same simulator also serves an API v3 merchant, whose app `shop3` shares the host app,
        // the instance and the listeners below with the v2 app `shop`.
        const wechatpayKey = generateTestRsaKeyPair();
        const v3 = v3MerchantSetup();
        sim = await startSimulator({
          port: 0,
          host: '127.0.0.1',
          timeFactor: 0.001,
          merchants: [{ ...merchant, appIds: [appId] }, v3.simulatorMerchant],
          tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey },
          v3: { privateKey: wechatpayKey.privateKey },
        });
        const keys = await sim.wechatpayKeys();
        const lazy = lazyWxPay();
        [app, parsed] = await Promise.all([mount(lazy, { prefix: PREFIX }), mount(lazy, { prefix: PREFIX, hostBodyParser: true })]);
        base = `${app.url}${PREFIX}`;
        wxpay = createWxPay({
          merchants: [
            { name: 'main', ...merchant, baseUrl: sim.url, cert: { cert: certs.clientCert, key: certs.clientKey } },
            v3.coreMerchant('main3', sim.url, keys),
          ],
          apps: [
            { name: 'shop', merchant: 'main', appIds: [appId] },
            { name: V3_APP, merchant: 'main3', appIds: [v3.appId] },
            // A go-wxpay-gateway style app that lists no app ids.
            { name: V3_ANY_APP, merchant: 'main3', appIds: ['*'] },
          ],
          notifyPayUrl: `${base}/notify-pay`,
          notifyRefundUrl: `${base}/notify-refund`,
          notifyTransferUrl: `${base}/notify-transfer`,
          bodyLimit: BODY_LIMIT,
          client: { retries: 0, ca: certs.ca },
          micropay: E2E_MICROPAY_TIMING,
        });
        lazy.set(wxpay);
        wxpay.on('micropay-reversed', (event) => void reversedMicropays.push(event));
        wxpay.on('micropay-failed', (event) => void failedMicropays.push(event));
        wxpay.on('paid', async (event) => {
          await beforePaid.get(event.orderId)?.(event);
          paid.push(event);
        });
        wxpay.on('refunded', (event) => {
          refunded.push(event);
        });
        for (const name of ['transferred', 'transfer-failed', 'transfer-cancelled'] as const) {
          wxpay.on(name, (event) => {
            transfers.push(event);
          });
        }
        wxpay.on('error', (event) => {
          errors.push(event);
        });
        Object.assign(fixture, { sim, base, wxpay, wechatpay: { privateKey: wechatpayKey.privateKey, publicKeyId: keys.publicKeyId } });
      });
      afterAll(async () => {
        await Promise.all([app?.close(), parsed?.close()]);
        await wxpay?.close();
        await sim?.close();
      });

      const createPay = (type: string, orderId: string, extra: Record<string, unknown> = {}, at = base) =>
        post(`${at}/create-pay/${type}`, {
          appId,
          payApp: 'shop',
          goods: 'Test goods',
          udd: 'u1',
          orderId,
          fee: 101,
          ip: '127.0.0.1',
          productId: 'p1',
          ...extra,
        });

      const notification = (orderId: string, fields: Record<string, string> = {}) =>
        signNotifyXml(
          buildPayNotification({
            appid: appId,
            mch_id: merchant.mchId,
            out_trade_no: orderId,
            total_fee: '101',
            cash_fee: '101',
            ...fields,
          }),
          merchant.apiKey,
        );

      describe('create-pay', () => {
        it('NATIVE answers code_url and prepay_id in the seed envelope', async () => {
          const reply = await createPay('NATIVE', nextOrderId('nat'), { productId: 'p1' });
          expect(reply.status, reply.text).toBe(200);
          const body = reply.json<{ code: number; msg: string; result: { code_url: string; prepay_id: string } }>();
          expect(body).toMatchObject({ code: 200, msg: 'OK' });
          expect(body.result.code_url).toMatch(/^weixin:\/\//);
          expect(body.result.prepay_id).toMatch(/^wx/);
        });

        it('JSAPI answers signed jsapi_params for the prepay_id', async () => {
          const reply = await createPay('JSAPI', nextOrderId('js'), { openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
          expect(reply.status, reply.text).toBe(200);
          const { result } = reply.json<{ result: { prepay_id: string; jsapi_params: Record<string, string> } }>();
          expect(result.jsapi_params['package']).toBe(`prepay_id=${result.prepay_id}`);
          expect(result.jsapi_params['paySign']).toBeTruthy();
        });

        it('APP answers req_params', async () => {
          const reply = await createPay('APP', nextOrderId('app'));
          expect(reply.status, reply.text).toBe(200);
          const { result } = reply.json<{ result: { prepay_id: string; req_params: Record<string, string> } }>();
          expect(result.req_params['prepayid']).toBe(result.prepay_id);
        });

        it('H5 answers pay_url', async () => {
          const reply = await createPay('H5', nextOrderId('h5'), {
            redirectUrl: 'https://shop.example/done',
            sceneInfo: { h5_info: { type: 'Wap', wap_url: 'https://shop.example', wap_name: 'shop' } },
          });
          expect(reply.status, reply.text).toBe(200);
          expect(reply.json<{ result: { pay_url: string } }>().result.pay_url).toBeTruthy();
        });

        it('refuses an unknown payApp, an unknown type and a missing fee with {code, msg}', async () => {
          expectErrorEnvelope(await createPay('NATIVE', nextOrderId('bad'), { payApp: 'nope' }), 400);
          expectErrorEnvelope(await createPay('CARD', nextOrderId('bad')));
          expectErrorEnvelope(await createPay('NATIVE', nextOrderId('bad'), { fee: undefined }), 400);
        });
      });

      describe('orders and refunds', () => {
        it('query-order answers the flat order; an unknown order is an error', async () => {
          const orderId = nextOrderId('q');
          expect((await createPay('NATIVE', orderId)).status).toBe(200);
          await sim.pay(orderId, { notify: false });
          const reply = await post(`${base}/query-order`, { appId, payApp: 'shop', orderId });
          expect(reply.status, reply.text).toBe(200);
          expect(reply.json()).toMatchObject({ order_id: orderId, total_fee: 101, result_code: 'SUCCESS' });
          expectErrorEnvelope(await post(`${base}/query-order`, { appId, payApp: 'shop', orderId: 'missing-order' }));
        });

        it('close-order closes an unpaid order; closing a paid one is an error', async () => {
          const open = nextOrderId('c');
          expect((await createPay('NATIVE', open)).status).toBe(200);
          const reply = await post(`${base}/close-order`, { appId, payApp: 'shop', orderId: open });
          expect(reply.status, reply.text).toBe(200);
          expect((await sim.order(open)).tradeState).toBe('CLOSED');
          const done = nextOrderId('c');
          expect((await createPay('NATIVE', done)).status).toBe(200);
          await sim.pay(done, { notify: false });
          expectErrorEnvelope(await post(`${base}/close-order`, { appId, payApp: 'shop', orderId: done }));
        });

        it('create-refund and query-refund serve a paid order; over-refunding and unknown refunds are errors', async () => {
          const orderId = nextOrderId('r');
          expect((await createPay('NATIVE', orderId)).status).toBe(200);
          await sim.pay(orderId, { notify: false });
          const refundId = nextOrderId('rf');
          const refund = await post(`${base}/create-refund`, {
            appId,
            payApp: 'shop',
            orderId,
            refundId,
            totalFee: 101,
            refundFee: 50,
            refundReason: 'test',
          });
          expect(refund.status, refund.text).toBe(200);
          expect(refund.json()).toMatchObject({ code: 200, msg: 'OK' });
          const query = await post(`${base}/query-refund`, { appId, payApp: 'shop', orderId, refundId });
          expect(query.status, query.text).toBe(200);
          expectErrorEnvelope(
            await post(`${base}/create-refund`, {
              appId,
              payApp: 'shop',
              orderId,
              refundId: nextOrderId('rf'),
              totalFee: 101,
              refundFee: 500,
            }),
          );
          expectErrorEnvelope(await post(`${base}/query-refund`, { appId, payApp: 'shop', orderId, refundId: 'missing-refund' }));
        });
      });

      describe('notifications and events', () => {
        it("pay → WeChat's notification → one 'paid' event → SUCCESS", async () => {
          const orderId = nextOrderId('n');
          expect((await createPay('NATIVE', orderId)).status).toBe(200);
          await sim.pay(orderId);
          const delivered = await sim.waitForNotification({ kind: 'pay', outTradeNo: orderId });
          expect(delivered.attempts.at(-1)?.ok).toBe(true);
          expect(delivered.attempts.at(-1)?.reply).toContain('SUCCESS');
          const events = paidFor(orderId);
          expect(events).toHaveLength(1);
          expect(events[0]).toMatchObject({ app: 'shop', appId, mchId: merchant.mchId, orderId, totalFee: 101, source: 'notify' });
          expect(events[0]?.transactionId).toBe((await sim.order(orderId)).transactionId);
        });

        it("refund → WeChat's encrypted refund notification → one 'refunded' event → SUCCESS", async () => {
          const orderId = nextOrderId('rn');
          expect((await createPay('NATIVE', orderId)).status).toBe(200);
          await sim.pay(orderId, { notify: false });
          const refundId = nextOrderId('rn');
          const reply = await post(`${base}/create-refund`, { appId, payApp: 'shop', orderId, refundId, totalFee: 101, refundFee: 101 });
          expect(reply.status, reply.text).toBe(200);
          const delivered = await sim.waitForNotification({ kind: 'refund', outRefundNo: refundId });
          expect(delivered.url).toBe(`${base}/notify-refund/shop`);
          expect(delivered.attempts.at(-1)?.reply).toContain('SUCCESS');
          const events = refunded.filter((e) => e.refundId === refundId);
          expect(events).toHaveLength(1);
          expect(events[0]).toMatchObject({ app: 'shop', orderId, refundFee: 101, refundStatus: 'SUCCESS' });
        });

        it("a rejecting listener answers FAIL; WeChat's retry then gives a single 'paid'", async () => {
          const orderId = nextOrderId('f');
          let calls = 0;
          beforePaid.set(orderId, async () => {
            calls += 1;
            if (calls === 1) throw new Error('database unavailable');
          });
          expect((await createPay('NATIVE', orderId)).status).toBe(200);
          await sim.pay(orderId);
          const delivered = await sim.waitForNotification({ kind: 'pay', outTradeNo: orderId });
          expect(delivered.attempts.length).toBeGreaterThanOrEqual(2);
          expect(delivered.attempts[0]?.ok).toBe(false);
          expect(delivered.attempts[0]?.reply).toContain('FAIL');
          expect(paidFor(orderId)).toHaveLength(1);
          expect(calls).toBe(2);
        });

        it("20 concurrent duplicate notifications give one 'paid' and 20 SUCCESS replies", async () => {
          const orderId = nextOrderId('d');
          expect((await createPay('NATIVE', orderId)).status).toBe(200);
          const xml = notification(orderId);
          const replies = await Promise.all(Array.from({ length: 20 }, () => post(`${base}/notify-pay/shop`, xml, 'text/xml')));
          for (const reply of replies) expectNotifyReply(reply, 'SUCCESS');
          expect(paidFor(orderId)).toHaveLength(1);
        });

        it("confirm racing WeChat's notification gives one 'paid'", async () => {
          const orderId = nextOrderId('x');
          expect((await createPay('NATIVE', orderId)).status).toBe(200);
          await sim.pay(orderId);
          const confirms = await Promise.all([1, 2, 3].map(() => post(`${base}/confirm`, { appId, payApp: 'shop', orderId })));
          for (const reply of confirms) expect(reply.status, reply.text).toBe(200);
          await sim.waitForNotification({ kind: 'pay', outTradeNo: orderId });
          expect(paidFor(orderId)).toHaveLength(1);
        });

        it("confirm alone fires 'paid' with source 'confirm' when no notification came", async () => {
          const orderId = nextOrderId('y');
          expect((await createPay('NATIVE', orderId)).status).toBe(200);
          await sim.pay(orderId, { notify: false });
          const reply = await post(`${base}/confirm`, { appId, payApp: 'shop', orderId });
          expect(reply.status, reply.text).toBe(200);
          expect(paidFor(orderId).map((e) => e.source)).toEqual(['confirm']);
          expectErrorEnvelope(await post(`${base}/confirm`, { appId, payApp: 'shop', orderId: 'missing-order' }));
          expectErrorEnvelope(await post(`${base}/confirm`, { appId, payApp: 'nope', orderId }), 400);
        });

        it('works with the host body parser installed before the adapter', async () => {
          const orderId = nextOrderId('hp');
          const created = await createPay('NATIVE', orderId, {}, `${parsed.url}${PREFIX}`);
          expect(created.status, created.text).toBe(200);
          const reply = await post(`${parsed.url}${PREFIX}/notify-pay/shop`, notification(orderId), 'text/xml');
          expectNotifyReply(reply, 'SUCCESS');
          expect(paidFor(orderId)).toHaveLength(1);
        });
      });

      describe('bad input', () => {
        it("answers 413 for bodies over the limit, reporting an oversized notification on 'error'", async () => {
          expectErrorEnvelope(await createPay('NATIVE', nextOrderId('big'), { goods: 'x'.repeat(BODY_LIMIT) }), 413);
          const before = errors.length;
          const reply = await post(`${base}/notify-pay/shop`, `<xml><pad>${'x'.repeat(BODY_LIMIT)}</pad></xml>`, 'text/xml');
          expect(reply.status).toBe(413);
          expectNotifyReply(reply, 'FAIL');
          const reported = errors.slice(before);
          expect(reported.map((e) => [e.error.code, e.app])).toEqual([['WXPAY_ERR_PAYLOAD_TOO_LARGE', 'shop']]);
        });

        it('answers 415 for the wrong content type', async () => {
          expectErrorEnvelope(await post(`${base}/create-pay/NATIVE`, '{"orderId":"x"}', 'text/plain'), 415);
          const reply = await post(`${base}/notify-pay/shop`, notification(nextOrderId('ct')), 'application/json');
          expect(reply.status).toBe(415);
          expectNotifyReply(reply, 'FAIL');
        });

        it("answers FAIL to malformed XML and reports it on 'error'", async () => {
          const before = errors.length;
          const reply = await post(`${base}/notify-pay/shop`, '<xml><return_code>SUCCESS</xml>', 'text/xml');
          expectNotifyReply(reply, 'FAIL');
          expect(errors.slice(before).map((e) => e.error.code)).toContain('WXPAY_ERR_XML');
        });

        it("answers FAIL to a refund notification encrypted with another key and reports it on 'error'", async () => {
          const before = errors.length;
          const refundId = nextOrderId('bad');
          const xml = buildRefundNotifyXml({ out_refund_no: refundId, out_trade_no: nextOrderId('bad') }, 'k'.repeat(32), {
            appid: appId,
            mch_id: merchant.mchId,
          });
          expectNotifyReply(await post(`${base}/notify-refund/shop`, xml, 'text/xml'), 'FAIL');
          expect(errors.slice(before).map((e) => e.error.code)).toContain('WXPAY_ERR_DECRYPT');
          expect(refunded.filter((e) => e.refundId === refundId)).toHaveLength(0);
        });

        it("answers FAIL to a bad signature, reports it on 'error' and fires no 'paid'", async () => {
          const orderId = nextOrderId('sig');
          const before = errors.length;
          const forged = buildXml({
            ...buildPayNotification({ appid: appId, mch_id: merchant.mchId, out_trade_no: orderId }),
            sign: 'BAD',
          });
          expectNotifyReply(await post(`${base}/notify-pay/shop`, forged, 'text/xml'), 'FAIL');
          const otherKey = signNotifyXml(
            buildPayNotification({ appid: appId, mch_id: merchant.mchId, out_trade_no: orderId }),
            'k'.repeat(32),
          );
          expectNotifyReply(await post(`${base}/notify-pay/shop`, otherKey, 'text/xml'), 'FAIL');
          const codes = errors.slice(before).map((e) => e.error.code);
          expect(codes.filter((c) => c === 'WXPAY_ERR_SIGNATURE')).toHaveLength(2);
          expect(paidFor(orderId)).toHaveLength(0);
        });
      });

      defineV3EndToEndCases(fixture);
      defineMicropayCases(fixture);
    },
  );
}
