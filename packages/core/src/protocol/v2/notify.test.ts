import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecryptError, SignatureError, WxPayError, XmlError } from '../../errors.js';
import { buildPayNotification, buildRefundNotifyXml, signNotifyXml } from '../../testing/index.js';
import { notifyReply, parsePayNotification, parseRefundNotification } from './notify.js';
import { encryptRefundInfo } from './refund-crypto.js';
import { buildXml, parseXml } from './xml.js';
import { PAY_NOTIFY_VECTOR } from '../../../test/helpers/v2-vectors.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const OTHER_KEY = 'ffffffffffffffffffffffffffffffff';

describe('parsePayNotification', () => {
  it('verifies the spec §7.4 vector and maps it to camelCase', () => {
    const body = buildXml({ ...PAY_NOTIFY_VECTOR, sign: '55E403DC5990FB1AE83D71CBDFA6BD48' });
    const { payment, raw, signType } = parsePayNotification(Buffer.from(body), { apiKey: KEY });
    expect(signType).toBe('MD5');
    expect(raw['sign']).toBe('55E403DC5990FB1AE83D71CBDFA6BD48');
    expect(payment).toEqual({
      appId: 'wxd930ea5d5a258f4f',
      mchId: '10000100',
      subAppId: undefined,
      subMchId: undefined,
      outTradeNo: 'T20240101000001',
      transactionId: '4200000000202401010000000001',
      totalFee: 110,
      cashFee: 100,
      settlementTotalFee: undefined,
      feeType: 'CNY',
      cashFeeType: undefined,
      couponFee: 10,
      coupons: [{ id: '10000', type: 'CASH', fee: 10 }],
      openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      subOpenId: undefined,
      isSubscribe: false,
      subIsSubscribe: undefined,
      tradeType: 'JSAPI',
      bankType: 'OTHERS',
      timeEnd: '20240101120000',
      attach: 'test-attach',
      deviceInfo: undefined,
    });
    expect(Object.isFrozen(payment)).toBe(true);
  });

  it('verifies the HMAC-SHA256 vector', () => {
    const body = buildXml({
      ...PAY_NOTIFY_VECTOR,
      sign_type: 'HMAC-SHA256',
      sign: '466567F95C2BA8D044606FB6BD63EF5598E9A8DCB59E30F967A2644056DA74FA',
    });
    expect(parsePayNotification(body, { apiKey: KEY }).signType).toBe('HMAC-SHA256');
    expect(() => parsePayNotification(body, { apiKey: KEY, accept: ['MD5'] })).toThrow(SignatureError);
  });

  it('reads several indexed coupons', () => {
    const body = signNotifyXml(
      buildPayNotification({
        total_fee: 300,
        cash_fee: 150,
        coupon_fee: 150,
        coupon_count: 3,
        coupon_id_0: 'A',
        coupon_type_0: 'CASH',
        coupon_fee_0: 100,
        coupon_id_1: 'B',
        coupon_fee_1: 30,
        coupon_id_2: 'C',
        coupon_type_2: 'NO_CASH',
        coupon_fee_2: 20,
        settlement_total_fee: 280,
      }),
      KEY,
    );
    const { payment } = parsePayNotification(body, { apiKey: KEY });
    expect(payment.coupons).toEqual([
      { id: 'A', type: 'CASH', fee: 100 },
      { id: 'B', type: undefined, fee: 30 },
      { id: 'C', type: 'NO_CASH', fee: 20 },
    ]);
    expect(payment.settlementTotalFee).toBe(280);
  });

  it('signs unknown fields too: a field added after signing fails', () => {
    const fields = buildPayNotification();
    const good = signNotifyXml(fields, KEY);
    expect(() => parsePayNotification(good, { apiKey: KEY })).not.toThrow();
    const tampered = good.replace('</xml>', '<promo>1</promo></xml>');
    expect(() => parsePayNotification(tampered, { apiKey: KEY })).toThrow(SignatureError);
  });

  it('throws SignatureError mismatch for a wrong key or an altered amount', () => {
    const body = signNotifyXml(buildPayNotification({ total_fee: 100 }), KEY);
    const e1 = catchError(() => parsePayNotification(body, { apiKey: OTHER_KEY }));
    expect(e1).toBeInstanceOf(SignatureError);
    expect((e1 as SignatureError).reason).toBe('mismatch');
    const e2 = catchError(() => parsePayNotification(body.replace('<total_fee>100<', '<total_fee>1<'), { apiKey: KEY }));
    expect((e2 as SignatureError).reason).toBe('mismatch');
    expect((e2 as Error).message).not.toContain(KEY);
  });

  it('throws SignatureError missing when there is no sign', () => {
    const e = catchError(() => parsePayNotification(buildXml(buildPayNotification()), { apiKey: KEY }));
    expect(e).toBeInstanceOf(SignatureError);
    expect((e as SignatureError).reason).toBe('missing');
  });

  it('throws XmlError for bad XML, before looking at signatures', () => {
    expect(() => parsePayNotification('<xml><a>1</xml>', { apiKey: KEY })).toThrow(XmlError);
    expect(() => parsePayNotification('<!DOCTYPE x><xml/>', { apiKey: KEY })).toThrow(XmlError);
  });

  it('throws XmlError for a signed notification with a malformed amount (never parseFloat)', () => {
    for (const bad of ['1.5', '-1', '1e3', ' 100', '0x10', '１００', '99999999999999999']) {
      const body = signNotifyXml(buildPayNotification({ total_fee: bad }), KEY);
      expect(() => parsePayNotification(body, { apiKey: KEY }), bad).toThrow(XmlError);
    }
  });

  it('throws XmlError when an announced coupon is missing, and bounds coupon_count', () => {
    const missing = signNotifyXml(buildPayNotification({ coupon_count: 2, coupon_id_0: 'A', coupon_fee_0: 1 }), KEY);
    expect(() => parsePayNotification(missing, { apiKey: KEY })).toThrow(XmlError);
    const huge = signNotifyXml(buildPayNotification({ coupon_count: 1_000_000_000 }), KEY);
    expect(() => parsePayNotification(huge, { apiKey: KEY })).toThrow(XmlError);
  });

  it('throws WxPayError for a verified FAIL notification', () => {
    const body = signNotifyXml(buildPayNotification({ result_code: 'FAIL', err_code: 'PAYERROR', err_code_des: 'x' }), KEY);
    const e = catchError(() => parsePayNotification(body, { apiKey: KEY })) as WxPayError;
    expect(e).toBeInstanceOf(WxPayError);
    expect(e.layer).toBe('result');
    expect(e.errCode).toBe('PAYERROR');
  });

  it('accepts any amount in fen it was signed with (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e12 }), (fee) => {
        const body = signNotifyXml(buildPayNotification({ total_fee: fee, cash_fee: fee }), KEY, 'HMAC-SHA256');
        expect(parsePayNotification(body, { apiKey: KEY }).payment.totalFee).toBe(fee);
      }),
      { numRuns: 50 },
    );
  });
});

