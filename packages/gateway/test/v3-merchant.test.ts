/**
 * The built `wxpay-gateway` command with API v3 merchants (keys as later go-wxpay-gateway versions
 * name them) against a simulator started here: one verifying WeChat with the WeChat Pay public
 * key, one with downloaded platform certificates (legacy). Same HTTP API and callbacks as v2.
 */
import { createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { verifyWebhook } from '@wxpay-kit/forwarder';
import { createWxPay, type WxPay } from '@wxpay-kit/core';
import { postJson, requireBuild, runCli, startReceiver, type GatewayProcess, type Receiver } from './helpers.js';

const MCH_ID = '1230000109';
const LEGACY_MCH_ID = '1230000110';
const V2_KEY = 'Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4f';
const V3_KEY = randomBytes(16).toString('hex');
const APP_ID = 'wx8888888888888888';
const SECRET = 'whsec_djMtbWVyY2hhbnQtY2FsbGJhY2stc2VjcmV0';

let sim: RunningSimulator;
let receiver: Receiver;
let gateway: GatewayProcess;
let base: string;
let dir: string;
let merchantPublicKey: string;
let merchantPrivateKey: string;
/** Places orders with the merchant's keys but not through the gateway, as the merchant's earlier system did. */
let elsewhere: WxPay;

/** A merchant key pair and certificate serial, as WeChat's certificate tool hands them out. */
function merchantKeys() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    serialNo: randomBytes(20).toString('hex').toUpperCase(),
  };
}

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-v3-'));
  receiver = await startReceiver();
  const main = merchantKeys();
  const legacy = merchantKeys();
  merchantPublicKey = main.publicKey;
  merchantPrivateKey = main.privateKey;
  sim = await startSimulator({
    port: 0,
    timeFactor: 0.001,
    merchants: [
      { mchId: MCH_ID, apiKey: V2_KEY, appIds: [APP_ID], v3: { publicKey: main.publicKey, serialNo: main.serialNo, apiV3Key: V3_KEY } },
      {
        mchId: LEGACY_MCH_ID,
        apiKey: V2_KEY,
        appIds: [APP_ID],
        v3: { publicKey: legacy.publicKey, serialNo: legacy.serialNo, apiV3Key: V3_KEY, wechatpayKey: 'platform-certificate' },
      },
    ],
  });
  const wechatpay = await sim.wechatpayKeys();
  writeFileSync(join(dir, 'apiclient_key.pem'), main.privateKey);
  writeFileSync(join(dir, 'legacy_apiclient_key.pem'), legacy.privateKey);
  writeFileSync(join(dir, 'pub_key.pem'), wechatpay.publicKey);
  const config = {
    'listen-host': '127.0.0.1',
    'listen-port': 0,
    'notify-file': 'notify-outbox',
    merchants: [
      {
        name: 'mch3',
        'mch-id': MCH_ID,
        'mch-app-key': V2_KEY,
        'api-base-url': sim.url,
        'api-version': 'v3',
        'mch-key-pem-file': 'apiclient_key.pem',
        'mch-cert-serialno': main.serialNo,
        'wxpay-v3-key': V3_KEY,
        'wxpay-pubkey-file': 'pub_key.pem',
        'wxpay-pubkey-id': wechatpay.publicKeyId,
      },
      {
        name: 'mch3-legacy',
        'mch-id': LEGACY_MCH_ID,
        'mch-app-key': V2_KEY,
        'api-base-url': sim.url,
        'api-version': 'v3',
        'mch-key-pem-file': 'legacy_apiclient_key.pem',
        'mch-cert-serialno': legacy.serialNo,
        'wxpay-v3-key': V3_KEY,
        'platform-certificates': true,
      },
    ],
    apps: [
      {
        name: 'shop3',
        merchant: 'mch3',
        'app-ids': [APP_ID],
        'notify-pay-callback': `${receiver.url}/shop3/pay`,
        'notify-refund-callback': `${receiver.url}/shop3/refund`,
        'callback-secret': SECRET,
      },
      { name: 'legacy', merchant: 'mch3-legacy', 'app-ids': [APP_ID], 'notify-pay-callback': `${receiver.url}/legacy/pay` },
      // No `app-ids`: any app id of the merchant (the seed's behaviour).
      {
        name: 'shop3-any',
        merchant: 'mch3',
        'notify-pay-callback': `${receiver.url}/shop3-any/pay`,
        'notify-refund-callback': `${receiver.url}/shop3-any/refund`,
      },
    ],
  };
  elsewhere = createWxPay({
    merchants: [
      {
        name: 'mch3',
        mchId: MCH_ID,
        apiVersion: 'v3',
        baseUrl: sim.url,
        privateKey: main.privateKey,
        certSerialNo: main.serialNo,
        apiV3Key: V3_KEY,
        wechatpayPublicKey: wechatpay.publicKey,
        wechatpayPublicKeyId: wechatpay.publicKeyId,
      },
    ],
    apps: [{ name: 'before', merchant: 'mch3', appIds: [APP_ID] }],
    notifyPayUrl: 'http://127.0.0.1:1/elsewhere/notify-pay',
    notifyRefundUrl: 'http://127.0.0.1:1/elsewhere/notify-refund',
  });
  const file = join(dir, 'wxpay-gateway.conf.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  gateway = runCli([], { CONF_FILE: file });
  base = (await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  await gateway.waitFor(/"msg":"wxpay-gateway listening"/);
});

