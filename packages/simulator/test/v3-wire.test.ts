import { X509Certificate } from 'node:crypto';
import { startSimulator, type RunningSimulator, type SimWechatpayKeys } from '@wxpay-kit/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptResource, merchantKeys, v3, verifyWechatpay, type MerchantKeys, type V3Result } from './v3-helpers.js';

const MCH = '1230000109';
const CERT_MCH = '1230000110';
const V2_MCH = '1900000109';
const APPID = 'wxd678efh567hg6787';
const API_V3_KEY = '0123456789abcdef0123456789abcdef';
const NOTIFY = 'https://shop.example.com/notify';

let sim: RunningSimulator;
let keys: MerchantKeys;
let certKeys: MerchantKeys;
let wechatpay: SimWechatpayKeys;

beforeAll(async () => {
  keys = merchantKeys();
  certKeys = merchantKeys();
  sim = await startSimulator({
    port: 0,
    merchants: [
      {
        mchId: MCH,
        apiKey: 'k'.repeat(32),
        appIds: [APPID],
        v3: { publicKey: keys.publicKey, serialNo: keys.serialNo, apiV3Key: API_V3_KEY },
      },
      {
        mchId: CERT_MCH,
        apiKey: 'c'.repeat(32),
        appIds: [APPID],
        v3: {
          publicKey: certKeys.publicKey,
          serialNo: certKeys.serialNo.toLowerCase(),
          apiV3Key: API_V3_KEY,
          wechatpayKey: 'platform-certificate',
        },
      },
      { mchId: V2_MCH, apiKey: '192006250b4c09247ec02edce69f6a2d', appIds: ['wxd930ea5d5a258f4f'] },
    ],
  });
  wechatpay = await sim.wechatpayKeys();
});
afterAll(async () => {
  await sim?.close();
});

const as = {
  mchid: MCH,
  get keys() {
    return keys;
  },
};
const call = (method: 'GET' | 'POST', path: string, body?: unknown, o: Partial<Parameters<typeof v3>[4]> = {}) =>
  v3(sim.url, method, path, body, { ...as, ...o });

const publicKeys = (): Map<string, string> => new Map([[wechatpay.publicKeyId, wechatpay.publicKey]]);

function expectSigned(res: V3Result, serial = wechatpay.publicKeyId): void {
  expect(res.headers['wechatpay-serial']).toBe(serial);
  expect(res.headers['wechatpay-signature-type']).toBe('WECHATPAY2-SHA256-RSA2048');
  expect(res.headers['request-id']).toMatch(/^[0-9A-F]{32}$/);
  expect(verifyWechatpay(res.headers, res.text, publicKeys())).toBe(true);
}

const jsapiOrder = (no: string, extra: Record<string, unknown> = {}) => ({
  appid: APPID,
  mchid: MCH,
  description: 'Image形象店-深圳腾大-QQ公仔',
  out_trade_no: no,
  notify_url: NOTIFY,
  amount: { total: 100, currency: 'CNY' },
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  ...extra,
});

