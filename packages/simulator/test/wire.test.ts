import { gunzipSync } from 'node:zlib';
import { buildXml, sign, verifySign } from '@wxpay-kit/core/protocol';
import { compactDate, compactTime } from '../src/ids.js';
import { startSimulator, ERROR_HEADER, type RunningSimulator, type SimulatorMerchant } from '@wxpay-kit/simulator';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { orderFields, wx } from './helpers.js';

let sim: RunningSimulator;
let m: SimulatorMerchant;
let seq = 0;
const nextNo = (): string => `T${Date.now()}${++seq}`;
const call = (path: string, fields: Record<string, string | number | undefined>, opts?: Parameters<typeof wx>[4]) =>
  wx(sim.url, path, m, fields, opts);

beforeAll(async () => {
  sim = await startSimulator({ port: 0, merchants: [{ mchId: '1900000109', apiKey: 'k'.repeat(32), appIds: ['wx1111', 'wx2222'] }] });
  m = sim.merchants[0]!;
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

function expectReturnFail(res: Awaited<ReturnType<typeof wx>>, code: string): void {
  expect(res.xml['return_code']).toBe('FAIL');
  expect(res.xml['sign']).toBeUndefined();
  expect(res.xml['result_code']).toBeUndefined();
  expect(res.headers[ERROR_HEADER]).toBe(code);
}

function expectSigned(res: Awaited<ReturnType<typeof wx>>, key = m.apiKey): void {
  expect(res.xml['return_code']).toBe('SUCCESS');
  expect(verifySign(res.xml, key)).toBe(true);
}

async function createOrder(overrides: Record<string, string | number | undefined> = {}) {
  const no = nextNo();
  const res = await call('/pay/unifiedorder', orderFields(no, overrides));
  expectSigned(res);
  expect(res.xml['result_code']).toBe('SUCCESS');
  return { no, res };
}

describe('validation order (spec §11)', () => {
  it('answers REQUIRE_POST_METHOD to a GET', async () => {
    expectReturnFail(await call('/pay/unifiedorder', {}, { method: 'GET' }), 'REQUIRE_POST_METHOD');
  });

  it('answers POST_DATA_EMPTY to an empty body', async () => {
    expectReturnFail(await call('/pay/orderquery', {}, { raw: '' }), 'POST_DATA_EMPTY');
  });

  it('answers NOT_UTF8 to bytes that are not UTF-8', async () => {
    const raw = Buffer.concat([Buffer.from('<xml><body>'), Buffer.from([0xc3, 0x28]), Buffer.from('</body></xml>')]);
    expectReturnFail(await call('/pay/orderquery', {}, { raw }), 'NOT_UTF8');
  });

  it('answers XML_FORMAT_ERROR to malformed and hostile XML', async () => {
    expectReturnFail(await call('/pay/orderquery', {}, { raw: '<xml><appid>wx1111</xml>' }), 'XML_FORMAT_ERROR');
    const xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><appid>&e;</appid></xml>';
    expectReturnFail(await call('/pay/orderquery', {}, { raw: xxe }), 'XML_FORMAT_ERROR');
    expectReturnFail(await call('/pay/orderquery', {}, { raw: 'not xml at all' }), 'XML_FORMAT_ERROR');
  });

  it('refuses an oversized body with an XML answer and keeps serving', async () => {
    const raw = `<xml><body>${'a'.repeat(200 * 1024)}</body></xml>`;
    const res = await call('/pay/unifiedorder', {}, { raw });
    expectReturnFail(res, 'XML_FORMAT_ERROR');
    const { res: ok } = await createOrder();
    expect(ok.xml['prepay_id']).toBeDefined();
  });

  it('answers LACK_PARAMS for a missing field before looking at the signature', async () => {
    const res = await call('/pay/unifiedorder', orderFields(nextNo(), { body: undefined }), { key: 'wrong' });
    expectReturnFail(res, 'LACK_PARAMS');
    expect(res.xml['return_msg']).toContain('body');
    expectReturnFail(await call('/pay/orderquery', {}), 'LACK_PARAMS');
  });

  it('answers PARAM_ERROR for malformed fields', async () => {
    expectReturnFail(await call('/pay/unifiedorder', orderFields(nextNo(), { total_fee: '1.50' })), 'PARAM_ERROR');
    expectReturnFail(await call('/pay/unifiedorder', orderFields('bad no!')), 'PARAM_ERROR');
    expectReturnFail(await call('/pay/unifiedorder', orderFields('x'.repeat(33))), 'PARAM_ERROR');
    expectReturnFail(await call('/pay/unifiedorder', orderFields(nextNo(), { trade_type: 'CARD' })), 'PARAM_ERROR');
    expectReturnFail(await call('/pay/unifiedorder', orderFields(nextNo(), { notify_url: 'http://a.test/n?x=1' })), 'PARAM_ERROR');
    expectReturnFail(await call('/pay/unifiedorder', orderFields(nextNo(), { spbill_create_ip: 'localhost' })), 'PARAM_ERROR');
    expectReturnFail(await call('/pay/orderquery', { out_trade_no: 'A', sign_type: 'SHA1' }), 'PARAM_ERROR');
  });

  it('answers MCHID_NOT_EXIST for an unknown merchant', async () => {
    const stranger = { ...m, mchId: '1234567890' };
    expectReturnFail(await wx(sim.url, '/pay/orderquery', stranger, { out_trade_no: 'A' }), 'MCHID_NOT_EXIST');
  });

  it('answers APPID_MCHID_NOT_MATCH for an app id not bound to the merchant', async () => {
    expectReturnFail(await call('/pay/orderquery', { appid: 'wx9999', out_trade_no: 'A' }), 'APPID_MCHID_NOT_MATCH');
  });

  it('answers SIGNERROR for a wrong key, a missing sign or an algorithm other than sign_type', async () => {
    expectReturnFail(await call('/pay/orderquery', { out_trade_no: 'A' }, { key: 'x'.repeat(32) }), 'SIGNERROR');
    expectReturnFail(await call('/pay/orderquery', { out_trade_no: 'A' }, { key: null }), 'LACK_PARAMS');
    // Signed with HMAC-SHA256 but sign_type absent: WeChat reads that as MD5.
    const fields = { appid: 'wx1111', mch_id: m.mchId, nonce_str: 'abc', out_trade_no: 'A' };
    const raw = `<xml>${Object.entries({ ...fields, sign: sign(fields, m.apiKey, 'HMAC-SHA256') })
      .map(([k, v]) => `<${k}>${v}</${k}>`)
      .join('')}</xml>`;
    expectReturnFail(await call('/pay/orderquery', {}, { raw }), 'SIGNERROR');
  });

  it('answers 404 on paths WeChat does not serve', async () => {
    const res = await request(`${sim.url}/pay/nothing`, { method: 'POST', body: '<xml/>' });
    expect(res.statusCode).toBe(404);
    await res.body.dump();
  });
});

describe('/pay/unifiedorder', () => {
  it('creates a NATIVE order with prepay_id and code_url, signed with MD5', async () => {
    const { res } = await createOrder();
    expect(res.xml['prepay_id']).toMatch(/^wx\d{14}[0-9a-f]{20}$/);
    expect(res.xml['code_url']).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=\w{7}$/);
    expect(res.xml['mweb_url']).toBeUndefined();
    expect(res.xml['trade_type']).toBe('NATIVE');
    expect(res.xml['sign']).toHaveLength(32);
    expect(res.xml['nonce_str']).not.toBe('n0nce5tr1ng');
  });

  it('signs the reply with HMAC-SHA256 when the request did', async () => {
    const res = await call('/pay/unifiedorder', orderFields(nextNo()), { signType: 'HMAC-SHA256' });
    expect(res.xml['result_code']).toBe('SUCCESS');
    expect(res.xml['sign']).toHaveLength(64);
    expect(verifySign(res.xml, m.apiKey)).toBe(true);
  });

  it('returns mweb_url for MWEB and nothing extra for APP and JSAPI', async () => {
    const mweb = await createOrder({ trade_type: 'MWEB', product_id: undefined, scene_info: '{"h5_info":{"type":"Wap"}}' });
    expect(mweb.res.xml['mweb_url']).toContain(`prepay_id=${mweb.res.xml['prepay_id']}`);
    expect(mweb.res.xml['code_url']).toBeUndefined();
    const app = await createOrder({ trade_type: 'APP', product_id: undefined });
    expect(app.res.xml['code_url'] ?? app.res.xml['mweb_url']).toBeUndefined();
    const jsapi = await createOrder({ trade_type: 'JSAPI', product_id: undefined, openid: 'oUser' });
    expect(jsapi.res.xml['prepay_id']).toBeDefined();
  });

  it('answers PARAM_ERROR (signed) when a trade type misses its field', async () => {
    for (const [type, extra] of [
      ['JSAPI', {}],
      ['NATIVE', { product_id: undefined }],
      ['MWEB', { product_id: undefined }],
    ] as const) {
      const res = await call(
        '/pay/unifiedorder',
        orderFields(nextNo(), { trade_type: type, ...extra, ...(type === 'JSAPI' && { product_id: undefined }) }),
      );
      expectSigned(res);
      expect(res.xml['result_code']).toBe('FAIL');
      expect(res.xml['err_code']).toBe('PARAM_ERROR');
    }
  });

  it('returns the same prepay_id for an identical re-submission and OUT_TRADE_NO_USED for a changed one', async () => {
    const { no, res } = await createOrder();
    const again = await call('/pay/unifiedorder', orderFields(no, { spbill_create_ip: '10.0.0.1' }));
    expect(again.xml['prepay_id']).toBe(res.xml['prepay_id']);
    expect(again.xml['code_url']).toBe(res.xml['code_url']);
    const changed = await call('/pay/unifiedorder', orderFields(no, { total_fee: 101 }));
    expectSigned(changed);
    expect(changed.xml['err_code']).toBe('OUT_TRADE_NO_USED');
  });

  it('answers ORDERPAID for a paid order and ORDERCLOSED for a closed one', async () => {
    const paid = await createOrder();
    await sim.pay(paid.no, { notify: false });
    expect((await call('/pay/unifiedorder', orderFields(paid.no))).xml['err_code']).toBe('ORDERPAID');
    const closed = await createOrder();
    await call('/pay/closeorder', { out_trade_no: closed.no });
    expect((await call('/pay/unifiedorder', orderFields(closed.no))).xml['err_code']).toBe('ORDERCLOSED');
  });

  it('closes an order once its time_expire has passed', async () => {
    const { no } = await createOrder({ time_expire: compactTime(Date.now() + 120_000) });
    expect((await sim.order(no)).expiresAt).toBeGreaterThan(Date.now());
    const tooShort = await call('/pay/unifiedorder', orderFields(nextNo(), { time_expire: compactTime(Date.now() + 10_000) }));
    expect(tooShort.xml['err_code']).toBe('PARAM_ERROR');
  });
});

describe('/pay/orderquery', () => {
  it('answers ORDERNOTEXIST for an unknown order', async () => {
    const res = await call('/pay/orderquery', { out_trade_no: 'nope' });
    expectSigned(res);
    expect(res.xml['result_code']).toBe('FAIL');
    expect(res.xml['err_code']).toBe('ORDERNOTEXIST');
  });

  it('reports NOTPAY, then SUCCESS with payment fields, also by transaction_id', async () => {
    const { no } = await createOrder({ attach: 'a&b' });
    const before = await call('/pay/orderquery', { out_trade_no: no });
    expectSigned(before);
    expect(before.xml).toMatchObject({ trade_state: 'NOTPAY', out_trade_no: no, attach: 'a&b' });
    expect(before.xml['transaction_id']).toBeUndefined();
    const order = await sim.pay(no, { openId: 'oPayer', bankType: 'CMC', coupons: [{ fee: 10, type: 'CASH' }], notify: false });
    const after = await call('/pay/orderquery', { out_trade_no: no });
    expectSigned(after);
    expect(after.xml).toMatchObject({
      trade_state: 'SUCCESS',
      openid: 'oPayer',
      bank_type: 'CMC',
      total_fee: '100',
      cash_fee: '90',
      coupon_fee: '10',
      coupon_count: '1',
      coupon_fee_0: '10',
      coupon_type_0: 'CASH',
      transaction_id: order.transactionId,
      attach: 'a&b',
    });
    expect(after.xml['transaction_id']).toMatch(/^42000\d{23}$/);
    expect(after.xml['time_end']).toMatch(/^\d{14}$/);
    const byTx = await call('/pay/orderquery', { transaction_id: order.transactionId, out_trade_no: 'ignored' });
    expect(byTx.xml['out_trade_no']).toBe(no);
  });
});

describe('/pay/closeorder', () => {
  it('closes an unpaid order once, then answers ORDERCLOSED', async () => {
    const { no } = await createOrder();
    const res = await call('/pay/closeorder', { out_trade_no: no });
    expectSigned(res);
    expect(res.xml['result_code']).toBe('SUCCESS');
    expect((await call('/pay/orderquery', { out_trade_no: no })).xml['trade_state']).toBe('CLOSED');
    expect((await call('/pay/closeorder', { out_trade_no: no })).xml['err_code']).toBe('ORDERCLOSED');
  });

  it('refuses to close a paid order (ORDERPAID) and an unknown one (ORDERNOTEXIST)', async () => {
    const { no } = await createOrder();
    await sim.pay(no, { notify: false });
    expect((await call('/pay/closeorder', { out_trade_no: no })).xml['err_code']).toBe('ORDERPAID');
    expect((await call('/pay/closeorder', { out_trade_no: 'nope' })).xml['err_code']).toBe('ORDERNOTEXIST');
  });
});

describe('/secapi/pay/refund and /pay/refundquery', () => {
  const refund = (no: string, outRefundNo: string, refundFee: number, totalFee = 100) =>
    call('/secapi/pay/refund', { out_trade_no: no, out_refund_no: outRefundNo, total_fee: totalFee, refund_fee: refundFee });

  it('answers ORDERNOTEXIST for unpaid and unknown orders', async () => {
    const { no } = await createOrder();
    expect((await refund(no, `${no}R`, 10)).xml['err_code']).toBe('ORDERNOTEXIST');
    expect((await refund('nope', 'nopeR', 10)).xml['err_code']).toBe('ORDERNOTEXIST');
  });

  it('accepts partial refunds up to the paid amount, then answers NOTENOUGH', async () => {
    const { no } = await createOrder();
    await sim.pay(no, { notify: false });
    const first = await refund(no, `${no}R1`, 60);
    expectSigned(first);
    expect(first.xml).toMatchObject({
      result_code: 'SUCCESS',
      out_refund_no: `${no}R1`,
      refund_fee: '60',
      total_fee: '100',
      cash_refund_fee: '60',
    });
    expect(first.xml['refund_id']).toMatch(/^50000\d{24}$/);
    expect((await refund(no, `${no}R2`, 40)).xml['result_code']).toBe('SUCCESS');
    const over = await refund(no, `${no}R3`, 1);
    expectSigned(over);
    expect(over.xml['err_code']).toBe('NOTENOUGH');
    expect((await call('/pay/orderquery', { out_trade_no: no })).xml['trade_state']).toBe('REFUND');
  });

  it('splits a refund of a coupon-paid order between cash and each coupon', async () => {
    const { no } = await createOrder({ total_fee: 1000 });
    await sim.pay(no, {
      notify: false,
      coupons: [
        { fee: 100, id: 'A' },
        { fee: 200, id: 'B', type: 'NO_CASH' },
      ],
    });
    const res = await refund(no, `${no}R`, 500, 1000);
    expectSigned(res);
    expect(res.xml).toMatchObject({
      refund_fee: '500',
      cash_refund_fee: '350',
      coupon_refund_fee: '150',
      coupon_refund_count: '2',
      coupon_refund_id_0: 'A',
      coupon_refund_fee_0: '50',
      coupon_type_1: 'NO_CASH',
      coupon_refund_fee_1: '100',
      settlement_refund_fee: '400',
      settlement_total_fee: '800',
    });
    const q = await call('/pay/refundquery', { out_refund_no: `${no}R` });
    expect(q.xml).toMatchObject({
      coupon_refund_fee_0: '150',
      coupon_refund_count_0: '2',
      coupon_refund_id_0_1: 'B',
      coupon_refund_fee_0_1: '100',
    });
  });

  it('answers INVALID_REQUEST for a wrong total_fee or a refund above the paid amount', async () => {
    const { no } = await createOrder();
    await sim.pay(no, { notify: false });
    expect((await refund(no, `${no}R1`, 10, 99)).xml['err_code']).toBe('INVALID_REQUEST');
    expect((await refund(no, `${no}R2`, 101)).xml['err_code']).toBe('INVALID_REQUEST');
  });

  it('is idempotent on out_refund_no and refuses the same number with other amounts', async () => {
    const { no } = await createOrder();
    await sim.pay(no, { notify: false });
    const first = await refund(no, `${no}R`, 30);
    const again = await refund(no, `${no}R`, 30);
    expect(again.xml['refund_id']).toBe(first.xml['refund_id']);
    expect((await sim.refunds({ outTradeNo: no })).length).toBe(1);
    expect((await refund(no, `${no}R`, 31)).xml['err_code']).toBe('INVALID_REQUEST');
  });

  it('reports refunds by out_refund_no, refund_id, out_trade_no and transaction_id', async () => {
    const { no } = await createOrder();
    const order = await sim.pay(no, { notify: false });
    const r1 = await refund(no, `${no}R1`, 10);
    await refund(no, `${no}R2`, 20);
    const one = await call('/pay/refundquery', { out_refund_no: `${no}R1` });
    expectSigned(one);
    expect(one.xml).toMatchObject({
      refund_count: '1',
      out_refund_no_0: `${no}R1`,
      refund_fee_0: '10',
      refund_status_0: 'SUCCESS',
      refund_channel_0: 'ORIGINAL',
      refund_recv_accout_0: '支付用户零钱',
      transaction_id: order.transactionId,
    });
    expect(one.xml['refund_success_time_0']).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect((await call('/pay/refundquery', { refund_id: r1.xml['refund_id'] })).xml['out_refund_no_0']).toBe(`${no}R1`);
    const all = await call('/pay/refundquery', { out_trade_no: no });
    expect(all.xml).toMatchObject({ refund_count: '2', out_refund_no_1: `${no}R2`, refund_fee_1: '20' });
    expect((await call('/pay/refundquery', { transaction_id: order.transactionId })).xml['refund_count']).toBe('2');
    const paged = await call('/pay/refundquery', { out_trade_no: no, offset: 1 });
    expect(paged.xml).toMatchObject({ total_refund_count: '2', refund_count: '1', out_refund_no_0: `${no}R2` });
    const missing = await call('/pay/refundquery', { out_refund_no: 'nope' });
    expectSigned(missing);
    expect(missing.xml['err_code']).toBe('REFUNDNOTEXIST');
  });

  it('keeps a refund PROCESSING in manual mode until a control call finishes it', async () => {
    await sim.updateSettings({ refunds: 'manual' });
    try {
      const { no } = await createOrder();
      await sim.pay(no, { notify: false });
      await refund(no, `${no}R1`, 50);
      await refund(no, `${no}R2`, 50);
      const status = async (n: string) => (await call('/pay/refundquery', { out_refund_no: n })).xml['refund_status_0'];
      expect(await status(`${no}R1`)).toBe('PROCESSING');
      await sim.completeRefund(`${no}R1`);
      expect(await status(`${no}R1`)).toBe('SUCCESS');
      await sim.closeRefund(`${no}R2`);
      expect(await status(`${no}R2`)).toBe('REFUNDCLOSE');
      // A closed refund gives its amount back.
      expect((await refund(no, `${no}R3`, 50)).xml['result_code']).toBe('SUCCESS');
      await sim.failRefund(`${no}R3`);
      expect(await status(`${no}R3`)).toBe('CHANGE');
      await expect(sim.failRefund(`${no}R1`)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    } finally {
      await sim.updateSettings({ refunds: 'auto' });
    }
  });
});

describe('/pay/downloadbill', () => {
  it('answers No Bill Exist (20002) for a day without trades, and invalid bill_type', async () => {
    const res = await call('/pay/downloadbill', { bill_date: '20000101' });
    expect(res.xml).toMatchObject({ return_code: 'FAIL', return_msg: 'No Bill Exist', error_code: '20002' });
    expect(res.xml['sign']).toBeUndefined();
    const bad = await call('/pay/downloadbill', { bill_date: '20000101', bill_type: 'EVERYTHING' });
    expect(bad.xml).toMatchObject({ return_code: 'FAIL', return_msg: 'invalid bill_type' });
  });

  it('lists payments and refunds of the day in WeChat text format, plain or gzip', async () => {
    const fresh = await startSimulator({ port: 0, merchants: [{ mchId: m.mchId, apiKey: m.apiKey, appIds: [...m.appIds] }] });
    try {
      const no = nextNo();
      await wx(fresh.url, '/pay/unifiedorder', m, orderFields(no, { total_fee: 250, body: 'Tea, green', attach: 'x' }));
      const paid = await fresh.pay(no, { notify: false });
      await wx(fresh.url, '/secapi/pay/refund', m, { out_trade_no: no, out_refund_no: `${no}R`, total_fee: 250, refund_fee: 50 });
      const day = compactDate(paid.paidAt!);
      const res = await wx(fresh.url, '/pay/downloadbill', m, { bill_date: day, bill_type: 'ALL' });
      expect(res.status).toBe(200);
      const lines = res.text.trimEnd().split('\r\n');
      expect(lines).toHaveLength(5);
      expect(lines[0]!.split(',')).toHaveLength(27);
      expect(lines[0]!.startsWith('交易时间,公众账号ID,商户号')).toBe(true);
      const payRow = lines[1]!.split(',');
      expect(payRow.every((c) => c.startsWith('`'))).toBe(true);
      expect(payRow[5]).toBe(`\`${paid.transactionId}`);
      expect(payRow[6]).toBe(`\`${no}`);
      expect(payRow[9]).toBe('`SUCCESS');
      expect(payRow[12]).toBe('`2.50');
      expect(payRow[20]).toBe('`Tea， green');
      const refundRow = lines[2]!.split(',');
      expect(refundRow[9]).toBe('`REFUND');
      expect(refundRow[16]).toBe('`0.50');
      expect(lines[3]).toBe('总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额');
      expect(lines[4]!.split(',').slice(0, 3)).toEqual(['`2', '`2.50', '`0.50']);
      const success = await wx(fresh.url, '/pay/downloadbill', m, { bill_date: day, bill_type: 'SUCCESS' });
      expect(success.text.trimEnd().split('\r\n')).toHaveLength(4);
      const gz = await request(`${fresh.url}/pay/downloadbill`, {
        method: 'POST',
        body: buildXml(signedBill(day)),
      });
      expect(gz.headers['content-type']).toBe('application/x-gzip');
      expect(gunzipSync(Buffer.from(await gz.body.arrayBuffer())).toString('utf8')).toBe(res.text);
    } finally {
      await fresh.close();
    }
  });

  function signedBill(day: string): Record<string, string> {
    const f: Record<string, string> = { appid: m.appIds[0]!, mch_id: m.mchId, nonce_str: 'abc', bill_date: day, tar_type: 'GZIP' };
    return { ...f, sign: sign(f, m.apiKey) };
  }
});

describe('sandbox (/sandboxnew)', () => {
  it('hands out the sandbox key for a call signed with the production key', async () => {
    const res = await wx(sim.url, '/sandboxnew/pay/getsignkey', m, { appid: undefined });
    expect(res.xml).toMatchObject({ return_code: 'SUCCESS', mch_id: m.mchId, sandbox_signkey: m.sandboxKey });
    const wrong = await wx(sim.url, '/sandboxnew/pay/getsignkey', m, { appid: undefined }, { key: m.sandboxKey });
    expectReturnFail(wrong, 'SIGNERROR');
  });

  it('serves orders signed with the sandbox key, MD5 only, apart from production', async () => {
    const no = nextNo();
    const res = await wx(sim.url, '/sandboxnew/pay/unifiedorder', m, orderFields(no), { key: m.sandboxKey });
    expect(res.xml['result_code']).toBe('SUCCESS');
    expect(verifySign(res.xml, m.sandboxKey)).toBe(true);
    expectReturnFail(await wx(sim.url, '/sandboxnew/pay/unifiedorder', m, orderFields(nextNo())), 'SIGNERROR');
    expectReturnFail(
      await wx(sim.url, '/sandboxnew/pay/unifiedorder', m, orderFields(nextNo()), { key: m.sandboxKey, signType: 'HMAC-SHA256' }),
      'SIGNERROR',
    );
    expect((await call('/pay/orderquery', { out_trade_no: no })).xml['err_code']).toBe('ORDERNOTEXIST');
    await sim.pay(no, { environment: 'sandbox', notify: false });
    const q = await wx(sim.url, '/sandboxnew/pay/orderquery', m, { out_trade_no: no }, { key: m.sandboxKey });
    expect(q.xml['trade_state']).toBe('SUCCESS');
    for (const path of ['/sandboxnew/pay/refund', '/sandboxnew/secapi/pay/refund']) {
      const r = await wx(
        sim.url,
        path,
        m,
        { out_trade_no: no, out_refund_no: `${no}${path.length}`, total_fee: 100, refund_fee: 10 },
        { key: m.sandboxKey },
      );
      expect(r.xml['result_code']).toBe('SUCCESS');
    }
    const rq = await wx(sim.url, '/sandboxnew/pay/refundquery', m, { out_trade_no: no }, { key: m.sandboxKey });
    expect(rq.xml['refund_count']).toBe('2');
  });
});

describe('fault injection', () => {
  it('answers SYSTEMERROR for the next K calls, optionally on one path only', async () => {
    await sim.addFault({ kind: 'systemerror', times: 2, path: '/pay/orderquery' });
    const { no } = await createOrder();
    for (let i = 0; i < 2; i++) {
      const res = await call('/pay/orderquery', { out_trade_no: no });
      expectSigned(res);
      expect(res.xml).toMatchObject({ result_code: 'FAIL', err_code: 'SYSTEMERROR' });
    }
    expect((await call('/pay/orderquery', { out_trade_no: no })).xml['trade_state']).toBe('NOTPAY');
    expect(await sim.faults()).toEqual([]);
  });

  it('drops the connection without an answer', async () => {
    await sim.addFault({ kind: 'drop' });
    await expect(call('/pay/orderquery', { out_trade_no: 'A' })).rejects.toThrow();
    expect((await call('/pay/orderquery', { out_trade_no: 'A' })).xml['return_code']).toBe('SUCCESS');
  });

  it('delays an answer by N ms of the simulator clock', async () => {
    const { createSimulator, createManualClock } = await import('@wxpay-kit/simulator');
    const clock = createManualClock();
    const local = createSimulator({ clock });
    try {
      await local.addFault({ kind: 'delay', ms: 500 });
      let done = false;
      const pending = local.handle({ method: 'POST', path: '/pay/orderquery', body: '' }).then((r) => ((done = true), r));
      await Promise.resolve();
      expect(clock.nextTimerAt()).toBe(clock.now() + 500);
      clock.advance(499);
      await Promise.resolve();
      expect(done).toBe(false);
      clock.advance(1);
      const res = await pending;
      expect(res.headers[ERROR_HEADER]).toBe('POST_DATA_EMPTY');
    } finally {
      await local.close();
    }
  });
});
