/**
 * go-wxpay-gateway's `verify-notify-pay` / `verify-notify-refund`, served by the gateway: the app
 * posts what WeChat sent it and gets `{code, msg, params, msgForWxpay}` back. The core verifies,
 * and the result goes through the once-per-transaction flow.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaidEvent } from '@wxpay-kit/core';
import {
  buildPayNotification,
  buildRefundNotifyXml,
  buildV3Notification,
  buildV3Transaction,
  signNotifyXml,
} from '@wxpay-kit/core/testing';
import { parseGatewayConfig } from './config/load-config.js';
import { createGatewayLogger } from './logger.js';
import { startGateway, type GatewayHandle } from './server.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const V3_KEY = '0123456789abcdef0123456789abcdef';
const PUB_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000';
const MCH2 = '1900000109';
const MCH3 = '1230000109';
const APP2 = 'wxd930ea5d5a258f4f';
const APP3 = 'wxd678efh567hg6787';
const TOKEN = 'verify-notify-test-token';

const wechatpay = generateKeyPairSync('rsa', { modulusLength: 2048 });
const wechatpayPrivateKey = wechatpay.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

let dir: string;
let gateway: GatewayHandle;
const paid: PaidEvent[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-verify-'));
  const merchantKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'apiclient_key.pem'), merchantKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'pub_key.pem'), wechatpay.publicKey.export({ type: 'spki', format: 'pem' }));
  const { config } = parseGatewayConfig(
    {
      'listen-host': '127.0.0.1',
      'listen-port': 0,
      store: `file:${join(dir, 'store')}`,
      'bearer-token': TOKEN,
      endpoints: { 'verify-notify-pay': '/verify-notify-pay', 'verify-notify-refund': '/verify-notify-refund' },
      merchants: [
        { name: 'mch2', 'mch-id': MCH2, 'mch-api-key': KEY, 'api-base-url': 'http://127.0.0.1:9' },
        {
          name: 'mch3',
          'mch-id': MCH3,
          'api-version': 'v3',
          'mch-api-key': KEY,
          'api-base-url': 'http://127.0.0.1:9',
          'mch-key-pem-file': 'apiclient_key.pem',
          'mch-cert-serialno': '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
          'wxpay-v3-key': V3_KEY,
          'wxpay-pubkey-file': 'pub_key.pem',
          'wxpay-pubkey-id': PUB_KEY_ID,
        },
      ],
      apps: [
        { name: 'app', merchant: 'mch2', 'app-ids': [APP2] },
        { name: 'app3', merchant: 'mch3', 'app-ids': [APP3] },
      ],
    },
    { baseDir: dir },
  );
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  gateway = await startGateway({ config, logger: createGatewayLogger({ level: 'info', destination: quiet }) });
  gateway.wxpay.on('paid', (e) => void paid.push(e));
});

afterAll(async () => {
  await gateway?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function verify(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/xml', ...headers },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

const payXml = (orderId: string, tx: string, key = KEY) =>
  signNotifyXml(buildPayNotification({ appid: APP2, mch_id: MCH2, out_trade_no: orderId, transaction_id: tx, total_fee: 101 }), key);

describe('verify-notify-pay (API v2)', () => {
  it('answers 200 with the params and a SUCCESS msgForWxpay; a replay is flagged redelivery and fires nothing again', async () => {
    const body = payXml('o-v2-1', '4200000000202401010000000101');
    const first = await verify('/verify-notify-pay?app=app', body);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      code: 200,
      msg: 'OK',
      params: { result_code: 'SUCCESS', mch_id: MCH2, order_id: 'o-v2-1', transaction_id: '4200000000202401010000000101', total_fee: 101 },
      redelivery: false,
      statusForWxpay: 200,
    });
    expect(first.json['msgForWxpay']).toContain('<return_code><![CDATA[SUCCESS]]></return_code>');
    const replay = await verify('/verify-notify-pay?app=app', body);
    expect(replay.json).toMatchObject({ code: 200, params: { order_id: 'o-v2-1' }, redelivery: true });
    expect(paid.filter((e) => e.orderId === 'o-v2-1')).toHaveLength(1);
  });

  it('answers a forged body 406 with a FAIL msgForWxpay and no params, and nothing fires', async () => {
    const forged = payXml('o-forged', '4200000000202401010000000102', 'f'.repeat(32));
    const out = await verify('/verify-notify-pay?app=app', forged);
    expect(out.status).toBe(406);
    expect(out.json).toMatchObject({ code: 406, params: null, redelivery: false });
    expect(out.json['msg']).toMatch(/sign/i);
    expect(out.json['msgForWxpay']).toContain('<return_code><![CDATA[FAIL]]></return_code>');
    const tampered = payXml('o-tampered', '4200000000202401010000000103').replace('<total_fee>101</total_fee>', '<total_fee>1</total_fee>');
    expect((await verify('/verify-notify-pay?app=app', tampered)).status).toBe(406);
    expect(paid.filter((e) => e.orderId === 'o-forged' || e.orderId === 'o-tampered')).toEqual([]);
  });

  it('refuses an unknown or missing app, a missing bearer token and another method', async () => {
    const body = payXml('o-v2-2', '4200000000202401010000000104');
    expect((await verify('/verify-notify-pay?app=nope', body)).json).toMatchObject({ code: 406, params: null });
    expect((await verify('/verify-notify-pay', body)).status).toBe(406);
    const noToken = await fetch(`${gateway.url}/verify-notify-pay?app=app`, { method: 'POST', body });
    expect(noToken.status).toBe(401);
    const get = await fetch(`${gateway.url}/verify-notify-pay?app=app`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(paid.filter((e) => e.orderId === 'o-v2-2')).toEqual([]);
  });
});

describe('verify-notify-refund (API v2)', () => {
  it('decrypts the refund notification and answers its params once, then as a redelivery', async () => {
    const body = buildRefundNotifyXml(
      { out_trade_no: 'o-r-1', refund_id: '50000408942024010100000000201', out_refund_no: 'r-1', total_fee: 101, refund_fee: 101 },
      KEY,
      { appid: APP2, mch_id: MCH2 },
    );
    const first = await verify('/verify-notify-refund?app=app', body);
    expect(first.json).toMatchObject({
      code: 200,
      params: { order_id: 'o-r-1', refund_id: 'r-1', refund_status: 'SUCCESS' },
      redelivery: false,
    });
    expect((await verify('/verify-notify-refund?app=app', body)).json).toMatchObject({ code: 200, redelivery: true });
    const garbled = await verify('/verify-notify-refund?app=app', body.replace(/<req_info>.{8}/, '<req_info>AAAAAAAA'));
    expect(garbled.json).toMatchObject({ code: 406, params: null });
    expect(garbled.json['msgForWxpay']).toContain('FAIL');
  });
});

describe('verify-notify-pay (API v3, the app passes WeChat’s headers along)', () => {
  const notification = (signerKey = wechatpayPrivateKey) =>
    buildV3Notification({
      resource: buildV3Transaction({
        appid: APP3,
        mchid: MCH3,
        out_trade_no: 'o-v3-1',
        transaction_id: '4200000003',
        amount: { total: 300, payer_total: 300, currency: 'CNY', payer_currency: 'CNY' },
      }),
      apiV3Key: V3_KEY,
      signer: { privateKey: signerKey, serial: PUB_KEY_ID, timestamp: Math.floor(Date.now() / 1000) },
    });

  it('verifies with the headers, answers the params and a v3 SUCCESS; a replay is a redelivery', async () => {
    const n = notification();
    const first = await verify('/verify-notify-pay?app=app3', n.body, n.headers);
    expect(first.json).toMatchObject({ code: 200, params: { order_id: 'o-v3-1', total_fee: 300, mch_id: MCH3 }, redelivery: false });
    expect(JSON.parse(first.json['msgForWxpay'])).toMatchObject({ code: 'SUCCESS' });
    expect((await verify('/verify-notify-pay?app=app3', n.body, n.headers)).json).toMatchObject({ code: 200, redelivery: true });
    expect(paid.filter((e) => e.orderId === 'o-v3-1')).toHaveLength(1);
  });

  it('answers 406 for a v3 notification signed by another key or without its headers', async () => {
    const forged = notification(
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    );
    const out = await verify('/verify-notify-pay?app=app3', forged.body, forged.headers);
    expect(out.json).toMatchObject({ code: 406, params: null });
    expect(JSON.parse(out.json['msgForWxpay'])).toMatchObject({ code: 'FAIL' });
    expect(out.json['statusForWxpay']).toBeGreaterThanOrEqual(400);
    expect((await verify('/verify-notify-pay?app=app3', notification().body)).json).toMatchObject({ code: 406 });
  });
});