describe('v3 orders', () => {
  it('creates a JSAPI order and answers prepay_id, signed with the WeChat Pay public key', async () => {
    const res = await call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('J1'));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ prepay_id: expect.stringMatching(/^wx\d{14}[0-9a-f]{20}$/) });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectSigned(res);
    expect(wechatpay.publicKeyId).toMatch(/^PUB_KEY_ID_\d+$/);
    const order = await sim.order('J1');
    expect(order).toMatchObject({
      apiVersion: 'v3',
      mchId: MCH,
      tradeType: 'JSAPI',
      totalFee: 100,
      openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      tradeState: 'NOTPAY',
    });
    expect(order.prepayId).toBe(res.json!['prepay_id']);
  });

  it('answers APP, H5 and Native orders with prepay_id, h5_url and code_url', async () => {
    const { payer: _payer, ...app } = jsapiOrder('A1');
    const appRes = await call('POST', '/v3/pay/transactions/app', app);
    expect(appRes.status).toBe(200);
    expect(Object.keys(appRes.json!)).toEqual(['prepay_id']);
    const h5 = { ...app, out_trade_no: 'H1', scene_info: { payer_client_ip: '14.23.150.211', h5_info: { type: 'Wap' } } };
    const h5Res = await call('POST', '/v3/pay/transactions/h5', h5);
    expect(h5Res.status).toBe(200);
    expect(h5Res.json!['h5_url']).toMatch(/^https:\/\/wx\.tenpay\.com\/cgi-bin\/mmpayweb-bin\/checkmweb\?prepay_id=wx/);
    const nativeRes = await call('POST', '/v3/pay/transactions/native', { ...app, out_trade_no: 'N1' });
    expect(nativeRes.status).toBe(200);
    expect(nativeRes.json!['code_url']).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect((await sim.order('H1')).tradeType).toBe('MWEB');
    expect((await sim.order('N1')).tradeType).toBe('NATIVE');
    expect((await sim.order('A1')).tradeType).toBe('APP');
  });

  it('answers the same prepay_id to a repeated order and OUT_TRADE_NO_USED to a changed one', async () => {
    const first = await call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('J2'));
    const again = await call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('J2'));
    expect(again.json).toEqual(first.json);
    const changed = await call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('J2', { amount: { total: 101 } }));
    expect(changed.status).toBe(403);
    expect(changed.json).toMatchObject({ code: 'OUT_TRADE_NO_USED' });
    expectSigned(changed);
  });

  it('rejects bad parameters with PARAM_ERROR and a detail naming the field', async () => {
    const { description: _d, ...noDescription } = jsapiOrder('P1');
    const cases: [string, unknown, string][] = [
      ['/v3/pay/transactions/jsapi', noDescription, 'description'],
      ['/v3/pay/transactions/jsapi', jsapiOrder('P2', { payer: undefined }), 'payer/openid'],
      ['/v3/pay/transactions/jsapi', jsapiOrder('P3', { amount: { total: 0 } }), 'amount/total'],
      ['/v3/pay/transactions/jsapi', jsapiOrder('P4', { amount: { total: '100' } }), 'amount/total'],
      ['/v3/pay/transactions/jsapi', jsapiOrder('P5', { amount: { total: 1, currency: 'USD' } }), 'amount/currency'],
      ['/v3/pay/transactions/jsapi', jsapiOrder('P6', { notify_url: 'ftp://x/y' }), 'notify_url'],
      ['/v3/pay/transactions/jsapi', jsapiOrder('P7', { time_expire: '2018-06-08 10:34:56' }), 'time_expire'],
      ['/v3/pay/transactions/jsapi', jsapiOrder('P8', { mchid: '1230000111' }), 'mchid'],
      ['/v3/pay/transactions/jsapi', jsapiOrder('P 9'), 'out_trade_no'],
      ['/v3/pay/transactions/h5', jsapiOrder('P10'), 'scene_info'],
      [
        '/v3/pay/transactions/h5',
        jsapiOrder('P11', { scene_info: { payer_client_ip: '1.2.3.4', h5_info: { type: 'PC' } } }),
        'scene_info/h5_info/type',
      ],
    ];
    for (const [path, body, field] of cases) {
      const res = await call('POST', path, body);
      expect(res.status, field).toBe(400);
      expect(res.json, field).toMatchObject({ code: 'PARAM_ERROR', detail: { field, location: 'body' } });
      expectSigned(res);
    }
    for (const raw of ['', '{"appid":', '[1]']) {
      const res = await call('POST', '/v3/pay/transactions/native', raw);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ code: 'PARAM_ERROR' });
    }
    expect((await sim.orders({ mchId: MCH })).some((o) => o.outTradeNo.startsWith('P'))).toBe(false);
  });

  it('answers APPID_MCHID_NOT_MATCH for an app id not bound to the merchant', async () => {
    const res = await call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('X1', { appid: 'wx0000000000000000' }));
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'APPID_MCHID_NOT_MATCH' });
  });

  it('queries by out_trade_no and by transaction_id, unpaid and paid', async () => {
    await call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('Q1', { attach: 'note' }));
    const unpaid = await call('GET', `/v3/pay/transactions/out-trade-no/Q1?mchid=${MCH}`);
    expect(unpaid.status).toBe(200);
    expectSigned(unpaid);
    expect(unpaid.json).toMatchObject({
      appid: APPID,
      mchid: MCH,
      out_trade_no: 'Q1',
      trade_state: 'NOTPAY',
      attach: 'note',
      amount: { total: 100 },
    });
    expect(unpaid.json!['transaction_id']).toBeUndefined();

    const paid = await sim.pay('Q1', { openId: 'oPayer', coupons: [{ fee: 10, id: 'CP1' }], notify: false });
    const byNo = await call('GET', `/v3/pay/transactions/out-trade-no/Q1?mchid=${MCH}`);
    expect(byNo.json).toMatchObject({
      out_trade_no: 'Q1',
      transaction_id: paid.transactionId,
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      payer: { openid: 'oPayer' },
      amount: { total: 100, payer_total: 90, currency: 'CNY', payer_currency: 'CNY' },
      promotion_detail: [{ coupon_id: 'CP1', type: 'CASH', amount: 10 }],
    });
    expect(byNo.json!['success_time']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    expect(Date.parse(byNo.json!['success_time'] as string)).toBe(Math.floor(paid.paidAt! / 1000) * 1000);
    const byId = await call('GET', `/v3/pay/transactions/id/${paid.transactionId}?mchid=${MCH}`);
    expect(byId.json).toEqual(byNo.json);
  });

  it('answers 404 ORDER_NOT_EXIST for unknown orders and PARAM_ERROR without a matching mchid', async () => {
    const missing = await call('GET', `/v3/pay/transactions/out-trade-no/NOPE?mchid=${MCH}`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'ORDER_NOT_EXIST' });
    expect((await call('GET', `/v3/pay/transactions/id/4200000000000000000000000000?mchid=${MCH}`)).status).toBe(404);
    const noMchid = await call('GET', '/v3/pay/transactions/out-trade-no/J1');
    expect(noMchid.status).toBe(400);
    expect(noMchid.json).toMatchObject({ code: 'PARAM_ERROR', detail: { field: 'mchid', location: 'query' } });
    const otherMchid = await call('GET', `/v3/pay/transactions/out-trade-no/J1?mchid=${CERT_MCH}`);
    expect(otherMchid.status).toBe(400);
  });

  it('does not show one merchant the orders of another', async () => {
    const res = await v3(sim.url, 'GET', `/v3/pay/transactions/out-trade-no/J1?mchid=${CERT_MCH}`, undefined, {
      mchid: CERT_MCH,
      keys: certKeys,
    });
    expect(res.status).toBe(404);
  });

  it('closes an unpaid order with 204 and a signed empty body; a closed order cannot be placed again', async () => {
    await call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('C1'));
    const res = await call('POST', '/v3/pay/transactions/out-trade-no/C1/close', { mchid: MCH });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectSigned(res);
    expect((await sim.order('C1')).tradeState).toBe('CLOSED');
    const query = await call('GET', `/v3/pay/transactions/out-trade-no/C1?mchid=${MCH}`);
    expect(query.json).toMatchObject({ trade_state: 'CLOSED' });
    expect((await call('POST', '/v3/pay/transactions/out-trade-no/C1/close', { mchid: MCH })).status).toBe(204);
    const reorder = await call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('C1'));
    expect(reorder.status).toBe(400);
    expect(reorder.json).toMatchObject({ code: 'ORDER_CLOSED' });
  });

  it('refuses to close a paid order or an unknown one, and needs mchid in the body', async () => {
    await call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('C2'));
    await sim.pay('C2', { notify: false });
    const paid = await call('POST', '/v3/pay/transactions/out-trade-no/C2/close', { mchid: MCH });
    expect(paid.status).toBe(400);
    expect(paid.json).toMatchObject({ code: 'INVALID_REQUEST' });
    expect((await sim.order('C2')).tradeState).toBe('SUCCESS');
    expect((await call('POST', '/v3/pay/transactions/out-trade-no/NOPE/close', { mchid: MCH })).status).toBe(404);
    const noMchid = await call('POST', '/v3/pay/transactions/out-trade-no/C2/close', {});
    expect(noMchid.json).toMatchObject({ code: 'PARAM_ERROR', detail: { field: 'mchid' } });
  });

  it('shares order state with the v2 side: a v2 order number cannot be reused through v3', async () => {
    const order = await call('POST', '/v3/pay/transactions/native', { ...jsapiOrder('S1'), payer: undefined });
    expect(order.status).toBe(200);
    await sim.pay('S1', { notify: false });
    const again = await call('POST', '/v3/pay/transactions/native', { ...jsapiOrder('S1'), payer: undefined });
    expect(again.json).toMatchObject({ code: 'INVALID_REQUEST', message: '该订单已支付' });
  });
});

