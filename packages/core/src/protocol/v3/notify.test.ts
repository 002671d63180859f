import { describe, expect, it } from 'vitest';
import { DecryptError, SignatureError, XmlError } from '../../errors.js';
import { buildV3Notification, buildV3Transaction, generateTestRsaKeyPair, signV3Headers } from '../../testing/v3-fixtures.js';
import { isV3Notification, parseV3Notification, v3NotifyReply, v3PayNotification, v3RefundNotification } from './notify.js';
import { createV3Keyring } from './verify.js';
import { toBeijingCompact, toBeijingDateTime } from './fields.js';

const API_V3_KEY = '0123456789abcdef0123456789abcdef';
const PUB_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000';
const wechat = generateTestRsaKeyPair();
const keyring = createV3Keyring([[PUB_KEY_ID, wechat.publicKey]]);
const signer = { privateKey: wechat.privateKey, serial: PUB_KEY_ID };
const options = { keyring, apiV3Key: API_V3_KEY };

describe('v3 notifications', () => {
  it('verifies, decrypts and maps a payment to the model, raw being the decrypted resource', () => {
    const resource = buildV3Transaction({
      out_trade_no: 'T1',
      transaction_id: '4200000001',
      success_time: '2024-01-01T12:00:00+08:00',
      amount: { total: 100, payer_total: 90, currency: 'CNY', payer_currency: 'CNY' },
      promotion_detail: [{ coupon_id: 'C1', type: 'CASH', amount: 10 }],
    });
    const { headers, body } = buildV3Notification({ resource, apiV3Key: API_V3_KEY, signer, id: 'EV-1' });
    expect(isV3Notification(headers, body)).toBe(true);
    const n = parseV3Notification(headers, Buffer.from(body), options);
    expect(n).toMatchObject({ id: 'EV-1', eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', serial: PUB_KEY_ID });
    const { payment, raw } = v3PayNotification(n);
    expect(payment).toMatchObject({
      appId: 'wxd678efh567hg6787',
      mchId: '1230000109',
      outTradeNo: 'T1',
      transactionId: '4200000001',
      totalFee: 100,
      cashFee: 90,
      feeType: 'CNY',
      openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      tradeType: 'JSAPI',
      timeEnd: '20240101120000',
      coupons: [{ id: 'C1', type: 'CASH', fee: 10 }],
    });
    // raw is the decrypted resource itself, not a record translated to v2 names.
    expect(raw).toEqual(resource);
    expect(raw).not.toHaveProperty('total_fee');
  });

  it('maps a refund (CLOSED → REFUNDCLOSE, ABNORMAL → CHANGE) with the app id supplied', () => {
    for (const [v3, v2] of [
      ['SUCCESS', 'SUCCESS'],
      ['CLOSED', 'REFUNDCLOSE'],
      ['ABNORMAL', 'CHANGE'],
    ] as const) {
      const { headers, body } = buildV3Notification({
        eventType: `REFUND.${v3}`,
        apiV3Key: API_V3_KEY,
        signer,
        resource: {
          mchid: '1230000109',
          out_trade_no: 'T1',
          transaction_id: '42001',
          refund_id: '50001',
          out_refund_no: 'R1',
          refund_status: v3,
          success_time: '2024-01-01T04:00:00Z',
          user_received_account: '支付用户零钱',
          amount: { total: 100, refund: 40, payer_total: 100, payer_refund: 40 },
        },
      });
      const { refund } = v3RefundNotification(parseV3Notification(headers, body, options), 'wxapp');
      expect(refund).toMatchObject({
        appId: 'wxapp',
        mchId: '1230000109',
        outRefundNo: 'R1',
        refundId: '50001',
        totalFee: 100,
        refundFee: 40,
        refundStatus: v2,
        refundRecvAccount: '支付用户零钱',
      });
      if (v3 === 'SUCCESS') expect(refund.successTime).toBe('2024-01-01 12:00:00');
    }
  });

  it('refuses a tampered body, a wrong APIv3 key, a wrong tag, and a stale timestamp', () => {
    const { headers, body } = buildV3Notification({ resource: buildV3Transaction(), apiV3Key: API_V3_KEY, signer });
    expect(() => parseV3Notification(headers, body.replace('TRANSACTION.SUCCESS', 'TRANSACTION.SUCCESS '), options)).toThrow(
      SignatureError,
    );
    expect(() => parseV3Notification(headers, body, { ...options, apiV3Key: 'fedcba9876543210fedcba9876543210' })).toThrow(DecryptError);
    const stale = buildV3Notification({
      resource: buildV3Transaction(),
      apiV3Key: API_V3_KEY,
      signer: { ...signer, timestamp: Math.floor(Date.now() / 1000) - 400 },
    });
    expect(() => parseV3Notification(stale.headers, stale.body, options)).toThrow(expect.objectContaining({ reason: 'stale' }));
    // Re-sign a body whose ciphertext was altered: the signature is fine, the GCM tag is not.
    const envelope = JSON.parse(body) as { resource: { ciphertext: string } };
    const bytes = Buffer.from(envelope.resource.ciphertext, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    envelope.resource.ciphertext = bytes.toString('base64');
    const altered = JSON.stringify(envelope);
    const resigned = { ...headers, ...signV3HeadersFor(altered) };
    expect(() => parseV3Notification(resigned, altered, options)).toThrow(DecryptError);
  });

  it('refuses malformed envelopes and out-of-range amounts', () => {
    const bad = JSON.stringify({ id: 'EV-1' });
    expect(() => parseV3Notification(signV3HeadersFor(bad), bad, options)).toThrow(XmlError);
    const { headers, body } = buildV3Notification({
      resource: buildV3Transaction({ amount: { total: 1.5 } }),
      apiV3Key: API_V3_KEY,
      signer,
    });
    expect(() => v3PayNotification(parseV3Notification(headers, body, options))).toThrow(XmlError);
  });

  it('tells v2 XML from v3 JSON', () => {
    expect(isV3Notification({}, '<xml><return_code>SUCCESS</return_code></xml>')).toBe(false);
    expect(isV3Notification({}, ' {"id":"EV"}')).toBe(true);
  });

  it('answers SUCCESS with 200 and FAIL with 500', () => {
    expect(v3NotifyReply(true)).toEqual({ status: 200, body: '{"code":"SUCCESS","message":"成功"}' });
    expect(v3NotifyReply(false).status).toBe(500);
    expect(JSON.parse(v3NotifyReply(false).body)).toMatchObject({ code: 'FAIL' });
  });

  it('converts RFC 3339 times to Beijing wall-clock', () => {
    expect(toBeijingCompact('2024-12-31T20:00:00Z')).toBe('20250101040000');
    expect(toBeijingDateTime('2024-01-01T12:00:00+08:00')).toBe('2024-01-01 12:00:00');
  });
});

function signV3HeadersFor(body: string): Record<string, string> {
  return signV3Headers(body, signer);
}