describe('parseRefundNotification', () => {
  const REQ_INFO_PLAIN =
    '<root><out_refund_no><![CDATA[R20240101000001]]></out_refund_no><out_trade_no><![CDATA[T20240101000001]]></out_trade_no><refund_account><![CDATA[REFUND_SOURCE_RECHARGE_FUNDS]]></refund_account><refund_fee><![CDATA[100]]></refund_fee><refund_id><![CDATA[50000408942024010100000000001]]></refund_id><refund_recv_accout><![CDATA[支付用户零钱]]></refund_recv_accout><refund_request_source><![CDATA[API]]></refund_request_source><refund_status><![CDATA[SUCCESS]]></refund_status><settlement_refund_fee><![CDATA[100]]></settlement_refund_fee><settlement_total_fee><![CDATA[100]]></settlement_total_fee><success_time><![CDATA[2024-01-01 12:00:00]]></success_time><total_fee><![CDATA[100]]></total_fee><transaction_id><![CDATA[4200000000202401010000000001]]></transaction_id></root>';

  it('decrypts the spec §8.3 vector and maps it to camelCase', () => {
    const body = buildXml({
      return_code: 'SUCCESS',
      appid: 'wxd930ea5d5a258f4f',
      mch_id: '10000100',
      nonce_str: 'abc',
      req_info: encryptRefundInfo(REQ_INFO_PLAIN, KEY),
    });
    const { refund, info, outer } = parseRefundNotification(body, KEY);
    expect(outer['appid']).toBe('wxd930ea5d5a258f4f');
    expect(info['refund_recv_accout']).toBe('支付用户零钱');
    expect(refund).toEqual({
      appId: 'wxd930ea5d5a258f4f',
      mchId: '10000100',
      subAppId: undefined,
      subMchId: undefined,
      transactionId: '4200000000202401010000000001',
      outTradeNo: 'T20240101000001',
      refundId: '50000408942024010100000000001',
      outRefundNo: 'R20240101000001',
      totalFee: 100,
      settlementTotalFee: 100,
      refundFee: 100,
      settlementRefundFee: 100,
      refundStatus: 'SUCCESS',
      successTime: '2024-01-01 12:00:00',
      refundRecvAccount: '支付用户零钱',
      refundAccount: 'REFUND_SOURCE_RECHARGE_FUNDS',
      refundRequestSource: 'API',
    });
  });

  it('reads what buildRefundNotifyXml writes, with outer overrides', () => {
    const body = buildRefundNotifyXml({ refund_status: 'REFUNDCLOSE', refund_fee: 30 }, KEY, { sub_mch_id: '1900000109' });
    const { refund } = parseRefundNotification(Buffer.from(body), KEY);
    expect(refund.refundStatus).toBe('REFUNDCLOSE');
    expect(refund.refundFee).toBe(30);
    expect(refund.subMchId).toBe('1900000109');
  });

  it('throws DecryptError for a wrong key, a missing or a garbage req_info', () => {
    const body = buildRefundNotifyXml({}, KEY);
    expect(() => parseRefundNotification(body, OTHER_KEY)).toThrow(DecryptError);
    expect(() => parseRefundNotification(buildXml({ return_code: 'SUCCESS', appid: 'a', mch_id: 'm' }), KEY)).toThrow(DecryptError);
    expect(() => parseRefundNotification(buildXml({ return_code: 'SUCCESS', req_info: 'AAAA' }), KEY)).toThrow(DecryptError);
    const notXml = buildXml({ return_code: 'SUCCESS', appid: 'a', mch_id: 'm', req_info: encryptRefundInfo('not xml', KEY) });
    expect(() => parseRefundNotification(notXml, KEY)).toThrow(DecryptError);
  });

  it('throws XmlError for bad outer XML and for an unknown refund_status', () => {
    expect(() => parseRefundNotification('<xml>', KEY)).toThrow(XmlError);
    expect(() => parseRefundNotification(buildRefundNotifyXml({ refund_status: 'MAYBE' }, KEY), KEY)).toThrow(XmlError);
  });

  it('throws WxPayError when return_code is FAIL', () => {
    const body = buildXml({ return_code: 'FAIL', return_msg: 'nope' });
    expect(catchError(() => parseRefundNotification(body, KEY))).toBeInstanceOf(WxPayError);
  });
});

describe('notifyReply', () => {
  it('writes WeChat success and failure replies', () => {
    expect(notifyReply(true)).toBe('<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>');
    expect(notifyReply(false, 'listener failed')).toBe(
      '<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[listener failed]]></return_msg></xml>',
    );
  });

  it('keeps the reply well-formed whatever the message', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '中', ']]>', '<', '&', '\u0001', '\n'), maxLength: 30 }), (msg) => {
        const parsed = parseXml(notifyReply(false, msg));
        expect(parsed['return_code']).toBe('FAIL');
        expect(parsed['return_msg'] ?? '').toBe(msg.replaceAll('\u0001', ''));
      }),
      { numRuns: 100 },
    );
    expect(notifyReply(false, 'a]]>b')).toContain('a]]]]><![CDATA[>b');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
