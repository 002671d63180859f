import { describe, expect, it } from 'vitest';
import { XmlError } from '../../errors.js';
import { toOrderQueryResult, toPayNotification, toRefundNotification, toRefundResult } from './fields.js';

const call = { appId: 'wxcall', mchId: '1230000109' };

const transaction = {
  appid: 'wxd678efh567hg6787',
  mchid: '1230000109',
  out_trade_no: 'T1',
  transaction_id: '4200000001',
  trade_type: 'JSAPI',
  trade_state: 'SUCCESS',
  bank_type: 'CMC',
  success_time: '2024-01-01T04:00:00Z',
  payer: { openid: 'o1' },
  amount: { total: 100, payer_total: 70, currency: 'CNY', payer_currency: 'CNY' },
  scene_info: { device_id: 'POS-1' },
  promotion_detail: [
    { coupon_id: 'C1', type: 'CASH', amount: 20 },
    { coupon_id: 'C2', type: 'NOCASH', amount: 10 },
  ],
};

describe('v3 fields: straight to the model', () => {
  it('maps a transaction to the order state, keeping the reply itself as raw', () => {
    const result = toOrderQueryResult(transaction, call);
    expect(result).toMatchObject({
      appId: 'wxd678efh567hg6787',
      mchId: '1230000109',
      tradeState: 'SUCCESS',
      totalFee: 100,
      cashFee: 70,
      cashFeeType: 'CNY',
      timeEnd: '20240101120000',
      deviceInfo: 'POS-1',
      couponFee: 30,
      coupons: [
        { id: 'C1', type: 'CASH', fee: 20 },
        { id: 'C2', type: 'NO_CASH', fee: 10 },
      ],
    });
    expect(JSON.parse(result.promotionDetail!)).toEqual(transaction.promotion_detail);
    expect(result.raw).toBe(transaction);
  });

  it('fills the identity of a reply that leaves it out from the call', () => {
    const { appid: _a, mchid: _m, ...rest } = transaction;
    expect(toOrderQueryResult(rest, call)).toMatchObject({ appId: 'wxcall', mchId: '1230000109' });
  });

  it('maps a payment notification with the same fields as v2 (cash fee defaults to the total)', () => {
    const { payer_total: _p, ...amount } = transaction.amount;
    const payment = toPayNotification({ ...transaction, amount });
    expect(payment).toMatchObject({
      totalFee: 100,
      cashFee: 100,
      feeType: 'CNY',
      openId: 'o1',
      timeEnd: '20240101120000',
      bankType: 'CMC',
    });
  });

  it('refuses an amount that is not whole fen, and a missing one the model requires', () => {
    expect(() => toPayNotification({ ...transaction, amount: { total: 1.5 } })).toThrow(XmlError);
    expect(() => toPayNotification({ ...transaction, amount: {} })).toThrow(/amount\.total/);
    expect(() => toPayNotification({ ...transaction, appid: undefined })).toThrow(/appid/);
  });

  it('maps a refund reply with the identity of the call', () => {
    const refund = toRefundResult(
      {
        refund_id: '5001',
        out_refund_no: 'R1',
        transaction_id: '42',
        out_trade_no: 'T1',
        status: 'PROCESSING',
        amount: { total: 100, refund: 40, payer_total: 100, payer_refund: 35, discount_refund: 5, currency: 'CNY' },
      },
      call,
    );
    expect(refund).toMatchObject({
      appId: 'wxcall',
      mchId: '1230000109',
      refundFee: 40,
      cashRefundFee: 35,
      couponRefundFee: 5,
      couponRefunds: [],
    });
  });

  it('maps refund notification states to the model names and refuses unknown ones', () => {
    const resource = {
      mchid: '1230000109',
      out_trade_no: 'T1',
      transaction_id: '42',
      refund_id: '5001',
      out_refund_no: 'R1',
      refund_status: 'CLOSED',
      amount: { total: 100, refund: 40 },
    };
    expect(toRefundNotification(resource, '').refundStatus).toBe('REFUNDCLOSE');
    expect(toRefundNotification({ ...resource, refund_status: 'ABNORMAL' }, 'wx1')).toMatchObject({ refundStatus: 'CHANGE', appId: 'wx1' });
    expect(() => toRefundNotification({ ...resource, refund_status: 'PROCESSING' }, 'wx1')).toThrow(/refund_status/);
  });
});