describe('v3 refunds', () => {
  async function paidOrder(no: string): Promise<string> {
    await call('POST', '/v3/pay/transactions/jsapi', jsapiOrder(no));
    return (await sim.pay(no, { notify: false })).transactionId!;
  }
  const refundBody = (no: string, refund: number, extra: Record<string, unknown> = {}) => ({
    out_trade_no: no,
    out_refund_no: `${no}-R${refund}`,
    reason: '商品已售完',
    amount: { refund, total: 100, currency: 'CNY' },
    ...extra,
  });

  it('refunds, answers the refund object, and queries it', async () => {
    const transactionId = await paidOrder('R1');
    const res = await call('POST', '/v3/refund/domestic/refunds', refundBody('R1', 30));
    expect(res.status).toBe(200);
    expectSigned(res);
    expect(res.json).toMatchObject({
      refund_id: expect.stringMatching(/^\d{29}$/),
      out_refund_no: 'R1-R30',
      transaction_id: transactionId,
      out_trade_no: 'R1',
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      status: 'PROCESSING',
      funds_account: 'UNSETTLED',
      amount: { total: 100, refund: 30, payer_total: 100, payer_refund: 30, currency: 'CNY' },
    });
    expect(res.json!['create_time']).toMatch(/\+08:00$/);
    const query = await call('GET', '/v3/refund/domestic/refunds/R1-R30');
    expect(query.status).toBe(200);
    expectSigned(query);
    expect(query.json).toMatchObject({
      refund_id: res.json!['refund_id'],
      status: 'SUCCESS',
      success_time: expect.stringMatching(/\+08:00$/),
    });
    const refund = await sim.refund('R1-R30');
    expect(refund).toMatchObject({ apiVersion: 'v3', source: 'api', refundFee: 30, refundDesc: '商品已售完', status: 'SUCCESS' });
    expect((await sim.order('R1')).tradeState).toBe('REFUND');
  });

  it('refunds by transaction_id, and answers a repeated out_refund_no with the same refund', async () => {
    const transactionId = await paidOrder('R2');
    const body = {
      transaction_id: transactionId,
      out_refund_no: 'R2-A',
      amount: { refund: 10, total: 100, currency: 'CNY' },
      funds_account: 'AVAILABLE',
    };
    const first = await call('POST', '/v3/refund/domestic/refunds', body);
    expect(first.json).toMatchObject({ out_trade_no: 'R2', funds_account: 'AVAILABLE' });
    const again = await call('POST', '/v3/refund/domestic/refunds', body);
    expect(again.json!['refund_id']).toBe(first.json!['refund_id']);
    expect(await sim.refunds({ outTradeNo: 'R2' })).toHaveLength(1);
    const changed = await call('POST', '/v3/refund/domestic/refunds', { ...body, amount: { refund: 11, total: 100, currency: 'CNY' } });
    expect(changed.status).toBe(400);
    expect(changed.json).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('answers NOT_ENOUGH, INVALID_REQUEST, RESOURCE_NOT_EXISTS and PARAM_ERROR', async () => {
    await paidOrder('R3');
    expect((await call('POST', '/v3/refund/domestic/refunds', refundBody('R3', 80))).status).toBe(200);
    const tooMuch = await call('POST', '/v3/refund/domestic/refunds', refundBody('R3', 30));
    expect(tooMuch.status).toBe(403);
    expect(tooMuch.json).toMatchObject({ code: 'NOT_ENOUGH' });
    const wrongTotal = await call(
      'POST',
      '/v3/refund/domestic/refunds',
      refundBody('R3', 5, { amount: { refund: 5, total: 99, currency: 'CNY' } }),
    );
    expect(wrongTotal.status).toBe(400);
    expect(wrongTotal.json).toMatchObject({ code: 'INVALID_REQUEST' });
    const unknown = await call('POST', '/v3/refund/domestic/refunds', refundBody('NOPE', 5));
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'RESOURCE_NOT_EXISTS' });
    await call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('R4'));
    expect((await call('POST', '/v3/refund/domestic/refunds', refundBody('R4', 5))).status).toBe(404);
    const noCurrency = await call('POST', '/v3/refund/domestic/refunds', refundBody('R3', 5, { amount: { refund: 5, total: 100 } }));
    expect(noCurrency.json).toMatchObject({ code: 'PARAM_ERROR', detail: { field: 'amount/currency' } });
    const noOrder = await call('POST', '/v3/refund/domestic/refunds', {
      out_refund_no: 'X',
      amount: { refund: 1, total: 100, currency: 'CNY' },
    });
    expect(noOrder.json).toMatchObject({ code: 'PARAM_ERROR' });
    const missing = await call('GET', '/v3/refund/domestic/refunds/NOPE');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'RESOURCE_NOT_EXISTS' });
  });
});