afterAll(async () => {
  if (gateway && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }
  await elsewhere?.close();
  await sim?.close();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const order = (orderId: string, extra: Record<string, unknown> = {}) => ({
  appId: APP_ID,
  payApp: 'shop3',
  goods: '测试商品',
  orderId,
  fee: 101,
  ip: '127.0.0.1',
  ...extra,
});

describe('wxpay-gateway with API v3 merchants', () => {
  it('create-pay/JSAPI answers jsapi_params signed with the merchant key (RSA)', async () => {
    const { status, json } = await postJson(
      `${base}/wxpay/create-pay/JSAPI`,
      order('v3-jsapi-1', { openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }),
    );
    expect(status, JSON.stringify(json)).toBe(200);
    const params = json.result.jsapi_params as Record<string, string>;
    expect(params).toMatchObject({ appId: APP_ID, signType: 'RSA', package: `prepay_id=${json.result.prepay_id}` });
    const message = `${params['appId']}\n${params['timeStamp']}\n${params['nonceStr']}\n${params['package']}\n`;
    expect(
      createVerify('RSA-SHA256')
        .update(message)
        .verify(merchantPublicKey, params['paySign'] ?? '', 'base64'),
    ).toBe(true);
  });

  it('a NATIVE order: code_url, the user pays, the v3 notification becomes a signed callback, query-order SUCCESS', async () => {
    const created = await postJson(`${base}/wxpay/create-pay/NATIVE`, order('v3-native-1', { productId: 'p-1' }));
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    expect(created.json.result.code_url).toMatch(/^weixin:\/\//);

    await sim.pay('v3-native-1', { mchId: MCH_ID });
    const callback = await receiver.waitFor((r) => r.path === '/shop3/pay' && r.body.includes('v3-native-1'));
    const verified = verifyWebhook<Record<string, unknown>>({ payload: callback.body, headers: callback.headers, secret: SECRET });
    expect(verified.body).toMatchObject({
      result_code: 'SUCCESS',
      mch_id: MCH_ID,
      trade_type: 'NATIVE',
      total_fee: 101,
      order_id: 'v3-native-1',
    });
    const notification = await sim.waitForNotification({ kind: 'pay', outTradeNo: 'v3-native-1' });
    expect(notification.format).toBe('json');

    const after = await postJson(`${base}/wxpay/query-order`, { appId: APP_ID, payApp: 'shop3', orderId: 'v3-native-1' });
    expect(after.status, JSON.stringify(after.json)).toBe(200);
    expect(after.json).toMatchObject({
      mch_id: MCH_ID,
      result_code: 'SUCCESS',
      trade_type: 'NATIVE',
      total_fee: 101,
      order_id: 'v3-native-1',
    });
    expect(after.json.transaction_id).toBe(verified.body['transaction_id']);
  });

  it('create-refund answers the seed result; the refund callback arrives; query-refund sees it', async () => {
    const { status, json } = await postJson(`${base}/wxpay/create-refund`, {
      appId: APP_ID,
      payApp: 'shop3',
      orderId: 'v3-native-1',
      refundId: 'v3-r-1',
      totalFee: 101,
      refundFee: 60,
      refundReason: 'test',
    });
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json).toMatchObject({
      code: 200,
      msg: 'OK',
      result: { order_id: 'v3-native-1', refund_id: 'v3-r-1', total_fee: 101, refund_fee: 60 },
    });
    const callback = await receiver.waitFor((r) => r.path === '/shop3/refund' && r.body.includes('v3-r-1'));
    expect(
      verifyWebhook<Record<string, unknown>>({ payload: callback.body, headers: callback.headers, secret: SECRET }).body,
    ).toMatchObject({
      order_id: 'v3-native-1',
      refund_id: 'v3-r-1',
      refund_fee: 60,
    });
    const query = await postJson(`${base}/wxpay/query-refund`, {
      appId: APP_ID,
      payApp: 'shop3',
      orderId: 'v3-native-1',
      refundId: 'v3-r-1',
    });
    expect(query.status, JSON.stringify(query.json)).toBe(200);
    expect(JSON.stringify(query.json)).toContain('v3-r-1');
  });

  it('a merchant on platform certificates (legacy) is paid and notified the same way', async () => {
    const created = await postJson(`${base}/wxpay/create-pay/NATIVE`, order('v3-legacy-1', { payApp: 'legacy', productId: 'p-2' }));
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    await sim.pay('v3-legacy-1', { mchId: LEGACY_MCH_ID });
    const callback = await receiver.waitFor((r) => r.path === '/legacy/pay' && r.body.includes('v3-legacy-1'));
    expect(JSON.parse(callback.body)).toMatchObject({ order_id: 'v3-legacy-1', mch_id: LEGACY_MCH_ID, result_code: 'SUCCESS' });
  });

  describe('no verified refund result is refused because a record is missing (app without app-ids)', () => {
    /** An order placed and paid without the gateway: it has no order record there. */
    async function paidElsewhere(orderId: string): Promise<void> {
      await elsewhere.client.unifiedOrder({
        merchant: 'mch3',
        appId: APP_ID,
        tradeType: 'NATIVE',
        outTradeNo: orderId,
        totalFee: 300,
        body: 'g',
        spbillCreateIp: '127.0.0.1',
        productId: 'p',
        notifyUrl: 'http://127.0.0.1:1/elsewhere/notify-pay/before',
      });
      await sim.pay(orderId, { mchId: MCH_ID, notify: false });
    }

    it("a refund asked through create-refund: the v3 notification is answered SUCCESS and called back with create-refund's app id, checked", async () => {
      await paidElsewhere('v3-else-1');
      const { refunds } = await sim.settings();
      await sim.updateSettings({ refunds: 'manual' });
      try {
        const created = await postJson(`${base}/wxpay/create-refund`, {
          appId: APP_ID,
          payApp: 'shop3-any',
          orderId: 'v3-else-1',
          refundId: 'v3-else-r1',
          totalFee: 300,
          refundFee: 120,
        });
        expect(created.status, JSON.stringify(created.json)).toBe(200);
      } finally {
        await sim.updateSettings({ refunds });
      }
      await sim.completeRefund('v3-else-r1', { mchId: MCH_ID });
      const notification = await sim.waitForNotification({ kind: 'refund', outRefundNo: 'v3-else-r1' });
      expect(notification.format).toBe('json');
      const callback = await receiver.waitFor((r) => r.path === '/shop3-any/refund' && r.body.includes('v3-else-r1'));
      expect(notification.attempts.map((a) => [a.statusCode, a.reply])).toEqual([
        [200, JSON.stringify({ code: 'SUCCESS', message: '成功' })],
      ]);
      expect(JSON.parse(callback.body)).toMatchObject({
        app_id: APP_ID,
        mch_id: MCH_ID,
        order_id: 'v3-else-1',
        refund_id: 'v3-else-r1',
        refund_fee: 120,
        total_fee: 300,
        refund_status: 'SUCCESS',
        record_checked: true,
      });
    });

    it('a refund with no record at all (started by the API of another system): delivered, marked unchecked, with a warning in the log', async () => {
      await paidElsewhere('v3-else-2');
      const refund = await sim.startRefund('v3-else-2', {
        mchId: MCH_ID,
        refundFee: 50,
        source: 'api',
        notifyUrl: `${base}/wxpay/notify-refund/shop3-any`,
      });
      const notification = await sim.waitForNotification({ kind: 'refund', outRefundNo: refund.outRefundNo });
      expect(notification.format).toBe('json');
      const callback = await receiver.waitFor((r) => r.path === '/shop3-any/refund' && r.body.includes(refund.outRefundNo));
      expect(notification.attempts.map((a) => a.statusCode)).toEqual([200]);
      expect(JSON.parse(callback.body)).toMatchObject({
        app_id: '',
        mch_id: MCH_ID,
        order_id: 'v3-else-2',
        refund_id: refund.outRefundNo,
        refund_fee: 50,
        total_fee: 300,
        record_checked: false,
      });
      const warning = gateway.logs().find((l) => l['recordChecked'] === false && l['refundId'] === refund.outRefundNo);
      expect(warning).toMatchObject({ level: 40, app: 'shop3-any', event: 'refunded' }); // pino's warn
    });
  });

  it('prints neither the APIv3 key nor the private key', () => {
    const out = gateway.stdout() + gateway.stderr();
    expect(out).not.toContain(V3_KEY);
    expect(out).not.toContain(V2_KEY);
    expect(out).not.toContain(merchantPrivateKey.split('\n')[1]);
    expect(gateway.logs().some((l) => l['msg'] === 'callback delivered' && l['app'] === 'shop3')).toBe(true);
  });
});
