import { constants, createHash, createPrivateKey, createPublicKey, privateDecrypt, verify as cryptoVerify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../../../test/helpers/external-tools.js';
import { resolveConfig } from '../../config/resolve-config.js';
import type { ResolvedConfig, ResolvedMerchant, ResolvedV3Keys } from '../../config/types.js';
import { BillIntegrityError, SignatureError, TransportError, ValidationError, WxPayError } from '../../errors.js';
import {
  buildCertificatesReply,
  buildV3Notification,
  buildV3Transaction,
  generateTestPlatformCertificate,
  generateTestRsaKeyPair,
  signV3Headers,
  type TestPlatformCertificate,
} from '../../testing/v3-fixtures.js';
import { createWxPayClient } from '../client.js';
import type { UnifiedOrderInput, WxPayClient } from '../types.js';

const APP_ID = 'wxd678efh567hg6787';
const MCH_ID = '1230000109';
const SERIAL = '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB';
const API_V3_KEY = '0123456789abcdef0123456789abcdef';
const PUB_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000';
const NOW = 1_700_000_000_000;
const merchantKeys = generateTestRsaKeyPair();
const wechatKeys = generateTestRsaKeyPair();

interface Seen {
  method: string;
  url: string;
  body: string;
  authorization: string | undefined;
  /** The request's `Wechatpay-Serial` header. */
  serial: string | undefined;
  signatureOk: boolean;
}

type Reply = {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  tamper?: boolean;
  signer?: { privateKey: string; serial: string };
};

/** A fake WeChat Pay v3: checks the Authorization header with node:crypto, signs its replies. */
let server: Server;
let baseUrl: string;
const seen: Seen[] = [];
const routes = new Map<string, (req: Seen) => Reply>();
let platform: TestPlatformCertificate;

function checkAuthorization(method: string, url: string, body: string, header: string | undefined): boolean {
  const m = /^WECHATPAY2-SHA256-RSA2048 (.*)$/.exec(header ?? '');
  if (!m) return false;
  const parts = Object.fromEntries([...m[1]!.matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
  if (parts['mchid'] !== MCH_ID || parts['serial_no'] !== SERIAL) return false;
  const message = `${method}\n${url}\n${parts['timestamp']}\n${parts['nonce_str']}\n${body}\n`;
  return cryptoVerify('sha256', Buffer.from(message), merchantKeys.publicKey, Buffer.from(parts['signature'] ?? '', 'base64'));
}

async function read(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The platform certificate is made with openssl. */
const noOpenssl = skipWithout(import.meta.url, ['openssl']);

beforeAll(async () => {
  platform = await generateTestPlatformCertificate();
  server = createServer(async (req, res) => {
    const body = await read(req);
    const entry: Seen = {
      method: req.method ?? '',
      url: req.url ?? '',
      body,
      authorization: req.headers.authorization,
      serial: req.headers['wechatpay-serial'] as string | undefined,
      signatureOk: false,
    };
    entry.signatureOk = checkAuthorization(entry.method, entry.url, body, entry.authorization);
    seen.push(entry);
    const route = routes.get(`${entry.method} ${entry.url.replace(/\?.*$/, '')}`);
    let reply: Reply = route ? route(entry) : { status: 404, body: JSON.stringify({ code: 'RESOURCE_NOT_EXISTS', message: 'no route' }) };
    if (!entry.signatureOk) reply = { status: 401, body: JSON.stringify({ code: 'SIGN_ERROR', message: '签名错误' }) };
    const text = reply.body ?? '';
    const signer = reply.signer ?? { privateKey: wechatKeys.privateKey, serial: PUB_KEY_ID };
    const headers: Record<string, string> = {
      ...signV3Headers(text, { ...signer, timestamp: NOW / 1000 }),
      'request-id': 'req-1',
      ...reply.headers,
    };
    if (text !== '') headers['content-type'] = 'application/json';
    res.writeHead(reply.status, headers);
    res.end(reply.tamper ? text.replace('1', '2') : text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

const clients: WxPayClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  seen.length = 0;
  routes.clear();
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A resolved configuration with one v3 merchant `main` (and a v2 merchant `old`). */
function v3Config(keys: Partial<ResolvedV3Keys> = {}, merchant: Partial<ResolvedMerchant> = {}): ResolvedConfig {
  const base = resolveConfig({
    merchants: [
      { name: 'main', mchId: MCH_ID, apiKey: 'a'.repeat(32), baseUrl },
      { name: 'old', mchId: '10000100', apiKey: 'b'.repeat(32), baseUrl },
    ],
    apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
    notifyPayUrl: 'https://pay.example.com/notify-pay',
    notifyRefundUrl: 'https://pay.example.com/notify-refund',
    now: () => NOW,
    nonce: () => 'NONCE0123456789',
    client: { retries: 2, retryDelayMs: 0 },
  });
  const v3: ResolvedV3Keys = {
    privateKey: createPrivateKey(merchantKeys.privateKey),
    certSerialNo: SERIAL,
    apiV3Key: API_V3_KEY,
    publicKeyId: PUB_KEY_ID,
    publicKey: createPublicKey(wechatKeys.publicKey),
    platformCertificates: false,
    ...keys,
  };
  const main: ResolvedMerchant = { ...base.merchants[0]!, apiVersion: 'v3', v3, ...merchant };
  const merchants = [main, base.merchants[1]!];
  return { ...base, merchants, merchant: (name) => merchants.find((m) => m.name === name), merchantOfApp: () => main };
}

function makeClient(config = v3Config()): WxPayClient {
  const client = createWxPayClient(config, { sleep: async () => {} });
  clients.push(client);
  return client;
}

const order = (over: Partial<UnifiedOrderInput> = {}): UnifiedOrderInput => ({
  merchant: 'main',
  appId: APP_ID,
  tradeType: 'JSAPI',
  outTradeNo: 'T20240101000001',
  totalFee: 101,
  body: 'Image形象店-深圳腾大-QQ公仔',
  spbillCreateIp: '203.0.113.7',
  notifyUrl: 'https://pay.example.com/notify-pay/shop',
  openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
  ...over,
});

describe.skipIf(noOpenssl)('v3 client: orders', () => {
  it('JSAPI: signed JSON request, verified reply, RSA client params', async () => {
    routes.set('POST /v3/pay/transactions/jsapi', () => ({
      status: 200,
      body: JSON.stringify({ prepay_id: 'wx26112221580621e9b071c00d9e093b0000' }),
    }));
    const result = await makeClient().unifiedOrder(order({ attach: 'a&b', timeExpire: '20240101130000' }));
    const sent = seen[0]!;
    expect(sent.signatureOk).toBe(true);
    expect(JSON.parse(sent.body)).toEqual({
      appid: APP_ID,
      mchid: MCH_ID,
      description: 'Image形象店-深圳腾大-QQ公仔',
      out_trade_no: 'T20240101000001',
      notify_url: 'https://pay.example.com/notify-pay/shop',
      amount: { total: 101, currency: 'CNY' },
      scene_info: { payer_client_ip: '203.0.113.7' },
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
      time_expire: '2024-01-01T13:00:00+08:00',
      attach: 'a&b',
    });
    expect(result).toMatchObject({
      appId: APP_ID,
      mchId: MCH_ID,
      tradeType: 'JSAPI',
      prepayId: 'wx26112221580621e9b071c00d9e093b0000',
      signType: 'RSA',
    });
    if (result.clientParams.tradeType !== 'JSAPI') throw new Error('not JSAPI');
    const p = result.clientParams.jsapi;
    expect(p).toMatchObject({
      appId: APP_ID,
      timeStamp: String(NOW / 1000),
      nonceStr: 'NONCE0123456789',
      package: 'prepay_id=wx26112221580621e9b071c00d9e093b0000',
      signType: 'RSA',
    });
    const message = `${APP_ID}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`;
    expect(cryptoVerify('sha256', Buffer.from(message), merchantKeys.publicKey, Buffer.from(p.paySign, 'base64'))).toBe(true);
  });

  it('NATIVE, H5 and APP use their endpoints and map their replies', async () => {
    routes.set('POST /v3/pay/transactions/native', () => ({
      status: 200,
      body: JSON.stringify({ code_url: 'weixin://wxpay/bizpayurl?pr=p4lpSuKzz' }),
    }));
    routes.set('POST /v3/pay/transactions/h5', () => ({
      status: 200,
      body: JSON.stringify({ h5_url: 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=1' }),
    }));
    routes.set('POST /v3/pay/transactions/app', () => ({ status: 200, body: JSON.stringify({ prepay_id: 'wx2' }) }));
    const client = makeClient();
    const native = await client.unifiedOrder(order({ tradeType: 'NATIVE', openId: undefined, productId: 'P1' }));
    expect(native.clientParams).toEqual({ tradeType: 'NATIVE', codeUrl: 'weixin://wxpay/bizpayurl?pr=p4lpSuKzz' });
    expect(JSON.parse(seen[0]!.body)).not.toHaveProperty('payer');
    const h5 = await client.unifiedOrder(
      order({
        tradeType: 'MWEB',
        openId: undefined,
        sceneInfo: { h5_info: { type: 'Wap', wap_url: 'https://shop.example', wap_name: 'Shop' } },
        redirectUrl: 'https://shop.example/done',
      }),
    );
    expect(JSON.parse(seen[1]!.body).scene_info).toEqual({
      payer_client_ip: '203.0.113.7',
      h5_info: { type: 'Wap', app_name: 'Shop', app_url: 'https://shop.example' },
    });
    expect(h5.clientParams).toEqual({
      tradeType: 'MWEB',
      mwebUrl:
        'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=1&redirect_url=https%3A%2F%2Fshop.example%2Fdone',
    });
    const app = await client.unifiedOrder(order({ tradeType: 'APP', openId: undefined }));
    if (app.clientParams.tradeType !== 'APP') throw new Error('not APP');
    const a = app.clientParams.app;
    expect(a).toMatchObject({ appid: APP_ID, partnerid: MCH_ID, prepayid: 'wx2', package: 'Sign=WXPay' });
    expect(
      cryptoVerify(
        'sha256',
        Buffer.from(`${APP_ID}\n${a.timestamp}\n${a.noncestr}\nwx2\n`),
        merchantKeys.publicKey,
        Buffer.from(a.sign, 'base64'),
      ),
    ).toBe(true);
  });

  it('queries by out_trade_no and by transaction_id and maps to the v2 result shape', async () => {
    const tx = buildV3Transaction({
      out_trade_no: 'T1',
      transaction_id: '4200000001',
      success_time: '2024-01-01T12:00:00+08:00',
      amount: { total: 101, payer_total: 101, currency: 'CNY', payer_currency: 'CNY' },
    });
    routes.set('GET /v3/pay/transactions/out-trade-no/T1', () => ({ status: 200, body: JSON.stringify(tx) }));
    routes.set('GET /v3/pay/transactions/id/4200000001', () => ({ status: 200, body: JSON.stringify(tx) }));
    const client = makeClient();
    const byNo = await client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' });
    expect(seen[0]!.url).toBe('/v3/pay/transactions/out-trade-no/T1?mchid=1230000109');
    expect(byNo).toMatchObject({
      tradeState: 'SUCCESS',
      outTradeNo: 'T1',
      transactionId: '4200000001',
      totalFee: 101,
      cashFee: 101,
      timeEnd: '20240101120000',
      openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    });
    expect(byNo.raw['success_time']).toBe('2024-01-01T12:00:00+08:00');
    await client.queryOrder({ merchant: 'main', appId: APP_ID, transactionId: '4200000001' });
    expect(seen[1]!.url).toBe('/v3/pay/transactions/id/4200000001?mchid=1230000109');
  });

  it('an unpaid order maps without payment fields', async () => {
    routes.set('GET /v3/pay/transactions/out-trade-no/T2', () => ({
      status: 200,
      body: JSON.stringify({
        appid: APP_ID,
        mchid: MCH_ID,
        out_trade_no: 'T2',
        trade_state: 'NOTPAY',
        trade_state_desc: '订单未支付',
        amount: { payer_currency: 'CNY', total: 5 },
      }),
    }));
    expect(await makeClient().queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T2' })).toMatchObject({
      tradeState: 'NOTPAY',
      transactionId: undefined,
      totalFee: 5,
    });
  });

  it('close answers 204, and an already closed order counts as closed', async () => {
    routes.set('POST /v3/pay/transactions/out-trade-no/T1/close', () => ({ status: 204 }));
    routes.set('POST /v3/pay/transactions/out-trade-no/T9/close', () => ({
      status: 400,
      body: JSON.stringify({ code: 'ORDER_CLOSED', message: '订单已关闭' }),
    }));
    const client = makeClient();
    await client.closeOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ mchid: MCH_ID });
    await expect(client.closeOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T9' })).resolves.toBeUndefined();
  });
});

describe.skipIf(noOpenssl)('v3 client: service-provider mode', () => {
  it('uses the partner endpoints with sp_/sub_ identities', async () => {
    routes.set('POST /v3/pay/partner/transactions/jsapi', () => ({ status: 200, body: JSON.stringify({ prepay_id: 'wx9' }) }));
    routes.set('GET /v3/pay/partner/transactions/out-trade-no/T1', () => ({
      status: 200,
      body: JSON.stringify(
        buildV3Transaction({
          appid: undefined,
          mchid: undefined,
          sp_appid: APP_ID,
          sp_mchid: MCH_ID,
          sub_appid: 'wxsub',
          sub_mchid: '1900000109',
          out_trade_no: 'T1',
          payer: { sp_openid: 'o1', sub_openid: 'o2' },
        }),
      ),
    }));
    routes.set('POST /v3/pay/partner/transactions/out-trade-no/T1/close', () => ({ status: 204 }));
    const client = makeClient(v3Config({}, { subMchId: '1900000109', subAppId: 'wxsub' }));
    const result = await client.unifiedOrder(order({ openId: undefined, subOpenId: 'o2' }));
    expect(JSON.parse(seen[0]!.body)).toMatchObject({
      sp_appid: APP_ID,
      sp_mchid: MCH_ID,
      sub_mchid: '1900000109',
      sub_appid: 'wxsub',
      payer: { sub_openid: 'o2' },
    });
    if (result.clientParams.tradeType !== 'JSAPI') throw new Error('not JSAPI');
    expect(result.clientParams.jsapi.appId).toBe('wxsub');
    const queried = await client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' });
    expect(seen[1]!.url).toBe('/v3/pay/partner/transactions/out-trade-no/T1?sp_mchid=1230000109&sub_mchid=1900000109');
    expect(queried).toMatchObject({
      appId: APP_ID,
      mchId: MCH_ID,
      subAppId: 'wxsub',
      subMchId: '1900000109',
      openId: 'o1',
      subOpenId: 'o2',
    });
    await client.closeOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' });
    expect(JSON.parse(seen[2]!.body)).toEqual({ sp_mchid: MCH_ID, sub_mchid: '1900000109' });
  });
});

describe.skipIf(noOpenssl)('v3 client: refunds', () => {
  const refundReply = {
    refund_id: '50000000382019052709732678859',
    out_refund_no: 'R1',
    transaction_id: '4200000001',
    out_trade_no: 'T1',
    channel: 'ORIGINAL',
    user_received_account: '招商银行信用卡0403',
    create_time: '2024-01-01T12:00:00+08:00',
    status: 'PROCESSING',
    funds_account: 'UNSETTLED',
    amount: {
      total: 100,
      refund: 40,
      payer_total: 100,
      payer_refund: 40,
      settlement_refund: 40,
      settlement_total: 100,
      discount_refund: 0,
      currency: 'CNY',
    },
  };

  it('refund: JSON body without mutual TLS, v2-shaped result', async () => {
    routes.set('POST /v3/refund/domestic/refunds', () => ({ status: 200, body: JSON.stringify(refundReply) }));
    const result = await makeClient().refund({
      merchant: 'main',
      appId: APP_ID,
      outTradeNo: 'T1',
      outRefundNo: 'R1',
      totalFee: 100,
      refundFee: 40,
      refundDesc: '商品已售完',
      notifyUrl: 'https://pay.example.com/notify-refund/shop',
    });
    expect(JSON.parse(seen[0]!.body)).toEqual({
      out_trade_no: 'T1',
      out_refund_no: 'R1',
      amount: { refund: 40, total: 100, currency: 'CNY' },
      reason: '商品已售完',
      notify_url: 'https://pay.example.com/notify-refund/shop',
    });
    expect(result).toMatchObject({
      appId: APP_ID,
      mchId: MCH_ID,
      refundId: '50000000382019052709732678859',
      outRefundNo: 'R1',
      refundFee: 40,
      totalFee: 100,
      cashRefundFee: 40,
    });
  });

  it('refund query by out_refund_no maps the status to v2 names', async () => {
    routes.set('GET /v3/refund/domestic/refunds/R1', () => ({
      status: 200,
      body: JSON.stringify({ ...refundReply, status: 'SUCCESS', success_time: '2024-01-01T12:00:05+08:00' }),
    }));
    const result = await makeClient().queryRefund({ merchant: 'main', appId: APP_ID, outRefundNo: 'R1' });
    expect(result.refunds).toEqual([
      expect.objectContaining({
        outRefundNo: 'R1',
        refundStatus: 'SUCCESS',
        refundFee: 40,
        refundSuccessTime: '2024-01-01 12:00:05',
        refundRecvAccount: '招商银行信用卡0403',
      }),
    ]);
    await expect(makeClient().queryRefund({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('a refund is retried on SYSTEM_ERROR with identical parameters', async () => {
    let calls = 0;
    routes.set('POST /v3/refund/domestic/refunds', () =>
      ++calls === 1
        ? { status: 500, body: JSON.stringify({ code: 'SYSTEM_ERROR', message: '系统繁忙,请稍后重试' }) }
        : { status: 200, body: JSON.stringify(refundReply) },
    );
    await makeClient().refund({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1', outRefundNo: 'R1', totalFee: 100, refundFee: 40 });
    expect(seen).toHaveLength(2);
    expect(seen[1]!.body).toBe(seen[0]!.body);
  });
});

describe.skipIf(noOpenssl)('v3 client: errors and reply verification', () => {
  it('a v3 error body becomes WxPayError with the v3 code', async () => {
    routes.set('POST /v3/pay/transactions/jsapi', () => ({
      status: 400,
      body: JSON.stringify({ code: 'PARAM_ERROR', message: '参数错误', detail: { field: '/amount/total', location: 'body' } }),
    }));
    const error = await makeClient()
      .unifiedOrder(order())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WxPayError);
    expect(error).toMatchObject({ errCode: 'PARAM_ERROR', retryable: false });
    expect((error as WxPayError).errCodeDes).toContain('/amount/total');
  });

  it('orders are never retried; SYSTEM_ERROR is marked retryable', async () => {
    routes.set('POST /v3/pay/transactions/jsapi', () => ({
      status: 500,
      body: JSON.stringify({ code: 'SYSTEM_ERROR', message: '系统繁忙' }),
    }));
    await expect(makeClient().unifiedOrder(order())).rejects.toMatchObject({ errCode: 'SYSTEM_ERROR', retryable: true });
    expect(seen).toHaveLength(1);
  });

  it('a non-JSON error is a TransportError with the status', async () => {
    routes.set('POST /v3/pay/transactions/jsapi', () => ({ status: 502, body: 'Bad Gateway' }));
    await expect(makeClient().unifiedOrder(order())).rejects.toMatchObject({ constructor: TransportError, statusCode: 502 });
  });

  it('a tampered reply, an unknown serial and a probe signature are refused', async () => {
    const client = makeClient();
    routes.set('POST /v3/pay/transactions/jsapi', () => ({ status: 200, body: JSON.stringify({ prepay_id: 'wx1' }), tamper: true }));
    await expect(client.unifiedOrder(order())).rejects.toMatchObject({ constructor: SignatureError, reason: 'mismatch' });
    routes.set('POST /v3/pay/transactions/jsapi', () => ({
      status: 200,
      body: JSON.stringify({ prepay_id: 'wx1' }),
      signer: { privateKey: wechatKeys.privateKey, serial: 'PUB_KEY_ID_OTHER' },
    }));
    await expect(client.unifiedOrder(order())).rejects.toMatchObject({ constructor: SignatureError, reason: 'unknown-key' });
    routes.set('POST /v3/pay/transactions/jsapi', () => ({
      status: 200,
      body: JSON.stringify({ prepay_id: 'wx1' }),
      headers: { 'wechatpay-signature': 'WECHATPAY/SIGNTEST/abc' },
    }));
    await expect(client.unifiedOrder(order())).rejects.toBeInstanceOf(SignatureError);
  });

  it('v2 merchants still go to the v2 client', async () => {
    routes.set('POST /pay/orderquery', () => ({ status: 500 }));
    await expect(makeClient().queryOrder({ merchant: 'old', appId: APP_ID, outTradeNo: 'T1' })).rejects.toBeInstanceOf(TransportError);
    expect(seen[0]!.url).toBe('/pay/orderquery');
  });
});

describe.skipIf(noOpenssl)('v3 client: trade bill', () => {
  const bill = '\uFEFF交易时间,公众账号ID,商户号\n`2024-01-01 12:00:00,`wxd678efh567hg6787,`1230000109\n';
  const sha1 = createHash('sha1').update(bill).digest('hex').toUpperCase();

  it('asks for the bill, downloads it with a signed GET and checks its hash', async () => {
    routes.set('GET /v3/bill/tradebill', () => ({
      status: 200,
      body: JSON.stringify({ hash_type: 'SHA1', hash_value: sha1, download_url: `${baseUrl}/v3/billdownload/file?token=T1` }),
    }));
    routes.set('GET /v3/billdownload/file', () => ({ status: 200, body: bill }));
    const text = await makeClient().downloadBill({ merchant: 'main', appId: APP_ID, billDate: '20240101' });
    expect(seen.map((r) => [r.url, r.signatureOk])).toEqual([
      ['/v3/bill/tradebill?bill_date=2024-01-01&bill_type=ALL', true],
      ['/v3/billdownload/file?token=T1', true],
    ]);
    expect(text).toBe(bill.slice(1));
  });

  it('refuses a bill that does not match its hash, and a download URL on another origin', async () => {
    routes.set('GET /v3/bill/tradebill', () => ({
      status: 200,
      body: JSON.stringify({ hash_type: 'SHA1', hash_value: sha1, download_url: `${baseUrl}/v3/billdownload/file?token=T1` }),
    }));
    routes.set('GET /v3/billdownload/file', () => ({ status: 200, body: `${bill}x` }));
    await expect(makeClient().downloadBill({ merchant: 'main', appId: APP_ID, billDate: '20240101' })).rejects.toMatchObject({
      constructor: BillIntegrityError,
      code: 'WXPAY_ERR_BILL_INTEGRITY',
      expected: sha1.toLowerCase(),
    });
    routes.set('GET /v3/bill/tradebill', () => ({
      status: 200,
      body: JSON.stringify({ hash_type: 'SHA1', hash_value: sha1, download_url: 'https://evil.example/v3/billdownload/file' }),
    }));
    await expect(makeClient().downloadBill({ merchant: 'main', appId: APP_ID, billDate: '20240101' })).rejects.toThrow(/origin/);
  });
});

describe.skipIf(noOpenssl)('v3 client: fund-flow bill', () => {
  const bill = '记账时间,微信支付业务单号\n`2024-01-01 12:00:00,`4200000001\n资金流水总笔数\n`1\n';
  const sha1 = createHash('sha1').update(bill).digest('hex');

  it('asks for the account and day, then downloads and checks the file', async () => {
    routes.set('GET /v3/bill/fundflowbill', () => ({
      status: 200,
      body: JSON.stringify({ hash_type: 'SHA1', hash_value: sha1, download_url: `${baseUrl}/v3/billdownload/file?token=F1` }),
    }));
    routes.set('GET /v3/billdownload/file', () => ({ status: 200, body: bill }));
    const text = await makeClient().downloadFundFlowBill({ merchant: 'main', appId: APP_ID, billDate: '20240101', accountType: 'FEES' });
    expect(seen.map((r) => [r.url, r.signatureOk])).toEqual([
      ['/v3/bill/fundflowbill?bill_date=2024-01-01&account_type=FEES', true],
      ['/v3/billdownload/file?token=F1', true],
    ]);
    expect(text).toBe(bill);
    await expect(
      makeClient().downloadFundFlowBill({ merchant: 'main', appId: APP_ID, billDate: '20240101', accountType: 'X' as never }),
    ).rejects.toMatchObject({ constructor: ValidationError, field: 'accountType' });
  });
});

describe.skipIf(noOpenssl)('v3 client: platform certificates (legacy mode)', () => {
  it('downloads the certificates, verifies replies signed with them, and picks up a rotated one', async () => {
    const next = await generateTestPlatformCertificate();
    let listed = [platform];
    let certificateCalls = 0;
    routes.set('GET /v3/certificates', () => {
      certificateCalls++;
      return {
        status: 200,
        body: buildCertificatesReply(
          listed.map((c) => ({
            serialNo: c.serialNo,
            certificate: c.certificate,
            effectiveTime: NOW - 86_400_000,
            expireTime: NOW + 365 * 86_400_000,
          })),
          API_V3_KEY,
        ),
        signer: { privateKey: listed[0]!.privateKey, serial: listed[0]!.serialNo },
      };
    });
    let signer = platform;
    routes.set('GET /v3/pay/transactions/out-trade-no/T1', () => ({
      status: 200,
      body: JSON.stringify(buildV3Transaction({ out_trade_no: 'T1' })),
      signer: { privateKey: signer.privateKey, serial: signer.serialNo },
    }));
    const client = makeClient(v3Config({ publicKey: undefined, publicKeyId: undefined, platformCertificates: true }));
    await client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' });
    expect(certificateCalls).toBe(1);
    expect(seen.find((r) => r.url === '/v3/certificates')?.signatureOk).toBe(true);
    // WeChat rotates: the new certificate signs replies; the client downloads the list again.
    listed = [next, platform];
    signer = next;
    await client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' });
    expect(certificateCalls).toBe(2);
    // Notifications signed with either certificate verify.
    for (const cert of [platform, next]) {
      const n = buildV3Notification({
        resource: buildV3Transaction(),
        apiV3Key: API_V3_KEY,
        signer: { privateKey: cert.privateKey, serial: cert.serialNo, timestamp: NOW / 1000 },
      });
      await expect(client.verifyV3Notification!('main', n.headers, Buffer.from(n.body))).resolves.toMatchObject({
        eventType: 'TRANSACTION.SUCCESS',
      });
    }
  });

  it('during a migration both the public key and platform certificates verify', async () => {
    routes.set('GET /v3/certificates', () => ({
      status: 200,
      body: buildCertificatesReply(
        [{ serialNo: platform.serialNo, certificate: platform.certificate, effectiveTime: NOW - 1, expireTime: NOW + 86_400_000 * 30 }],
        API_V3_KEY,
      ),
    }));
    const client = makeClient(v3Config({ platformCertificates: true }));
    for (const signer of [
      { privateKey: wechatKeys.privateKey, serial: PUB_KEY_ID },
      { privateKey: platform.privateKey, serial: platform.serialNo },
    ]) {
      const n = buildV3Notification({ resource: buildV3Transaction(), apiV3Key: API_V3_KEY, signer: { ...signer, timestamp: NOW / 1000 } });
      await expect(client.verifyV3Notification!('main', n.headers, Buffer.from(n.body))).resolves.toBeDefined();
    }
    const stranger = generateTestRsaKeyPair();
    const bad = buildV3Notification({
      resource: buildV3Transaction(),
      apiV3Key: API_V3_KEY,
      signer: { privateKey: stranger.privateKey, serial: PUB_KEY_ID, timestamp: NOW / 1000 },
    });
    await expect(client.verifyV3Notification!('main', bad.headers, Buffer.from(bad.body))).rejects.toMatchObject({ reason: 'mismatch' });
  });
});

describe.skipIf(noOpenssl)('v3 client: transfer bills', () => {
  const BILLS = '/v3/fund-app/mch-transfer/transfer-bills';
  const transfer = (over: Record<string, unknown> = {}) => ({
    merchant: 'main',
    appId: APP_ID,
    outBillNo: 'plfk2020042013',
    transferSceneId: '1000',
    openId: 'o-MYE42l80oelYMDE34nYD456Xoy',
    transferAmount: 400_000,
    transferRemark: '新会员开通有礼',
    userName: '张三',
    sceneReportInfos: [
      { infoType: '活动名称', infoContent: '新会员有礼' },
      { infoType: '奖励说明', infoContent: '注册会员抽奖一等奖' },
    ],
    ...over,
  });
  /** Decrypts with node:crypto alone: RSA-OAEP, SHA-1, MGF1-SHA-1, as WeChat documents it. */
  const oaepSha1Decrypt = (ciphertext: string, privateKey: string): string =>
    privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      Buffer.from(ciphertext, 'base64'),
    ).toString('utf8');
  const created = {
    out_bill_no: 'plfk2020042013',
    transfer_bill_no: '1330000071100999991182020050700019480001',
    create_time: '2015-05-20T13:29:35.120+08:00',
    state: 'WAIT_USER_CONFIRM',
    package_info: 'ABBQO+oYAAABAAAAAAAAAAAAAAAAAAAAAA==',
  };

  it('create: user_name encrypted with the WeChat Pay public key, named in Wechatpay-Serial; confirm params returned', async () => {
    routes.set(`POST ${BILLS}`, () => ({ status: 200, body: JSON.stringify(created) }));
    const result = await makeClient().createTransfer(transfer());
    const sent = seen[0]!;
    expect(sent.signatureOk).toBe(true);
    expect(sent.serial).toBe(PUB_KEY_ID);
    const body = JSON.parse(sent.body) as Record<string, unknown>;
    expect(body).toEqual({
      appid: APP_ID,
      out_bill_no: 'plfk2020042013',
      transfer_scene_id: '1000',
      openid: 'o-MYE42l80oelYMDE34nYD456Xoy',
      transfer_amount: 400_000,
      transfer_remark: '新会员开通有礼',
      user_name: expect.any(String),
      transfer_scene_report_infos: [
        { info_type: '活动名称', info_content: '新会员有礼' },
        { info_type: '奖励说明', info_content: '注册会员抽奖一等奖' },
      ],
    });
    expect(body['user_name']).toHaveLength(344);
    expect(oaepSha1Decrypt(body['user_name'] as string, wechatKeys.privateKey)).toBe('张三');
    expect(result).toMatchObject({
      mchId: MCH_ID,
      appId: APP_ID,
      outBillNo: 'plfk2020042013',
      transferBillNo: '1330000071100999991182020050700019480001',
      state: 'WAIT_USER_CONFIRM',
      packageInfo: created.package_info,
      confirmParams: { mchId: MCH_ID, appId: APP_ID, package: created.package_info },
    });
  });

  it('create without user_name sends no Wechatpay-Serial; in certificate mode the newest platform certificate encrypts', async () => {
    routes.set(`POST ${BILLS}`, () => ({ status: 200, body: JSON.stringify(created) }));
    await makeClient().createTransfer(transfer({ transferAmount: 100, userName: undefined }));
    expect(seen[0]!.serial).toBeUndefined();
    expect(JSON.parse(seen[0]!.body)).not.toHaveProperty('user_name');
    seen.length = 0;
    routes.set('GET /v3/certificates', () => ({
      status: 200,
      body: buildCertificatesReply(
        [{ serialNo: platform.serialNo, certificate: platform.certificate, effectiveTime: NOW - 1, expireTime: NOW + 86_400_000 * 30 }],
        API_V3_KEY,
      ),
      signer: { privateKey: platform.privateKey, serial: platform.serialNo },
    }));
    routes.set(`POST ${BILLS}`, () => ({
      status: 200,
      body: JSON.stringify(created),
      signer: { privateKey: platform.privateKey, serial: platform.serialNo },
    }));
    const client = makeClient(v3Config({ publicKey: undefined, publicKeyId: undefined, platformCertificates: true }));
    await client.createTransfer(transfer());
    const sent = seen.find((r) => r.url === BILLS)!;
    expect(sent.serial).toBe(platform.serialNo);
    expect(oaepSha1Decrypt(JSON.parse(sent.body).user_name, platform.privateKey)).toBe('张三');
  });

  it.each([
    ['transferAmount', { transferAmount: 0 }],
    ['transferAmount', { transferAmount: 1.5 }],
    ['transferAmount', { transferAmount: '100' }],
    ['outBillNo', { outBillNo: 'bill_1' }],
    ['transferSceneId', { transferSceneId: '' }],
    ['openId', { openId: 'o 1' }],
    ['transferRemark', { transferRemark: 'x'.repeat(33) }],
    ['userName', { userName: undefined, transferAmount: 200_000 }],
    ['sceneReportInfos', { sceneReportInfos: [] }],
    ['sceneReportInfos[0].infoType', { sceneReportInfos: [{ infoType: '', infoContent: 'x' }] }],
  ])('refuses a bad %s before anything is sent', async (field, over) => {
    const error = await makeClient()
      .createTransfer(transfer(over) as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect(seen).toHaveLength(0);
  });

  it('accepts 199,999 fen without a name (the real-name rule starts at 200,000)', async () => {
    routes.set(`POST ${BILLS}`, () => ({ status: 200, body: JSON.stringify(created) }));
    await expect(makeClient().createTransfer(transfer({ transferAmount: 199_999, userName: undefined }))).resolves.toBeDefined();
  });

  it("WeChat's business errors are WxPayError with the code; SYSTEM_ERROR repeats the same bill", async () => {
    routes.set(`POST ${BILLS}`, () => ({
      status: 403,
      body: JSON.stringify({ code: 'NOT_ENOUGH', message: '商户运营账户资金不足,充值后可以原单号发起重试,请勿更换商户单号' }),
    }));
    const error = await makeClient()
      .createTransfer(transfer())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WxPayError);
    expect((error as WxPayError).errCode).toBe('NOT_ENOUGH');
    expect(seen).toHaveLength(1);
    seen.length = 0;
    let calls = 0;
    routes.set(`POST ${BILLS}`, () =>
      ++calls === 1
        ? { status: 500, body: JSON.stringify({ code: 'SYSTEM_ERROR', message: '系统繁忙' }) }
        : { status: 200, body: JSON.stringify(created) },
    );
    await expect(makeClient().createTransfer(transfer())).resolves.toMatchObject({ state: 'WAIT_USER_CONFIRM' });
    expect(seen.map((r) => JSON.parse(r.body).out_bill_no)).toEqual(['plfk2020042013', 'plfk2020042013']);
  });

  it('queries by out_bill_no or transfer_bill_no and cancels with an empty body', async () => {
    const bill = {
      mch_id: MCH_ID,
      out_bill_no: 'plfk2020042013',
      transfer_bill_no: '1330000071100999991182020050700019480001',
      appid: APP_ID,
      state: 'SUCCESS',
      transfer_amount: 400_000,
      transfer_remark: '新会员开通有礼',
      openid: 'o-MYE42l80oelYMDE34nYD456Xoy',
      create_time: '2015-05-20T13:29:35.120+08:00',
      update_time: '2015-05-20T13:29:35.120+08:00',
    };
    routes.set(`GET ${BILLS}/out-bill-no/plfk2020042013`, () => ({ status: 200, body: JSON.stringify(bill) }));
    routes.set(`GET ${BILLS}/transfer-bill-no/1330000071100999991182020050700019480001`, () => ({
      status: 200,
      body: JSON.stringify(bill),
    }));
    routes.set(`POST ${BILLS}/out-bill-no/plfk2020042013/cancel`, () => ({
      status: 200,
      body: JSON.stringify({
        out_bill_no: bill.out_bill_no,
        transfer_bill_no: bill.transfer_bill_no,
        state: 'CANCELING',
        update_time: bill.update_time,
      }),
    }));
    const client = makeClient();
    const byOut = await client.queryTransfer({ merchant: 'main', appId: APP_ID, outBillNo: 'plfk2020042013' });
    const byWx = await client.queryTransfer({ merchant: 'main', appId: APP_ID, transferBillNo: bill.transfer_bill_no });
    for (const r of [byOut, byWx])
      expect(r).toMatchObject({ state: 'SUCCESS', transferAmount: 400_000, mchId: MCH_ID, openId: bill.openid });
    const cancelled = await client.cancelTransfer({ merchant: 'main', appId: APP_ID, outBillNo: 'plfk2020042013' });
    expect(cancelled.state).toBe('CANCELING');
    const cancel = seen.find((r) => r.url.endsWith('/cancel'))!;
    expect(cancel.body).toBe('');
    expect(cancel.signatureOk).toBe(true);
    expect(cancel.serial).toBeUndefined();
    await expect(client.queryTransfer({ merchant: 'main', appId: APP_ID })).rejects.toMatchObject({ field: 'outBillNo' });
  });

  it('an API v2 merchant is told transfer bills are API v3', async () => {
    await expect(makeClient().createTransfer(transfer({ merchant: 'old' }))).rejects.toMatchObject({
      code: 'WXPAY_ERR_VALIDATION',
      field: 'merchant',
    });
    expect(seen).toHaveLength(0);
  });
});

describe.skipIf(noOpenssl)('v3 client: transfer batches', () => {
  const BATCHES = '/v3/transfer/batches';
  const batch = (over: Record<string, unknown> = {}) => ({
    merchant: 'main',
    appId: APP_ID,
    outBatchNo: 'plfk2020042013',
    batchName: '2019年1月深圳分部报销单',
    batchRemark: '2019年1月深圳分部报销单',
    details: [
      {
        outDetailNo: 'x23zy545Bd5436',
        transferAmount: 200_000,
        transferRemark: '2020年4月报销',
        openId: 'o-MYE42l80oelYMDE34nYD456Xoy',
        userName: '张三',
      },
      {
        outDetailNo: 'x23zy545Bd5437',
        transferAmount: 300,
        transferRemark: '2020年4月报销',
        openId: 'o-MYE42l80oelYMDE34nYD456Xoz',
        userName: '李四',
      },
    ],
    ...over,
  });
  const oaepSha1Decrypt = (ciphertext: string, privateKey: string): string =>
    privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      Buffer.from(ciphertext, 'base64'),
    ).toString('utf8');
  const created = {
    out_batch_no: 'plfk2020042013',
    batch_id: '1030000071100999991182020050700019480001',
    create_time: '2015-05-20T13:29:35.120+08:00',
    batch_status: 'ACCEPTED',
  };

  it('create: totals computed, every user_name encrypted with the WeChat Pay public key (checked with node:crypto), Wechatpay-Serial sent', async () => {
    routes.set(`POST ${BATCHES}`, () => ({ status: 200, body: JSON.stringify(created) }));
    const result = await makeClient().createTransferBatch(batch({ transferSceneId: '1000', notifyUrl: 'https://pay.example.com/batches' }));
    const sent = seen[0]!;
    expect(sent.signatureOk).toBe(true);
    expect(sent.serial).toBe(PUB_KEY_ID);
    const body = JSON.parse(sent.body) as { transfer_detail_list: Record<string, unknown>[] } & Record<string, unknown>;
    expect(body).toEqual({
      appid: APP_ID,
      out_batch_no: 'plfk2020042013',
      batch_name: '2019年1月深圳分部报销单',
      batch_remark: '2019年1月深圳分部报销单',
      total_amount: 200_300,
      total_num: 2,
      transfer_detail_list: [
        {
          out_detail_no: 'x23zy545Bd5436',
          transfer_amount: 200_000,
          transfer_remark: '2020年4月报销',
          openid: 'o-MYE42l80oelYMDE34nYD456Xoy',
          user_name: expect.any(String),
        },
        {
          out_detail_no: 'x23zy545Bd5437',
          transfer_amount: 300,
          transfer_remark: '2020年4月报销',
          openid: 'o-MYE42l80oelYMDE34nYD456Xoz',
          user_name: expect.any(String),
        },
      ],
      transfer_scene_id: '1000',
      notify_url: 'https://pay.example.com/batches',
    });
    expect(body.transfer_detail_list.map((d) => oaepSha1Decrypt(d['user_name'] as string, wechatKeys.privateKey))).toEqual([
      '张三',
      '李四',
    ]);
    expect(result).toMatchObject({
      outBatchNo: 'plfk2020042013',
      batchId: created.batch_id,
      batchStatus: 'ACCEPTED',
      createTime: created.create_time,
    });
  });

  it('create without names sends no Wechatpay-Serial and no user_name', async () => {
    routes.set(`POST ${BATCHES}`, () => ({ status: 200, body: JSON.stringify(created) }));
    const details = batch().details.map((d) => ({ ...d, transferAmount: 100, userName: undefined }));
    await makeClient().createTransferBatch(batch({ details }));
    expect(seen[0]!.serial).toBeUndefined();
    expect(JSON.parse(seen[0]!.body).transfer_detail_list[0]).not.toHaveProperty('user_name');
  });

  const detail = batch().details[0]!;
  it.each([
    ['outBatchNo', { outBatchNo: 'batch_1' }],
    ['batchName', { batchName: 'x'.repeat(33) }],
    ['details', { details: [] }],
    [
      'details',
      { details: Array.from({ length: 1001 }, (_, n) => ({ ...detail, outDetailNo: `d${n}`, transferAmount: 100, userName: undefined })) },
    ],
    ['details[0].transferAmount', { details: [{ ...detail, transferAmount: 1.5 }] }],
    ['details[0].transferAmount', { details: [{ ...detail, transferAmount: 0 }] }],
    ['details[0].openId', { details: [{ ...detail, openId: 'o 1' }] }],
    ['details[0].userName', { details: [{ ...detail, userName: undefined }] }],
    ['details[0].userName', { details: [{ ...detail, transferAmount: 29 }] }],
    ['details[1].outDetailNo', { details: [detail, { ...detail }] }],
    [
      'details',
      {
        details: [
          { ...detail, transferAmount: 100 },
          { ...detail, outDetailNo: 'other1', transferAmount: 100, userName: undefined },
        ],
      },
    ],
  ])('refuses a bad %s before anything is sent', async (field, over) => {
    const error = await makeClient()
      .createTransferBatch(batch(over) as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect(seen).toHaveLength(0);
  });

  it('SYSTEM_ERROR repeats the same batch number; NOT_ENOUGH is a WxPayError, not repeated', async () => {
    let calls = 0;
    routes.set(`POST ${BATCHES}`, () =>
      ++calls === 1
        ? { status: 500, body: JSON.stringify({ code: 'SYSTEM_ERROR', message: '系统繁忙' }) }
        : { status: 200, body: JSON.stringify(created) },
    );
    await expect(makeClient().createTransferBatch(batch())).resolves.toMatchObject({ batchId: created.batch_id });
    expect(seen.map((r) => JSON.parse(r.body).out_batch_no)).toEqual(['plfk2020042013', 'plfk2020042013']);
    seen.length = 0;
    routes.set(`POST ${BATCHES}`, () => ({ status: 403, body: JSON.stringify({ code: 'NOT_ENOUGH', message: '资金不足' }) }));
    await expect(makeClient().createTransferBatch(batch())).rejects.toMatchObject({ name: 'WxPayError', errCode: 'NOT_ENOUGH' });
    expect(seen).toHaveLength(1);
  });

  it('queries a batch (with a page of details) and a detail, by merchant numbers and by WeChat ids', async () => {
    const reply = {
      transfer_batch: {
        mchid: MCH_ID,
        out_batch_no: 'plfk2020042013',
        batch_id: created.batch_id,
        appid: APP_ID,
        batch_status: 'FINISHED',
        batch_type: 'API',
        batch_name: 'n',
        batch_remark: 'r',
        total_amount: 200_300,
        total_num: 2,
        success_amount: 200_000,
        success_num: 1,
        fail_amount: 300,
        fail_num: 1,
        create_time: created.create_time,
        update_time: created.create_time,
      },
      transfer_detail_list: [
        { detail_id: '1040000071100999991182020050700019500100', out_detail_no: 'x23zy545Bd5436', detail_status: 'SUCCESS' },
        { detail_id: '1040000071100999991182020050700019500101', out_detail_no: 'x23zy545Bd5437', detail_status: 'FAIL' },
      ],
    };
    const detailReply = {
      mchid: MCH_ID,
      out_batch_no: 'plfk2020042013',
      batch_id: created.batch_id,
      appid: APP_ID,
      out_detail_no: 'x23zy545Bd5437',
      detail_id: '1040000071100999991182020050700019500101',
      detail_status: 'FAIL',
      transfer_amount: 300,
      transfer_remark: '2020年4月报销',
      fail_reason: 'ACCOUNT_FROZEN',
      openid: 'o-MYE42l80oelYMDE34nYD456Xoz',
      initiate_time: created.create_time,
      update_time: created.create_time,
    };
    routes.set(`GET ${BATCHES}/out-batch-no/plfk2020042013`, () => ({ status: 200, body: JSON.stringify(reply) }));
    routes.set(`GET ${BATCHES}/batch-id/${created.batch_id}`, () => ({
      status: 200,
      body: JSON.stringify({ transfer_batch: reply.transfer_batch }),
    }));
    routes.set(`GET ${BATCHES}/out-batch-no/plfk2020042013/details/out-detail-no/x23zy545Bd5437`, () => ({
      status: 200,
      body: JSON.stringify(detailReply),
    }));
    routes.set(`GET ${BATCHES}/batch-id/${created.batch_id}/details/detail-id/${detailReply.detail_id}`, () => ({
      status: 200,
      body: JSON.stringify(detailReply),
    }));
    const client = makeClient();
    const target = { merchant: 'main', appId: APP_ID };
    const listed = await client.queryTransferBatch({
      ...target,
      outBatchNo: 'plfk2020042013',
      needQueryDetail: true,
      limit: 50,
      detailStatus: 'ALL',
    });
    expect(seen[0]!.url).toBe(`${BATCHES}/out-batch-no/plfk2020042013?need_query_detail=true&offset=0&limit=50&detail_status=ALL`);
    expect(listed).toMatchObject({ batchStatus: 'FINISHED', totalAmount: 200_300, successNum: 1, failAmount: 300 });
    expect(listed.details.map((d) => d.detailStatus)).toEqual(['SUCCESS', 'FAIL']);
    const plain = await client.queryTransferBatch({ ...target, batchId: created.batch_id });
    expect(seen[1]!.url).toBe(`${BATCHES}/batch-id/${created.batch_id}?need_query_detail=false`);
    expect(plain.details).toEqual([]);
    const byOut = await client.queryTransferBatchDetail({ ...target, outBatchNo: 'plfk2020042013', outDetailNo: 'x23zy545Bd5437' });
    const byId = await client.queryTransferBatchDetail({ ...target, batchId: created.batch_id, detailId: detailReply.detail_id });
    for (const d of [byOut, byId]) expect(d).toMatchObject({ detailStatus: 'FAIL', failReason: 'ACCOUNT_FROZEN', transferAmount: 300 });
    await expect(client.queryTransferBatch({ ...target, outBatchNo: 'a', batchId: 'b' })).rejects.toMatchObject({ field: 'outBatchNo' });
    await expect(client.queryTransferBatch({ ...target, outBatchNo: 'a', limit: 10 })).rejects.toMatchObject({ field: 'limit' });
    await expect(client.queryTransferBatchDetail({ ...target, outBatchNo: 'a' })).rejects.toMatchObject({ field: 'outDetailNo' });
    expect(seen).toHaveLength(4);
  });

  it('a v2 merchant holding v3 keys makes its batches on API v3; one without them is told batches are API v3', async () => {
    const config = v3Config();
    const v3 = config.merchants[0]!.v3;
    const merchants = [{ ...config.merchants[0]!, apiVersion: 'v2' as const, v3 }, config.merchants[1]!];
    const mixed: ResolvedConfig = { ...config, merchants, merchant: (name) => merchants.find((m) => m.name === name) };
    routes.set(`POST ${BATCHES}`, () => ({ status: 200, body: JSON.stringify(created) }));
    await expect(makeClient(mixed).createTransferBatch(batch())).resolves.toMatchObject({ batchId: created.batch_id });
    expect(seen[0]!.signatureOk).toBe(true);
    await expect(makeClient(mixed).createTransferBatch(batch({ merchant: 'old' }))).rejects.toMatchObject({
      code: 'WXPAY_ERR_VALIDATION',
      field: 'merchant',
    });
    expect(seen).toHaveLength(1);
  });
});
