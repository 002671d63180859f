import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../../test/helpers/external-tools.js';
import { startStubWeChat, signedWith, type StubRequest, type StubWeChat } from '../../test/helpers/stub-wechat.js';
import { resolveConfig } from '../config/resolve-config.js';
import type { MerchantOptions, WxPayOptions } from '../config/options.js';
import { SignatureError, TransportError, ValidationError, WxPayError, XmlError } from '../errors.js';
import { sign, verifySign } from '../protocol/v2/sign.js';
import { buildXml } from '../protocol/v2/xml.js';
import { generateTestCertificates, signReplyXml, type TestCertificates } from '../testing/index.js';
import { createWxPayClient, type CreateWxPayClientOptions } from './client.js';
import { statusFor } from '../handler/respond.js';
import type { UnifiedOrderInput, WxPayClient } from './types.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const SANDBOX_KEY = 'sandboxsignkey0123456789abcdefAB';
const APP_ID = 'wxd930ea5d5a258f4f';
const NOW = 1_700_000_000_123;

let stub: StubWeChat;
const clients: WxPayClient[] = [];

function makeClient(
  merchant: Partial<MerchantOptions> = {},
  extra: Partial<WxPayOptions> = {},
  hooks: CreateWxPayClientOptions = { sleep: async () => {} },
): WxPayClient {
  const config = resolveConfig({
    merchants: [{ name: 'main', mchId: '10000100', apiKey: KEY, baseUrl: stub.url, ...merchant }],
    apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
    notifyPayUrl: 'https://pay.example.com/notify-pay',
    notifyRefundUrl: 'https://pay.example.com/notify-refund',
    now: () => NOW,
    nonce: () => 'nonce0123456789',
    ...extra,
  });
  const client = createWxPayClient(config, hooks);
  clients.push(client);
  return client;
}

const order = (over: Partial<UnifiedOrderInput> = {}): UnifiedOrderInput => ({
  merchant: 'main',
  appId: APP_ID,
  tradeType: 'JSAPI',
  outTradeNo: 'T20240101000001',
  totalFee: 101,
  body: '腾讯充值中心-QQ会员充值',
  spbillCreateIp: '203.0.113.7',
  notifyUrl: 'https://pay.example.com/notify-pay/shop',
  openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
  ...over,
});

const prepay = (tradeType: string, extra: Record<string, string> = {}) =>
  signReplyXml(
    { appid: APP_ID, mch_id: '10000100', trade_type: tradeType, prepay_id: 'wx201410272009395522657a690389285100', ...extra },
    KEY,
  );

beforeAll(async () => {
  stub = await startStubWeChat();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  stub.requests.length = 0;
});
afterAll(async () => {
  await stub.close();
});

