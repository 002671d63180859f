/**
 * The built `wxpay-gateway` command, started with a go-wxpay-gateway configuration against the
 * simulator, driven over HTTP exactly as the seed README documents its API.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../test/helpers/external-tools.js';
import { createSimulatorClient, sandboxKeyFor, startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { verifyWebhook } from '@wxpay-kit/forwarder';
import { generateTestCertificates } from '@wxpay-kit/core/testing';
import { postJson, requireBuild, runCli, startReceiver, type GatewayProcess, type Receiver } from './helpers.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const SANDBOX_MERCHANT_KEY = 'sandboxmerchantkey0123456789abcd';
const MCH_ID = '1530730681';
const APP_ID = 'wxc914c55fba939e3c';
const SECRET = 'whsec_c2hvcC1jYWxsYmFjay1zZWNyZXQtZm9yLXRlc3Rz';

let sim: RunningSimulator;
let receiver: Receiver;
let gateway: GatewayProcess;
let base: string;
let dir: string;
let embeddedSimUrl: string;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-e2e-'));
  receiver = await startReceiver();
  // The merchant certificate refunds are sent with (the seed's PEM pair).
  const certs = await generateTestCertificates({ mchId: MCH_ID });
  writeFileSync(join(dir, 'apiclient_cert.pem'), certs.clientCert);
  writeFileSync(join(dir, 'apiclient_key.pem'), certs.clientKey);
  sim = await startSimulator({ port: 0, merchants: [{ mchId: MCH_ID, apiKey: KEY, appIds: [APP_ID] }], timeFactor: 0.001 });
  const config = {
    'listen-host': '127.0.0.1',
    'listen-port': 0,
    'notify-file': 'notify-outbox',
    endpoints: {
      'create-pay': '/wxpay/create-pay',
      'notify-pay': '/wxpay/notify-pay',
      'create-refund': '/wxpay/create-refund',
      'notify-refund': '/wxpay/notify-refund',
      'query-order': '/wxpay/queryorder',
      'close-order': '/wxpay/close-order',
      'query-refund': '/wxpay/query-refund',
      confirm: '/wxpay/confirm',
      health: '/health',
    },
    merchants: [
      {
        name: 'mch',
        'mch-id': MCH_ID,
        'mch-app-key': KEY,
        'api-base-url': sim.url,
        'mch-cert-pem-file': 'apiclient_cert.pem',
        'mch-key-pem-file': 'apiclient_key.pem',
      },
      // No api-base-url: its -dev app runs on the gateway's embedded simulator.
      { name: 'mch-sandbox', 'mch-id': '1900000109', 'mch-app-key': SANDBOX_MERCHANT_KEY },
    ],
    apps: [
      {
        name: 'shop',
        merchant: 'mch',
        'app-ids': [APP_ID],
        'notify-pay-callback': `${receiver.url}/shop/pay`,
        'notify-refund-callback': `${receiver.url}/shop/refund`,
        'callback-secret': SECRET,
      },
      {
        name: 'shop-dev',
        merchant: 'mch-sandbox',
        'app-ids': ['wxd930ea5d5a258f4f'],
        'notify-pay-callback': `${receiver.url}/shop-dev/pay`,
        'notify-refund-callback': `${receiver.url}/shop-dev/refund`,
      },
    ],
    'worker-num': 5,
  };
  const file = join(dir, 'wxpay-gateway.conf.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  gateway = runCli([], { CONF_FILE: file });
  base = (await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  await gateway.waitFor(/"msg":"wxpay-gateway listening"/);
  const started = gateway.logs().find((l) => l['msg'] === 'wxpay-gateway listening');
  embeddedSimUrl = started?.['simulator'] as string;
});

afterAll(async () => {
  if (gateway && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }
  await sim?.close();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const order = (orderId: string, extra: Record<string, unknown> = {}) => ({
  appId: APP_ID,
  payApp: 'shop',
  goods: '测试商品',
  udd: 'user-data',
  orderId,
  fee: 101,
  ip: '127.0.0.1',
  ...extra,
});

describe.skipIf(skipWithout(import.meta.url, ['openssl']))('wxpay-gateway with a seed configuration', () => {
  it('notes the seed key it has no use for, and starts the embedded simulator for the -dev app', () => {
    expect(gateway.stderr()).not.toContain('worker-num');
    expect(gateway.logs().map((l) => l['msg'])).toContain(
      '"worker-num" (5) has no meaning here: one Node.js event loop serves every request',
    );
    expect(embeddedSimUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers /health and /ready', async () => {
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
  });

  it('create-pay/JSAPI answers jsapi_params and prepay_id', async () => {
    const { status, json } = await postJson(`${base}/wxpay/create-pay/JSAPI`, order('jsapi-1', { openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }));
    expect(status).toBe(200);
    expect(json).toMatchObject({ code: 200, msg: 'OK' });
    expect(Object.keys(json.result.jsapi_params).sort()).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
    expect(json.result.jsapi_params.appId).toBe(APP_ID);
    expect(json.result.jsapi_params.package).toBe(`prepay_id=${json.result.prepay_id}`);
    expect(json.result.jsapi_params.signType).toBe('MD5');
  });

  it('create-pay/H5 answers pay_url with the redirect and prepay_id', async () => {
    const { status, json } = await postJson(
      `${base}/wxpay/create-pay/H5`,
      order('h5-1', {
        redirectUrl: 'http://localhost:11083',
        sceneInfo: { h5_info: { type: 'Wap', wap_name: 'shop', wap_url: 'https://shop.example.com' } },
      }),
    );
    expect(status).toBe(200);
    expect(json.result.prepay_id).toBeTruthy();
    expect(json.result.pay_url).toContain('redirect_url=http%3A%2F%2Flocalhost%3A11083');
  });

  it('create-pay/APP answers req_params and prepay_id', async () => {
    const { status, json } = await postJson(`${base}/wxpay/create-pay/APP`, order('app-1'));
    expect(status).toBe(200);
    expect(json.result.req_params).toMatchObject({
      appid: APP_ID,
      package: 'Sign=WXPay',
      partnerid: MCH_ID,
      prepayid: json.result.prepay_id,
    });
    expect(Object.keys(json.result.req_params).sort()).toEqual([
      'appid',
      'noncestr',
      'package',
      'partnerid',
      'prepayid',
      'sign',
      'timestamp',
    ]);
  });

  it('a NATIVE order: code_url, queryorder NOTPAY, the user pays, the callback arrives signed, queryorder SUCCESS', async () => {
    const created = await postJson(`${base}/wxpay/create-pay/NATIVE`, order('native-1', { productId: 'p-1' }));
    expect(created.status).toBe(200);
    expect(created.json.result.code_url).toMatch(/^weixin:\/\//);
    expect(created.json.result.prepay_id).toBeTruthy();

    const before = await postJson(`${base}/wxpay/queryorder`, { appId: APP_ID, payApp: 'shop', orderId: 'native-1' });
    expect(before.status).toBe(200);
    expect(before.json.order_id).toBe('native-1');
    expect(before.json.transaction_id ?? '').toBe('');

    await sim.pay('native-1');
    const callback = await receiver.waitFor((r) => r.path === '/shop/pay' && r.body.includes('native-1'));
    const verified = verifyWebhook<Record<string, unknown>>({ payload: callback.body, headers: callback.headers, secret: SECRET });
    expect(verified.body).toMatchObject({
      result_code: 'SUCCESS',
      mch_id: MCH_ID,
      trade_type: 'NATIVE',
      total_fee: 101,
      order_id: 'native-1',
    });
    expect(typeof verified.body['transaction_id']).toBe('string');

    const after = await postJson(`${base}/wxpay/queryorder`, { appId: APP_ID, payApp: 'shop', orderId: 'native-1' });
    expect(after.json).toMatchObject({
      app_id: APP_ID,
      mch_id: MCH_ID,
      result_code: 'SUCCESS',
      trade_type: 'NATIVE',
      total_fee: 101,
      order_id: 'native-1',
    });
    expect(after.json.transaction_id).toBe(verified.body['transaction_id']);
  });

  it('create-refund answers the seed result; the refund callback arrives; query-refund sees it', async () => {
    const { status, json } = await postJson(`${base}/wxpay/create-refund`, {
      appId: APP_ID,
      payApp: 'shop',
      orderId: 'native-1',
      refundId: 'r-1',
      totalFee: 101,
      refundFee: 101,
      refundReason: 'test',
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      code: 200,
      msg: 'OK',
      result: { order_id: 'native-1', refund_id: 'r-1', total_fee: 101, refund_fee: 101, mch_id: MCH_ID },
    });
    expect(json.result.wx_refund_id).toBeTruthy();

    const callback = await receiver.waitFor((r) => r.path === '/shop/refund' && r.body.includes('r-1'));
    expect(JSON.parse(callback.body)).toMatchObject({ order_id: 'native-1', refund_id: 'r-1', refund_fee: 101 });

    const query = await postJson(`${base}/wxpay/query-refund`, { appId: APP_ID, payApp: 'shop', refundId: 'r-1' });
    expect(query.status).toBe(200);
    expect(JSON.stringify(query.json)).toContain('r-1');
  });

  it('confirm fires paid for an order paid without a notification', async () => {
    await postJson(`${base}/wxpay/create-pay/NATIVE`, order('native-2', { productId: 'p-2' }));
    await sim.pay('native-2', { notify: false });
    const { status, json } = await postJson(`${base}/wxpay/confirm`, { appId: APP_ID, payApp: 'shop', orderId: 'native-2' });
    expect(status).toBe(200);
    expect(JSON.stringify(json)).toContain('SUCCESS');
    const callback = await receiver.waitFor((r) => r.path === '/shop/pay' && r.body.includes('native-2'));
    expect(JSON.parse(callback.body)).toMatchObject({ order_id: 'native-2', result_code: 'SUCCESS' });
  });

  describe('micropay (payment codes at a counter)', () => {
    const micropay = (orderId: string, authCode: string, extra: Record<string, unknown> = {}) =>
      postJson(`${base}/wxpay/micropay`, order(orderId, { authCode, fee: 2345, ...extra }));

    it('a paid code answers the final state and the paid result reaches notify-pay-callback, signed', async () => {
      const { status, json } = await micropay('mp-paid-1', '134567890123456000');
      expect(status).toBe(200);
      expect(json).toMatchObject({
        code: 200,
        msg: 'OK',
        result: {
          state: 'paid',
          trade_state: 'SUCCESS',
          order_id: 'mp-paid-1',
          total_fee: 2345,
          trade_type: 'MICROPAY',
          attach: 'user-data',
        },
      });
      expect(json.result.transaction_id).toMatch(/^\d{28}$/);
      const callback = await receiver.waitFor((r) => r.path === '/shop/pay' && r.body.includes('mp-paid-1'));
      const verified = verifyWebhook<Record<string, unknown>>({ payload: callback.body, headers: callback.headers, secret: SECRET });
      expect(verified.body).toMatchObject({ order_id: 'mp-paid-1', total_fee: 2345, transaction_id: json.result.transaction_id });
      // Asked again: the same answer, never a second submission or a second callback.
      const again = await micropay('mp-paid-1', '134567890123456000');
      expect(again.json.result).toMatchObject({ state: 'paid', transaction_id: json.result.transaction_id });
    });

    it('a refused code (AUTHCODEEXPIRE) answers failed with the reason, and nothing is called back', async () => {
      const { status, json } = await micropay('mp-expired-1', '134567890123456004');
      expect(status).toBe(200);
      expect(json.result).toMatchObject({ state: 'failed', reason: 'refused', err_code: 'AUTHCODEEXPIRE', order_id: 'mp-expired-1' });
    });

    it("answers pending with a query hint when the caller's waitMs is shorter than the payment", async () => {
      const { json } = await micropay('mp-wait-1', '134567890123456002', { waitMs: 0 });
      expect(json.result).toMatchObject({ state: 'pending', order_id: 'mp-wait-1' });
      expect(json.result.query_hint).toMatch(/micropay again/);
    });

    it('refuses a malformed payment code with 400 {code, msg} naming authCode', async () => {
      const { status, json } = await micropay('mp-bad-1', '12345');
      expect(status).toBe(400);
      expect(json).toMatchObject({ code: 400 });
      expect(json.msg).toMatch(/authCode/);
    });
  });

  it('close-order closes an unpaid order', async () => {
    await postJson(`${base}/wxpay/create-pay/NATIVE`, order('native-3', { productId: 'p-3' }));
    const { status } = await postJson(`${base}/wxpay/close-order`, { appId: APP_ID, payApp: 'shop', orderId: 'native-3' });
    expect(status).toBe(200);
    expect((await sim.order('native-3')).tradeState).toBe('CLOSED');
  });

  it('answers an unknown payApp with 400 {code, msg} plus err_code and retryable', async () => {
    const { status, json } = await postJson(`${base}/wxpay/create-pay/NATIVE`, order('x-1', { payApp: 'nope', productId: 'p' }));
    expect(status).toBe(400);
    expect(json.code).toBe(400);
    expect(json.msg).toContain('payApp');
    expect(Object.keys(json).sort()).toEqual(['code', 'err_code', 'msg', 'retryable']);
    expect(json).toMatchObject({ err_code: 'WXPAY_ERR_VALIDATION', retryable: false });
  });

  it('answers unknown paths with 404 {code, msg}', async () => {
    const res = await fetch(`${base}/wxpay/nope`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 404 });
  });

  it('serves a -dev app through the sandbox of the embedded simulator', async () => {
    const { status, json } = await postJson(
      `${base}/wxpay/create-pay/NATIVE`,
      order('dev-1', { appId: 'wxd930ea5d5a258f4f', payApp: 'shop-dev', productId: 'p' }),
    );
    expect(status).toBe(200);
    expect(json.result.code_url).toBeTruthy();
    const control = createSimulatorClient(embeddedSimUrl);
    const placed = await control.order('dev-1');
    expect(placed.environment).toBe('sandbox');
    await control.pay('dev-1');
    const callback = await receiver.waitFor((r) => r.path === '/shop-dev/pay' && r.body.includes('dev-1'));
    expect(JSON.parse(callback.body)).toMatchObject({ order_id: 'dev-1', mch_id: '1900000109' });
  });

  it('logs one JSON line per API call and per notification, with no secret in them', () => {
    const logs = gateway.logs();
    const calls = logs.filter((l) => l['msg'] === 'api call');
    expect(calls.some((l) => l['path'] === '/wxpay/create-pay/JSAPI' && l['status'] === 200)).toBe(true);
    expect(calls.some((l) => l['path'] === '/wxpay/queryorder')).toBe(true);
    const notes = logs.filter((l) => l['msg'] === 'notification');
    expect(notes.some((l) => l['app'] === 'shop' && l['path'] === '/wxpay/notify-pay/shop' && l['status'] === 200)).toBe(true);
    expect(logs.some((l) => l['msg'] === 'callback delivered' && l['app'] === 'shop')).toBe(true);
    const out = gateway.stdout() + gateway.stderr();
    expect(out).not.toContain(KEY);
    expect(out).not.toContain(SANDBOX_MERCHANT_KEY);
    expect(out).not.toContain(sandboxKeyFor('1900000109', SANDBOX_MERCHANT_KEY));
    expect(out).not.toContain(SECRET);
  });

  it('stops on SIGTERM after finishing, and exits 0', async () => {
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(gateway.logs().some((l) => l['msg'] === 'wxpay-gateway stopped')).toBe(true);
  });
});
