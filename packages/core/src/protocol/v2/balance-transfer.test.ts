import { describe, expect, it } from 'vitest';
import { XmlError } from '../../errors.js';
import { toBalanceTransfer, toBalanceTransferResult } from './balance-transfer.js';
import type { XmlRecord } from './xml.js';

const rec = (fields: Record<string, string>): XmlRecord => Object.assign(Object.create(null) as XmlRecord, fields);
const call = { appId: 'wxAPP', mchId: '10000100' };

describe('企业付款 replies', () => {
  it('maps the pay reply, with its mch_appid / mchid names', () => {
    const r = toBalanceTransferResult(
      rec({
        mch_appid: 'wxec38b8ff840bd989',
        mchid: '10013274',
        partner_trade_no: 'P1',
        payment_no: '1000018301201505190181489473',
        payment_time: '2015-05-19 15:26:59',
      }),
      call,
    );
    expect(r).toMatchObject({ appId: 'wxec38b8ff840bd989', mchId: '10013274', partnerTradeNo: 'P1', paymentTime: '2015-05-19 15:26:59' });
    expect(() => toBalanceTransferResult(rec({ partner_trade_no: 'P1' }), call)).toThrow("field 'payment_no' is missing");
  });

  it('maps the query reply; the amount must be whole fen', () => {
    const base = { partner_trade_no: 'P1', detail_id: '1000000000201503283103439304', status: 'SUCCESS', payment_amount: '650' };
    expect(toBalanceTransfer(rec(base), call)).toMatchObject({ appId: 'wxAPP', mchId: '10000100', status: 'SUCCESS', paymentAmount: 650 });
    for (const amount of ['6.50', '-1', '1e3', '']) {
      expect(() => toBalanceTransfer(rec({ ...base, payment_amount: amount }), call)).toThrow(XmlError);
    }
    expect(() => toBalanceTransfer(rec({ ...base, status: '' }), call)).toThrow("field 'status' is missing");
  });
});