describe('unifiedOrder', () => {
  it('sends a signed request and returns JSAPI client params', async () => {
    stub.on('/pay/unifiedorder', () => prepay('JSAPI'));
    const result = await makeClient().unifiedOrder(order({ attach: 'a&b', sceneInfo: { store_info: { id: '1' } } }));
    const sent = stub.requests[0]!;
    expect(signedWith(sent, KEY)).toBe(true);
    expect(sent.fields).toMatchObject({
      appid: APP_ID,
      mch_id: '10000100',
      nonce_str: 'nonce0123456789',
      out_trade_no: 'T20240101000001',
      total_fee: '101',
      body: '腾讯充值中心-QQ会员充值',
      spbill_create_ip: '203.0.113.7',
      notify_url: 'https://pay.example.com/notify-pay/shop',
      trade_type: 'JSAPI',
      openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      attach: 'a&b',
      scene_info: '{"store_info":{"id":"1"}}',
    });
    expect(sent.fields['sign_type']).toBeUndefined();
    expect(result.prepayId).toBe('wx201410272009395522657a690389285100');
    expect(result.raw['prepay_id']).toBe(result.prepayId);
    expect(result.clientParams.tradeType).toBe('JSAPI');
    if (result.clientParams.tradeType !== 'JSAPI') throw new Error('unreachable');
    const { paySign, ...unsigned } = result.clientParams.jsapi;
    expect(unsigned).toEqual({
      appId: APP_ID,
      timeStamp: '1700000000',
      nonceStr: 'nonce0123456789',
      package: 'prepay_id=wx201410272009395522657a690389285100',
      signType: 'MD5',
    });
    expect(paySign).toBe(sign(unsigned, KEY));
  });

  it('signs with HMAC-SHA256 for an HMAC merchant, and verifies the HMAC reply', async () => {
    stub.on('/pay/unifiedorder', () =>
      signReplyXml(
        { appid: APP_ID, mch_id: '10000100', trade_type: 'APP', prepay_id: 'wx1', sign_type: 'HMAC-SHA256' },
        KEY,
        'HMAC-SHA256',
      ),
    );
    const result = await makeClient({ signType: 'HMAC-SHA256' }).unifiedOrder(order({ tradeType: 'APP', openId: undefined }));
    const sent = stub.requests[0]!;
    expect(sent.fields['sign_type']).toBe('HMAC-SHA256');
    expect(sent.fields['sign']).toHaveLength(64);
    expect(signedWith(sent, KEY)).toBe(true);
    if (result.clientParams.tradeType !== 'APP') throw new Error('expected APP params');
    expect(result.clientParams.app).toMatchObject({ appid: APP_ID, partnerid: '10000100', prepayid: 'wx1', package: 'Sign=WXPay' });
    expect(result.clientParams.app.sign).toBe(sign({ ...result.clientParams.app }, KEY, 'HMAC-SHA256'));
  });

  it('returns the NATIVE code_url and the H5 URL with redirect_url', async () => {
    stub.on('/pay/unifiedorder', (req) =>
      req.fields['trade_type'] === 'NATIVE'
        ? prepay('NATIVE', { code_url: 'weixin://wxpay/bizpayurl?pr=abc' })
        : prepay('MWEB', { mweb_url: 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=1' }),
    );
    const client = makeClient();
    const native = await client.unifiedOrder(order({ tradeType: 'NATIVE', openId: undefined, productId: 'P1' }));
    expect(native.clientParams).toEqual({ tradeType: 'NATIVE', codeUrl: 'weixin://wxpay/bizpayurl?pr=abc' });
    expect(stub.requests[0]!.fields['product_id']).toBe('P1');
    const h5 = await client.unifiedOrder(
      order({
        tradeType: 'MWEB',
        openId: undefined,
        sceneInfo: { h5_info: { type: 'Wap', wap_url: 'https://m.example.com', wap_name: 'shop' } },
        redirectUrl: 'https://m.example.com/done?o=1',
      }),
    );
    expect(h5.clientParams).toEqual({
      tradeType: 'MWEB',
      mwebUrl:
        'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=1&redirect_url=https%3A%2F%2Fm.example.com%2Fdone%3Fo%3D1',
    });
    expect(stub.requests[1]!.fields['redirect_url']).toBeUndefined();
  });

  it('adds sub_mch_id and sub_appid in service-provider mode and uses them in client params', async () => {
    stub.on('/pay/unifiedorder', () => prepay('JSAPI', { sub_mch_id: '1900000109', sub_appid: 'wxsub' }));
    const result = await makeClient({ subMchId: '1900000109', subAppId: 'wxsub' }).unifiedOrder(
      order({ openId: undefined, subOpenId: 'oSub' }),
    );
    expect(stub.requests[0]!.fields).toMatchObject({ sub_mch_id: '1900000109', sub_appid: 'wxsub', sub_openid: 'oSub' });
    expect(result.subMchId).toBe('1900000109');
    if (result.clientParams.tradeType !== 'JSAPI') throw new Error('expected JSAPI params');
    expect(result.clientParams.jsapi.appId).toBe('wxsub');
  });

  it('does not retry after a transport failure either', async () => {
    stub.on('/pay/unifiedorder', () => (res) => res.writeHead(503).end());
    await expect(makeClient().unifiedOrder(order())).rejects.toMatchObject({ statusCode: 503 });
    expect(stub.requests).toHaveLength(1);
  });

  it('refuses a subOpenId when the merchant has no subAppId', async () => {
    await expect(makeClient().unifiedOrder(order({ openId: undefined, subOpenId: 'o' }))).rejects.toMatchObject({ field: 'subOpenId' });
    expect(stub.requests).toHaveLength(0);
  });

  it('does not retry, even on SYSTEMERROR, and marks the error retryable', async () => {
    stub.on('/pay/unifiedorder', () => signReplyXml({ result_code: 'FAIL', err_code: 'SYSTEMERROR', err_code_des: '系统超时' }, KEY));
    const error = await makeClient()
      .unifiedOrder(order())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WxPayError);
    expect(error).toMatchObject({ layer: 'result', errCode: 'SYSTEMERROR', errCodeDes: '系统超时', retryable: true });
    expect(stub.requests).toHaveLength(1);
  });

  it('throws WxPayError (layer return) for return_code FAIL', async () => {
    stub.on('/pay/unifiedorder', () => buildXml({ return_code: 'FAIL', return_msg: '签名失败' }));
    const error = await makeClient()
      .unifiedOrder(order())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ layer: 'return', errCode: 'FAIL', returnMsg: '签名失败', retryable: false });
  });

  it('throws WxPayError (layer result) for a business failure', async () => {
    stub.on('/pay/unifiedorder', () => signReplyXml({ result_code: 'FAIL', err_code: 'ORDERPAID', err_code_des: '该订单已支付' }, KEY));
    const error = await makeClient()
      .unifiedOrder(order())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WxPayError);
    expect(error).toMatchObject({ layer: 'result', errCode: 'ORDERPAID', retryable: false });
    expect(statusFor(error)).toBe(409);
  });

  it('throws SignatureError when the reply signature does not match', async () => {
    stub.on('/pay/unifiedorder', () => signReplyXml({ trade_type: 'JSAPI', prepay_id: 'wx1' }, 'ffffffffffffffffffffffffffffffff'));
    const error = await makeClient()
      .unifiedOrder(order())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignatureError);
    expect((error as SignatureError).reason).toBe('mismatch');
  });

  it('throws XmlError for a reply that is not XML', async () => {
    stub.on('/pay/unifiedorder', () => 'not xml');
    await expect(makeClient().unifiedOrder(order())).rejects.toBeInstanceOf(XmlError);
  });

  it('validates before any network call, naming the field', async () => {
    const client = makeClient();
    const cases: [Partial<UnifiedOrderInput>, string][] = [
      [{ totalFee: 0 }, 'totalFee'],
      [{ totalFee: 1.5 }, 'totalFee'],
      [{ totalFee: -100 }, 'totalFee'],
      [{ outTradeNo: 'has space' }, 'outTradeNo'],
      [{ outTradeNo: 'x'.repeat(33) }, 'outTradeNo'],
      [{ body: 'x'.repeat(129) }, 'body'],
      [{ body: '' }, 'body'],
      [{ spbillCreateIp: '' }, 'spbillCreateIp'],
      [{ spbillCreateIp: 'localhost' }, 'spbillCreateIp'],
      [{ openId: undefined }, 'openId'],
      [{ tradeType: 'NATIVE', openId: undefined }, 'productId'],
      [{ tradeType: 'MWEB', openId: undefined }, 'sceneInfo'],
      [{ tradeType: 'XX' as never }, 'tradeType'],
      [{ notifyUrl: 'https://a.example.com/n?x=1' }, 'notifyUrl'],
      [{ attach: 'x'.repeat(128) }, 'attach'],
      [{ attach: 'bad\u0001' }, 'attach'],
      [{ appId: '' }, 'appId'],
      [{ merchant: 'nobody' }, 'merchant'],
      [{ timeExpire: '2024-01-01' }, 'timeExpire'],
    ];
    for (const [over, field] of cases) {
      const error = await client.unifiedOrder(order(over)).catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field, JSON.stringify(over)).toBe(field);
    }
    expect(stub.requests).toHaveLength(0);
  });

  it('writes a Date timeExpire in Beijing time', async () => {
    stub.on('/pay/unifiedorder', () => prepay('JSAPI'));
    await makeClient().unifiedOrder(order({ timeExpire: new Date('2024-01-01T16:30:00Z') }));
    expect(stub.requests[0]!.fields['time_expire']).toBe('20240102003000');
  });
});