describe('v3 request signatures', () => {
  const order = (no: string) => jsapiOrder(no);

  async function expectSignError(res: V3Result): Promise<void> {
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code: 'SIGN_ERROR', message: expect.any(String) });
    expectSigned(res, res.headers['wechatpay-serial'] as string);
  }

  it('refuses a tampered body and echoes the message it rebuilt', async () => {
    const res = await call('POST', '/v3/pay/transactions/jsapi', order('T1'), { signedBody: JSON.stringify(order('T0')) });
    await expectSignError(res);
    const info = (res.json!['detail'] as { sign_information: Record<string, unknown> }).sign_information;
    expect(info).toMatchObject({ method: 'POST', url: '/v3/pay/transactions/jsapi' });
    expect(info['truncated_sign_message']).toMatch(/^POST\n\/v3\/pay\/transactions\/jsapi\n\d+\n[0-9A-F]+\n\{/);
    expect(await sim.orders({ mchId: MCH })).not.toContainEqual(expect.objectContaining({ outTradeNo: 'T1' }));
  });

  it('refuses a signature over another URL, e.g. without the query', async () => {
    await expectSignError(
      await call('GET', `/v3/pay/transactions/out-trade-no/J1?mchid=${MCH}`, undefined, {
        signedUrl: '/v3/pay/transactions/out-trade-no/J1',
      }),
    );
  });

  it('refuses a wrong serial number, an unknown merchant, a v2-only merchant and a foreign key', async () => {
    await expectSignError(await call('POST', '/v3/pay/transactions/jsapi', order('T2'), { serialNo: certKeys.serialNo }));
    await expectSignError(await call('POST', '/v3/pay/transactions/jsapi', order('T3'), { mchid: '1999999999' }));
    await expectSignError(await call('POST', '/v3/pay/transactions/jsapi', order('T4'), { mchid: V2_MCH }));
    await expectSignError(
      await call('POST', '/v3/pay/transactions/jsapi', order('T5'), { keys: { ...certKeys, serialNo: keys.serialNo } }),
    );
  });

  it('refuses missing and malformed Authorization headers, and probe signatures', async () => {
    await expectSignError(await call('POST', '/v3/pay/transactions/jsapi', order('T6'), { authorization: null }));
    await expectSignError(await call('POST', '/v3/pay/transactions/jsapi', order('T7'), { authorization: 'Bearer x' }));
    await expectSignError(
      await call('POST', '/v3/pay/transactions/jsapi', order('T8'), {
        authorization: `WECHATPAY2-SHA256-RSA2048 mchid="${MCH}",serial_no="${keys.serialNo}"`,
      }),
    );
    const ts = Math.floor(Date.now() / 1000);
    await expectSignError(
      await call('POST', '/v3/pay/transactions/jsapi', order('T9'), {
        authorization: `WECHATPAY2-SHA256-RSA2048 mchid="${MCH}",nonce_str="n",timestamp="${ts}",serial_no="${keys.serialNo}",signature="WECHATPAY/SIGNTEST/AAAA"`,
      }),
    );
  });

  it('accepts timestamps within five minutes either way and refuses older or newer ones', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await call('POST', '/v3/pay/transactions/jsapi', order('W1'), { timestamp: now - 290 })).status).toBe(200);
    expect((await call('POST', '/v3/pay/transactions/jsapi', order('W2'), { timestamp: now + 290 })).status).toBe(200);
    await expectSignError(await call('POST', '/v3/pay/transactions/jsapi', order('W3'), { timestamp: now - 320 }));
    await expectSignError(await call('POST', '/v3/pay/transactions/jsapi', order('W4'), { timestamp: now + 320 }));
  });

  it('accepts the pairs in any order', async () => {
    const { authorization } = await import('./v3-helpers.js');
    const body = JSON.stringify(order('O1'));
    const header = authorization('POST', '/v3/pay/transactions/jsapi', body, { mchid: MCH, keys });
    const [scheme, pairs] = [header.slice(0, 25), header.slice(26).split(',')];
    const reordered = `${scheme} ${[...pairs].reverse().join(',')}`;
    expect((await call('POST', '/v3/pay/transactions/jsapi', body, { authorization: reordered })).status).toBe(200);
  });

  it('answers 404 for paths and methods it does not serve', async () => {
    const res = await call('GET', '/v3/pay/transactions/jsapi');
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ code: 'RESOURCE_NOT_EXISTS' });
    expect((await call('POST', '/v3/nothing/here', {})).status).toBe(404);
  });

  it('answers SYSTEM_ERROR and drops connections on injected faults', async () => {
    await sim.addFault({ kind: 'systemerror', path: '/v3/pay/transactions/out-trade-no/{out_trade_no}' });
    const res = await call('GET', `/v3/pay/transactions/out-trade-no/J1?mchid=${MCH}`);
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ code: 'SYSTEM_ERROR' });
    expectSigned(res);
    expect((await call('GET', `/v3/pay/transactions/out-trade-no/J1?mchid=${MCH}`)).status).toBe(200);
    await sim.addFault({ kind: 'drop', path: '/v3/pay/transactions/native' });
    await expect(call('POST', '/v3/pay/transactions/native', { ...order('D1'), payer: undefined })).rejects.toThrow();
  });
});

