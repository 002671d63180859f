import { describe, expect, it } from 'vitest';
import { XmlError } from '../errors.js';
import { parseFundFlowBill, parseTradeBill, yuanToFen } from './bill.js';

const HEADER =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
const SUMMARY_HEADER = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';
const PAYMENT =
  '`2024-01-01 12:00:00,`wx8888888888888888,`1900000109,`0,`,`4200000001202401011234567890,`T1,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,`12.30,`0.00,`0,`0,`0.00,`0.00,`,`,`Coffee, large,`,`0.07380,`0.60%,`12.34,`0.00,`';
const REFUND =
  '`2024-01-01 13:00:00,`wx8888888888888888,`1900000109,`0,`,`4200000001202401011234567890,`T1,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50000000012024010112345678901,`R1,`0.50,`0.00,`ORIGINAL,`PROCESSING,`Coffee, large,`,`-0.00300,`0.60%,`0.00,`0.50,`';
const SUMMARY = '`2,`12.30,`0.50,`0.00,`0.07080,`12.34,`0.50';

describe('parseTradeBill', () => {
  it('reads the payment and refund lines of a current-format bill into fen, with the summary', () => {
    const bill = parseTradeBill(`\uFEFF${[HEADER, PAYMENT, REFUND, SUMMARY_HEADER, SUMMARY].join('\r\n')}\r\n`);
    expect(bill.rows).toHaveLength(2);
    expect(bill.rows[0]).toMatchObject({
      kind: 'payment',
      time: '2024-01-01 12:00:00',
      appId: 'wx8888888888888888',
      mchId: '1900000109',
      subMchId: undefined,
      transactionId: '4200000001202401011234567890',
      outTradeNo: 'T1',
      tradeState: 'SUCCESS',
      totalFee: 1234,
      settlementTotalFee: 1230,
      couponFee: 0,
      refundId: undefined,
      outRefundNo: undefined,
      refundFee: undefined,
      // A comma inside a value stays in it: values are split at ",`".
      body: 'Coffee, large',
    });
    expect(bill.rows[1]).toMatchObject({
      kind: 'refund',
      outTradeNo: 'T1',
      tradeState: 'REFUND',
      refundId: '50000000012024010112345678901',
      outRefundNo: 'R1',
      refundFee: 50,
      settlementRefundFee: 50,
      refundStatus: 'PROCESSING',
    });
    expect(bill.summary['总交易单数']).toBe('2');
    expect(bill.summary['申请退款总金额']).toBe('0.50');
  });

  it('reads the pre-2018 columns (总金额, 退款金额 only)', () => {
    const header =
      '交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率';
    const line =
      '`2017-01-01 12:00:00,`wx1,`1900000109,`1900000110,`,`4200000002,`T2,`o1,`JSAPI,`REFUND,`CMB_DEBIT,`CNY,`0.00,`0.00,`5000002,`R2,`1.00,`0.00,`ORIGINAL,`SUCCESS,`g,`,`0.00000,`0.60%';
    const bill = parseTradeBill(
      [header, line, '总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额', '`1,`0.00,`1.00,`0.00,`0.00000'].join('\n'),
    );
    expect(bill.rows[0]).toMatchObject({
      kind: 'refund',
      subMchId: '1900000110',
      refundFee: 100,
      settlementRefundFee: undefined,
      totalFee: 0,
    });
  });

  it('is empty for an empty text (no bill that day)', () => {
    expect(parseTradeBill('').rows).toEqual([]);
  });

  it('refuses a bill that lost lines, a missing column, a bad amount, and a line of the wrong width', () => {
    const refuse = (text: string, message: RegExp) => {
      expect(() => parseTradeBill(text)).toThrow(XmlError);
      expect(() => parseTradeBill(text)).toThrow(message);
    };
    refuse([HEADER, PAYMENT, SUMMARY_HEADER, SUMMARY].join('\n'), /1 lines but its summary counts 2/);
    refuse([HEADER, PAYMENT, REFUND].join('\n'), /no summary lines/);
    refuse([HEADER.replace('商户订单号', '订单'), PAYMENT, REFUND, SUMMARY_HEADER, SUMMARY].join('\n'), /no 商户订单号 column/);
    refuse([HEADER, PAYMENT.replace('`12.34', '`12.345'), REFUND, SUMMARY_HEADER, SUMMARY].join('\n'), /订单金额 '12.345'/);
    refuse(
      [HEADER, PAYMENT.replace(',`CNY', ''), REFUND, SUMMARY_HEADER, SUMMARY].join('\n'),
      /line 2 .* 26 values where the header names 27/,
    );
  });
});

describe('yuanToFen', () => {
  it('reads yuan exactly, without floating point', () => {
    expect(yuanToFen('0.01', 'x')).toBe(1);
    expect(yuanToFen('0.1', 'x')).toBe(10);
    expect(yuanToFen('12', 'x')).toBe(1200);
    expect(yuanToFen('1.15', 'x')).toBe(115);
    expect(yuanToFen('-0.50', 'x')).toBe(-50);
    expect(yuanToFen('90071992547409.91', 'x')).toBe(9007199254740991);
  });

  it('refuses what is not yuan with at most two decimals', () => {
    for (const bad of ['', '1.234', '1,000.00', 'abc', '1e3', '.5', '90071992547409.92']) {
      expect(() => yuanToFen(bad, '订单金额')).toThrow(XmlError);
    }
  });
});

describe('parseFundFlowBill', () => {
  const header =
    '记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号';
  const lines = [
    '`2024-01-01 12:00:00,`4200000001,`20240101000000000001,`微信支付,`交易,`收入,`100.00,`100.00,`system,`,`T1',
    '`2024-01-01 12:00:00,`4200000001,`20240101000000000002,`微信支付,`扣除交易手续费,`支出,`0.60,`99.40,`system,`,`T1',
  ];
  const summary = ['资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额', '`2,`1,`100.00,`1,`0.60'];

  it('reads each flow with its direction, amount and balance in fen', () => {
    const bill = parseFundFlowBill([header, ...lines, ...summary].join('\r\n'));
    expect(bill.rows.map((r) => [r.bizType, r.direction, r.amount, r.balance, r.voucherNo])).toEqual([
      ['交易', 'income', 10000, 10000, 'T1'],
      ['扣除交易手续费', 'expense', 60, 9940, 'T1'],
    ]);
    expect(bill.summary['支出金额']).toBe('0.60');
  });

  it('refuses an unknown direction', () => {
    expect(() => parseFundFlowBill([header, lines[0]!.replace('收入', '转入'), lines[1]!, ...summary].join('\n'))).toThrow(
      /收支类型 '转入'/,
    );
  });
});