describe('queries and retries', () => {
  const paid = () =>
    signReplyXml(
      {
        appid: APP_ID,
        mch_id: '10000100',
        trade_state: 'SUCCESS',
        out_trade_no: 'T1',
        transaction_id: '4200000000202401010000000001',
        total_fee: '110',
        cash_fee: '100',
        coupon_fee: '10',
        coupon_count: '1',
        coupon_id_0: 'C1',
        coupon_fee_0: '10',
        is_subscribe: 'Y',
        time_end: '20240101120000',
        openid: 'o1',
        trade_type: 'JSAPI',
        bank_type: 'CMC',
      },
      KEY,
    );

  it('maps orderquery to camelCase with amounts as numbers', async () => {
    stub.on('/pay/orderquery', () => paid());
    const result = await makeClient().queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' });
    expect(result).toMatchObject({
      tradeState: 'SUCCESS',
      outTradeNo: 'T1',
      totalFee: 110,
      cashFee: 100,
      couponFee: 10,
      coupons: [{ id: 'C1', type: undefined, fee: 10 }],
      isSubscribe: true,
      appId: APP_ID,
    });
    expect(stub.requests[0]!.fields['out_trade_no']).toBe('T1');
  });

  it('retries orderquery on SYSTEMERROR with growing backoff, then succeeds', async () => {
    let calls = 0;
    stub.on('/pay/orderquery', () => (++calls <= 2 ? signReplyXml({ result_code: 'FAIL', err_code: 'SYSTEMERROR' }, KEY) : paid()));
    const delays: number[] = [];
    const client = makeClient(
      {},
      { client: { retries: 2, retryDelayMs: 100 } },
      { sleep: async (ms) => void delays.push(ms), random: () => 0.5 },
    );
    const result = await client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' });
    expect(result.tradeState).toBe('SUCCESS');
    expect(calls).toBe(3);
    expect(delays).toEqual([75, 150]);
  });

  it('gives up after the configured retries and throws the last error', async () => {
    stub.on('/pay/orderquery', () => signReplyXml({ result_code: 'FAIL', err_code: 'SYSTEMERROR' }, KEY));
    const client = makeClient({}, { client: { retries: 1 } });
    await expect(client.queryOrder({ merchant: 'main', appId: APP_ID, transactionId: '42' })).rejects.toMatchObject({
      errCode: 'SYSTEMERROR',
    });
    expect(stub.requests).toHaveLength(2);
  });

  it('does not retry permanent errors', async () => {
    stub.on('/pay/orderquery', () => signReplyXml({ result_code: 'FAIL', err_code: 'ORDERNOTEXIST' }, KEY));
    await expect(makeClient().queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' })).rejects.toMatchObject({
      errCode: 'ORDERNOTEXIST',
    });
    expect(stub.requests).toHaveLength(1);
  });

  it('retries a query after an HTTP 500 and reports the status when retries run out', async () => {
    stub.on('/pay/orderquery', () => (res) => res.writeHead(500).end('oops'));
    const error = await makeClient()
      .queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).statusCode).toBe(500);
    expect(stub.requests).toHaveLength(3);
  });

  it('times out instead of hanging, with a TransportError', async () => {
    stub.on('/pay/orderquery', () => () => {
      /* never answers */
    });
    const client = makeClient({}, { client: { timeoutMs: 150, retries: 1 } });
    const error = await client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toMatch(/timed out after 150 ms/);
    expect(stub.requests).toHaveLength(2);
  });

  it('wraps a refused connection in TransportError with the cause', async () => {
    const dead = await startStubWeChat();
    const url = dead.url;
    await dead.close();
    const config = resolveConfig({
      merchants: [{ name: 'main', mchId: '10000100', apiKey: KEY, baseUrl: url }],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: 'https://a.example.com/p',
      notifyRefundUrl: 'https://a.example.com/r',
      client: { retries: 0 },
    });
    const client = createWxPayClient(config);
    clients.push(client);
    const error = await client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).cause).toBeDefined();
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('stops when the caller aborts, without retrying', async () => {
    stub.on('/pay/orderquery', () => () => {
      /* never answers */
    });
    const controller = new AbortController();
    const pending = makeClient().queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' }, { signal: controller.signal });
    await new Promise<void>((resolve) => {
      const check = () => (stub.requests.length > 0 ? resolve() : setImmediate(check));
      check();
    });
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toMatch(/aborted/);
    expect(stub.requests).toHaveLength(1);
  });

  it('closeOrder resolves on ORDERCLOSED and throws on ORDERPAID', async () => {
    let answer = 'ORDERCLOSED';
    stub.on('/pay/closeorder', () => signReplyXml({ result_code: 'FAIL', err_code: answer }, KEY));
    const client = makeClient();
    await expect(client.closeOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' })).resolves.toBeUndefined();
    answer = 'ORDERPAID';
    await expect(client.closeOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' })).rejects.toMatchObject({ errCode: 'ORDERPAID' });
  });

  it('maps refundquery with indexed refunds and coupons', async () => {
    stub.on('/pay/refundquery', () =>
      signReplyXml(
        {
          appid: APP_ID,
          mch_id: '10000100',
          transaction_id: '42',
          out_trade_no: 'T1',
          total_fee: '300',
          cash_fee: '300',
          refund_count: '2',
          out_refund_no_0: 'R1',
          refund_id_0: 'W1',
          refund_fee_0: '100',
          refund_status_0: 'SUCCESS',
          refund_recv_accout_0: '支付用户零钱',
          refund_success_time_0: '2024-01-01 12:00:00',
          coupon_refund_count_0: '1',
          coupon_refund_id_0_0: 'C1',
          coupon_refund_fee_0_0: '5',
          coupon_type_0_0: 'CASH',
          out_refund_no_1: 'R2',
          refund_id_1: 'W2',
          refund_fee_1: '50',
          refund_status_1: 'PROCESSING',
        },
        KEY,
      ),
    );
    const result = await makeClient().queryRefund({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1', offset: 0 });
    expect(result.totalFee).toBe(300);
    expect(result.refunds).toHaveLength(2);
    expect(result.refunds[0]).toMatchObject({
      outRefundNo: 'R1',
      refundId: 'W1',
      refundFee: 100,
      refundStatus: 'SUCCESS',
      refundRecvAccount: '支付用户零钱',
      coupons: [{ id: 'C1', type: 'CASH', fee: 5 }],
    });
    expect(result.refunds[1]).toMatchObject({ outRefundNo: 'R2', refundStatus: 'PROCESSING', coupons: [] });
    expect(stub.requests[0]!.fields['offset']).toBe('0');
  });

  it('queryOrder and queryRefund need an id', async () => {
    const client = makeClient();
    await expect(client.queryOrder({ merchant: 'main', appId: APP_ID })).rejects.toMatchObject({ field: 'outTradeNo' });
    await expect(client.queryRefund({ merchant: 'main', appId: APP_ID })).rejects.toMatchObject({ field: 'refundId' });
    expect(stub.requests).toHaveLength(0);
  });

  it('refuses a merchant name that is not configured, before any network call', async () => {
    const client = makeClient();
    await expect(client.queryOrder({ merchant: 'other', appId: APP_ID, outTradeNo: 'T1' })).rejects.toThrow(ValidationError);
    await expect(client.signKey('other')).rejects.toMatchObject({ field: 'merchant' });
    expect(stub.requests).toHaveLength(0);
  });
});

describe('downloadBill', () => {
  const bill = '\uFEFF交易时间,公众账号ID\n`2024-01-01 12:00:00,`wx1\n总交易单数\n`1\n';

  it('returns the text bill without BOM, plain or gzip', async () => {
    stub.on('/pay/downloadbill', (req) => (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(req.fields['tar_type'] === 'GZIP' ? gzipSync(Buffer.from(bill)) : bill);
    });
    const client = makeClient();
    expect(await client.downloadBill({ merchant: 'main', appId: APP_ID, billDate: '20240101' })).toBe(bill.slice(1));
    expect(await client.downloadBill({ merchant: 'main', appId: APP_ID, billDate: '20240101', gzip: true })).toBe(bill.slice(1));
    expect(stub.requests[0]!.fields).toMatchObject({ bill_date: '20240101', bill_type: 'ALL' });
  });

  it('throws WxPayError for an XML failure reply, with error_code', async () => {
    stub.on('/pay/downloadbill', () => buildXml({ return_code: 'FAIL', return_msg: 'No Bill Exist', error_code: '20002' }));
    await expect(makeClient().downloadBill({ merchant: 'main', appId: APP_ID, billDate: '20240101' })).rejects.toMatchObject({
      layer: 'return',
      errCode: '20002',
      returnMsg: 'No Bill Exist',
    });
  });

  it('validates the date', async () => {
    await expect(makeClient().downloadBill({ merchant: 'main', appId: APP_ID, billDate: '2024-01-01' })).rejects.toMatchObject({
      field: 'billDate',
    });
  });
});

describe('sandbox', () => {
  it('fetches the sandbox key once, then signs /sandboxnew calls with it', async () => {
    stub.on('/sandboxnew/pay/getsignkey', () =>
      buildXml({ return_code: 'SUCCESS', return_msg: 'ok', mch_id: '10000100', sandbox_signkey: SANDBOX_KEY }),
    );
    stub.on('/sandboxnew/pay/orderquery', () => signReplyXml({ trade_state: 'NOTPAY', out_trade_no: 'T1' }, SANDBOX_KEY));
    stub.on('/sandboxnew/pay/refund', () =>
      signReplyXml(
        { transaction_id: '42', out_trade_no: 'T1', out_refund_no: 'R1', refund_id: 'W1', refund_fee: '1', total_fee: '101' },
        SANDBOX_KEY,
      ),
    );
    const client = makeClient({ sandbox: true });
    await client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' });
    await client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' });
    const refund = await client.refund({
      merchant: 'main',
      appId: APP_ID,
      outTradeNo: 'T1',
      outRefundNo: 'R1',
      totalFee: 101,
      refundFee: 1,
    });
    expect(refund.refundId).toBe('W1');
    expect(stub.requests.map((r) => r.path)).toEqual([
      '/sandboxnew/pay/getsignkey',
      '/sandboxnew/pay/orderquery',
      '/sandboxnew/pay/orderquery',
      '/sandboxnew/pay/refund',
    ]);
    expect(verifySign(stub.requests[0]!.fields, KEY)).toBe(true);
    for (const request of stub.requests.slice(1)) expect(signedWith(request, SANDBOX_KEY)).toBe(true);
    expect(await client.signKey('main')).toBe(SANDBOX_KEY);
  });

  it('getSandboxSignKey reports a FAIL reply', async () => {
    stub.on('/sandboxnew/pay/getsignkey', () => buildXml({ return_code: 'FAIL', return_msg: '签名错误' }));
    await expect(makeClient().getSandboxSignKey({ mchId: '10000100', apiKey: KEY, baseUrl: stub.url })).rejects.toMatchObject({
      layer: 'return',
      returnMsg: '签名错误',
    });
  });

  it('signKey is the API key for a production merchant', async () => {
    expect(await makeClient().signKey('main')).toBe(KEY);
    await expect(makeClient().signKey('nobody')).rejects.toBeInstanceOf(ValidationError);
  });
});

describe.skipIf(skipWithout(import.meta.url, ['openssl'], "'refund over mutual TLS'"))('refund over mutual TLS', () => {
  let certs: TestCertificates;
  let secure: StubWeChat;

  beforeAll(async () => {
    certs = await generateTestCertificates({ mchId: '10000100' });
    secure = await startStubWeChat({ key: certs.serverKey, cert: certs.serverCert, ca: certs.ca });
    secure.on('/secapi/pay/refund', (req) => refundReply(req));
    secure.on('/pay/orderquery', () => signReplyXml({ trade_state: 'NOTPAY', out_trade_no: 'T1' }, KEY));
  });
  afterAll(async () => {
    await secure.close();
  });

  const refundReply = (req: StubRequest) =>
    signReplyXml(
      {
        appid: APP_ID,
        mch_id: '10000100',
        transaction_id: '4200000000202401010000000001',
        out_trade_no: req.fields['out_trade_no'] ?? 'T1',
        out_refund_no: req.fields['out_refund_no'] ?? '',
        refund_id: '50000408942024010100000000001',
        refund_fee: req.fields['refund_fee'] ?? '',
        total_fee: req.fields['total_fee'] ?? '',
        cash_fee: req.fields['total_fee'] ?? '',
      },
      KEY,
    );

  function secureClient(cert: MerchantOptions['cert'], retries = 0): WxPayClient {
    const config = resolveConfig({
      merchants: [{ name: 'main', mchId: '10000100', apiKey: KEY, baseUrl: secure.url, cert }],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: 'https://a.example.com/p',
      notifyRefundUrl: 'https://a.example.com/r',
      client: { ca: certs.ca, retries },
    });
    const client = createWxPayClient(config, { sleep: async () => {} });
    clients.push(client);
    return client;
  }

  it('presents the PKCS#12 certificate and reuses one TLS connection across refunds', async () => {
    const client = secureClient({ pfx: certs.clientPfx });
    const before = secure.handshakes();
    for (const n of [1, 2, 3]) {
      const result = await client.refund({
        merchant: 'main',
        appId: APP_ID,
        outTradeNo: 'T1',
        outRefundNo: `R${n}`,
        totalFee: 300,
        refundFee: 100,
        refundDesc: '退货',
      });
      expect(result).toMatchObject({ outRefundNo: `R${n}`, refundFee: 100, totalFee: 300, refundId: '50000408942024010100000000001' });
    }
    expect(secure.handshakes() - before).toBe(1);
    const refunds = secure.requests.filter((r) => r.path === '/secapi/pay/refund');
    expect(refunds.every((r) => r.clientCn === '10000100')).toBe(true);
    expect(refunds[0]!.fields).toMatchObject({ out_refund_no: 'R1', refund_fee: '100', total_fee: '300', refund_desc: '退货' });
  });

  it('retries a refund on SYSTEMERROR with the same out_refund_no (idempotent, spec §4.1)', async () => {
    let calls = 0;
    const client = secureClient({ pfx: certs.clientPfx }, 2);
    const original = secure.requests.length;
    secure.on('/secapi/pay/refund', (req) =>
      ++calls === 1 ? signReplyXml({ result_code: 'FAIL', err_code: 'SYSTEMERROR' }, KEY) : refundReply(req),
    );
    const result = await client
      .refund({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1', outRefundNo: 'RETRY1', totalFee: 1, refundFee: 1 })
      .finally(() => secure.on('/secapi/pay/refund', refundReply));
    expect(result.outRefundNo).toBe('RETRY1');
    const sent = secure.requests.slice(original);
    expect(sent.map((r) => r.fields['out_refund_no'])).toEqual(['RETRY1', 'RETRY1']);
  });

  it('downloads the fund-flow bill over mutual TLS, signed HMAC-SHA256 (the only sign type WeChat accepts there)', async () => {
    const bill = '记账时间,微信支付业务单号\n`2024-01-01 12:00:00,`4200000001\n资金流水总笔数\n`1\n';
    secure.on('/pay/downloadfundflow', (req) => (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(req.fields['tar_type'] === 'GZIP' ? gzipSync(Buffer.from(bill)) : bill);
    });
    const config = resolveConfig({
      merchants: [
        { name: 'main', mchId: '10000100', apiKey: KEY, baseUrl: secure.url, cert: { pfx: certs.clientPfx }, signType: 'HMAC-SHA256' },
      ],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: 'https://a.example.com/p',
      notifyRefundUrl: 'https://a.example.com/r',
      client: { ca: certs.ca, retries: 0 },
    });
    const client = createWxPayClient(config, { sleep: async () => {} });
    clients.push(client);
    expect(await client.downloadFundFlowBill({ merchant: 'main', appId: APP_ID, billDate: '20240101', gzip: true })).toBe(bill);
    const sent = secure.requests.filter((r) => r.path === '/pay/downloadfundflow');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.clientCn).toBe('10000100');
    expect(sent[0]!.fields).toMatchObject({ bill_date: '20240101', account_type: 'Basic', sign_type: 'HMAC-SHA256', tar_type: 'GZIP' });
    expect(verifySign(sent[0]!.fields, KEY)).toBe(true);
    // An MD5 merchant is refused before anything is sent.
    await expect(
      secureClient({ pfx: certs.clientPfx }).downloadFundFlowBill({ merchant: 'main', appId: APP_ID, billDate: '20240101' }),
    ).rejects.toMatchObject({ constructor: ValidationError, field: 'merchant' });
    expect(secure.requests.filter((r) => r.path === '/pay/downloadfundflow')).toHaveLength(1);
  });

  it('presents a PEM certificate too', async () => {
    const result = await secureClient({ cert: certs.clientCert, key: certs.clientKey }).refund({
      merchant: 'main',
      appId: APP_ID,
      transactionId: '4200000000202401010000000001',
      outRefundNo: 'R9',
      totalFee: 100,
      refundFee: 100,
    });
    expect(result.outRefundNo).toBe('R9');
  });

  it('fails the TLS handshake without a client certificate (a plain call), with TransportError', async () => {
    const error = await secureClient(undefined)
      .queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
  });

  it('refuses a refund for a merchant without a certificate before any network call', async () => {
    const count = secure.requests.length;
    const error = await secureClient(undefined)
      .refund({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1', outRefundNo: 'R1', totalFee: 1, refundFee: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(secure.requests.length).toBe(count);
  });

  it('validates refund amounts', async () => {
    const client = secureClient({ pfx: certs.clientPfx });
    await expect(
      client.refund({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1', outRefundNo: 'R1', totalFee: 100, refundFee: 101 }),
    ).rejects.toMatchObject({ field: 'refundFee' });
    await expect(
      client.refund({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1', outRefundNo: 'R 1', totalFee: 100, refundFee: 1 }),
    ).rejects.toMatchObject({ field: 'outRefundNo' });
  });
});

describe.skipIf(skipWithout(import.meta.url, ['openssl'], "'企业付款 over mutual TLS'"))(
  '企业付款 (transferToBalance) over mutual TLS',
  () => {
    let certs: TestCertificates;
    let secure: StubWeChat;
    const PAY = '/mmpaymkttransfers/promotion/transfers';
    const QUERY = '/mmpaymkttransfers/gettransferinfo';
    /** WeChat's pay reply: `mch_appid` / `mchid`, and no signature in its schema. */
    const paid = (req: StubRequest) =>
      buildXml({
        return_code: 'SUCCESS',
        return_msg: '',
        mch_appid: req.fields['mch_appid'] ?? '',
        mchid: req.fields['mchid'] ?? '',
        nonce_str: 'lxuDzMnRjpcXzxLx0q',
        result_code: 'SUCCESS',
        partner_trade_no: req.fields['partner_trade_no'] ?? '',
        payment_no: '1000018301201505190181489473',
        payment_time: '2015-05-19 15:26:59',
      });

    beforeAll(async () => {
      certs = await generateTestCertificates({ mchId: '10000100' });
      secure = await startStubWeChat({ key: certs.serverKey, cert: certs.serverCert, ca: certs.ca });
      secure.on(PAY, paid);
      secure.on(QUERY, () =>
        buildXml({
          return_code: 'SUCCESS',
          return_msg: '获取成功',
          result_code: 'SUCCESS',
          mch_id: '10000100',
          appid: APP_ID,
          detail_id: '1000000000201503283103439304',
          partner_trade_no: 'P20240101001',
          status: 'SUCCESS',
          payment_amount: '650',
          openid: 'oxTWIuGaIt6gTKsQRLau2M0yL16E',
          transfer_time: '2015-04-21 20:00:00',
          transfer_name: '测试',
          desc: '福利测试',
        }),
      );
    });
    afterAll(async () => {
      await secure.close();
    });

    function secureClient(merchant: Partial<MerchantOptions> = {}, retries = 0): WxPayClient {
      const config = resolveConfig({
        merchants: [{ name: 'main', mchId: '10000100', apiKey: KEY, baseUrl: secure.url, cert: { pfx: certs.clientPfx }, ...merchant }],
        apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
        notifyPayUrl: 'https://a.example.com/p',
        notifyRefundUrl: 'https://a.example.com/r',
        client: { ca: certs.ca, retries },
      });
      const client = createWxPayClient(config, { sleep: async () => {} });
      clients.push(client);
      return client;
    }
    const transfer = (over: Record<string, unknown> = {}) => ({
      merchant: 'main',
      appId: APP_ID,
      partnerTradeNo: 'P20240101001',
      openId: 'oxTWIuGaIt6gTKsQRLau2M0yL16E',
      amount: 650,
      desc: '福利测试',
      spbillCreateIp: '203.0.113.7',
      ...over,
    });

    it('sends mch_appid and mchid (not appid / mch_id), MD5-signed with the API v2 key even for an HMAC merchant, over mutual TLS', async () => {
      const before = secure.requests.length;
      const result = await secureClient({ signType: 'HMAC-SHA256' }).transferToBalance(transfer({ reUserName: '王五' }));
      const [sent] = secure.requests.slice(before);
      expect(sent!.path).toBe(PAY);
      expect(sent!.clientCn).toBe('10000100');
      const { nonce_str: nonce, sign: signature, ...fields } = sent!.fields;
      expect(fields).toEqual({
        mch_appid: APP_ID,
        mchid: '10000100',
        partner_trade_no: 'P20240101001',
        openid: 'oxTWIuGaIt6gTKsQRLau2M0yL16E',
        check_name: 'FORCE_CHECK',
        re_user_name: '王五',
        amount: '650',
        desc: '福利测试',
        spbill_create_ip: '203.0.113.7',
      });
      expect(nonce).toBeTruthy();
      expect(signature).toBe(sign({ ...fields, nonce_str: nonce! }, KEY, 'MD5'));
      expect(result).toMatchObject({
        appId: APP_ID,
        mchId: '10000100',
        partnerTradeNo: 'P20240101001',
        paymentNo: '1000018301201505190181489473',
        paymentTime: '2015-05-19 15:26:59',
      });
    });

    it('NO_CHECK without a name; the query maps gettransferinfo (appid / mch_id, amounts in fen)', async () => {
      const before = secure.requests.length;
      const client = secureClient();
      await client.transferToBalance(transfer());
      expect(secure.requests[before]!.fields).toMatchObject({ check_name: 'NO_CHECK' });
      expect(secure.requests[before]!.fields['re_user_name']).toBeUndefined();
      const found = await client.queryTransferToBalance({ merchant: 'main', appId: APP_ID, partnerTradeNo: 'P20240101001' });
      expect(secure.requests[before + 1]!.fields).toMatchObject({ appid: APP_ID, mch_id: '10000100', partner_trade_no: 'P20240101001' });
      expect(found).toMatchObject({
        status: 'SUCCESS',
        paymentAmount: 650,
        detailId: '1000000000201503283103439304',
        transferName: '测试',
      });
    });

    it('repeats on SYSTEMERROR with the same partner_trade_no; NOTENOUGH is a WxPayError, sent once', async () => {
      let calls = 0;
      const before = secure.requests.length;
      secure.on(PAY, (req) =>
        ++calls === 1
          ? buildXml({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'SYSTEMERROR', err_code_des: '系统繁忙' })
          : paid(req),
      );
      const result = await secureClient({}, 2)
        .transferToBalance(transfer())
        .finally(() => secure.on(PAY, paid));
      expect(result.paymentNo).toBe('1000018301201505190181489473');
      expect(secure.requests.slice(before).map((r) => r.fields['partner_trade_no'])).toEqual(['P20240101001', 'P20240101001']);
      secure.on(PAY, () => buildXml({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'NOTENOUGH', err_code_des: '余额不足' }));
      const count = secure.requests.length;
      const error = await secureClient({}, 2)
        .transferToBalance(transfer())
        .catch((e: unknown) => e)
        .finally(() => secure.on(PAY, paid));
      expect(error).toBeInstanceOf(WxPayError);
      expect((error as WxPayError).errCode).toBe('NOTENOUGH');
      expect(secure.requests.length - count).toBe(1);
    });

    it.each([
      ['amount', { amount: 1.5 }],
      ['amount', { amount: 0 }],
      ['partnerTradeNo', { partnerTradeNo: 'P-1' }],
      ['openId', { openId: '' }],
      ['desc', { desc: 'x'.repeat(101) }],
      ['spbillCreateIp', { spbillCreateIp: 'localhost' }],
      ['reUserName', { checkName: 'FORCE_CHECK' }],
      ['reUserName', { checkName: 'NO_CHECK', reUserName: '王五' }],
      ['checkName', { checkName: 'MAYBE' }],
    ])('refuses a bad %s before anything is sent', async (field, over) => {
      const count = secure.requests.length;
      const error = await secureClient()
        .transferToBalance(transfer(over) as never)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
      expect(secure.requests.length).toBe(count);
    });

    it('refuses a merchant without a certificate, a sandbox merchant and a sub-merchant before any network call', async () => {
      const count = secure.requests.length;
      for (const merchant of [{ cert: undefined }, { sandbox: true, sandboxKey: SANDBOX_KEY }, { subMchId: '1900000109' }]) {
        const error = await secureClient(merchant as Partial<MerchantOptions>)
          .transferToBalance(transfer())
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('merchant');
      }
      const noCert = await secureClient({ cert: undefined })
        .queryTransferToBalance({ merchant: 'main', appId: APP_ID, partnerTradeNo: 'P1' })
        .catch((e: unknown) => e);
      expect(noCert).toBeInstanceOf(ValidationError);
      expect(secure.requests.length).toBe(count);
    });

    it('batch transfers are refused for a merchant without v3 keys, naming API v3', async () => {
      const error = await secureClient()
        .createTransferBatch({
          merchant: 'main',
          appId: APP_ID,
          outBatchNo: 'B1',
          batchName: 'n',
          batchRemark: 'r',
          details: [{ outDetailNo: 'D1', transferAmount: 100, transferRemark: 'r', openId: 'oUser' }],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('merchant');
      expect((error as ValidationError).message).toContain('API v3');
    });
  },
);

describe('close', () => {
  it('fails later calls with TransportError', async () => {
    stub.on('/pay/orderquery', () => signReplyXml({ trade_state: 'NOTPAY', out_trade_no: 'T1' }, KEY));
    const client = makeClient({}, { client: { retries: 0 } });
    await client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' });
    await client.close();
    await expect(client.queryOrder({ merchant: 'main', appId: APP_ID, outTradeNo: 'T1' })).rejects.toBeInstanceOf(TransportError);
  });
});