describe('platform certificates', () => {
  const asCert = {
    mchid: CERT_MCH,
    get keys() {
      return certKeys;
    },
  };

  async function downloaded(): Promise<{ res: V3Result; certs: Map<string, string> }> {
    const res = await v3(sim.url, 'GET', '/v3/certificates', undefined, asCert);
    expect(res.status).toBe(200);
    const certs = new Map<string, string>();
    for (const entry of res.json!['data'] as {
      serial_no: string;
      effective_time: string;
      expire_time: string;
      encrypt_certificate: { algorithm: string; ciphertext: string; nonce: string; associated_data: string };
    }[]) {
      expect(entry.encrypt_certificate).toMatchObject({ algorithm: 'AEAD_AES_256_GCM', associated_data: 'certificate' });
      const pem = decryptResource(entry.encrypt_certificate, API_V3_KEY);
      const x509 = new X509Certificate(pem);
      expect(x509.serialNumber).toBe(entry.serial_no);
      expect(x509.verify(x509.publicKey)).toBe(true);
      expect(Date.parse(entry.effective_time)).toBe(Date.parse(x509.validFrom));
      expect(Date.parse(entry.expire_time)).toBe(Date.parse(x509.validTo));
      certs.set(entry.serial_no, pem);
    }
    return { res, certs };
  }

  it("signs a platform-certificate merchant's replies with the certificate /v3/certificates hands out", async () => {
    const { res, certs } = await downloaded();
    expect(certs.size).toBe(1);
    const [serial] = [...certs.keys()];
    expect(serial).toMatch(/^[0-9A-F]{40}$/);
    expect(res.headers['wechatpay-serial']).toBe(serial);
    expect(verifyWechatpay(res.headers, res.text, certs)).toBe(true);
    expect(verifyWechatpay(res.headers, res.text, new Map([[serial!, wechatpay.publicKey]]))).toBe(false);
    expect((await sim.wechatpayKeys()).platformCertificates.map((c) => c.serialNo)).toEqual([serial]);
  });

  it('rotates: the new certificate signs from then on, the old one stays listed until retired', async () => {
    const before = await downloaded();
    const [oldSerial] = [...before.certs.keys()];
    const rotated = await sim.rotatePlatformCertificate();
    expect(rotated.serialNo).not.toBe(oldSerial);
    expect(rotated.active).toBe(true);
    const after = await downloaded();
    expect([...after.certs.keys()]).toEqual([oldSerial, rotated.serialNo]);
    expect(after.res.headers['wechatpay-serial']).toBe(rotated.serialNo);
    expect(verifyWechatpay(after.res.headers, after.res.text, after.certs)).toBe(true);
    expect(verifyWechatpay(after.res.headers, after.res.text, before.certs)).toBe(false);
    // The public-key merchant is not affected.
    const pk = await call('GET', `/v3/pay/transactions/out-trade-no/J1?mchid=${MCH}`);
    expectSigned(pk);

    const retired = await sim.rotatePlatformCertificate({ retirePrevious: true });
    const last = await downloaded();
    expect([...last.certs.keys()]).toEqual([retired.serialNo]);
    expect((await sim.wechatpayKeys()).platformCertificates).toEqual([
      expect.objectContaining({ serialNo: retired.serialNo, active: true }),
    ]);
  });
});
