import { compactDate, readableTime } from './ids.js';
import type { OrderRecord, RefundRecord, TransferRecord } from './state.js';

/** `bill_type` values of downloadbill (spec §5.6). */
export type BillType = 'ALL' | 'SUCCESS' | 'REFUND' | 'RECHARGE_REFUND';

/** Column headers of the current trade bill format (spec §5.6). */
export const BILL_HEADERS = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '商品名称',
  '商户数据包',
  '手续费',
  '费率',
  '订单金额',
  '申请退款金额',
  '费率备注',
] as const;

/** Summary headers (the second-to-last line). */
export const BILL_SUMMARY_HEADERS = [
  '总交易单数',
  '应结订单总金额',
  '退款总金额',
  '充值券退款总金额',
  '手续费总金额',
  '订单总金额',
  '申请退款总金额',
] as const;

/** The simulator charges WeChat's common 0.6% rate. */
const FEE_RATE = 0.006;

const yuan = (fen: number): string => (fen / 100).toFixed(2);
const fee = (fen: number): string => ((fen * FEE_RATE) / 100).toFixed(5);
/** Every value prefixed by a backtick; a comma inside a value becomes a full-width one. */
const tick = (cells: readonly string[]): string => cells.map((c) => `\`${c.replaceAll(',', '，')}`).join(',');

/**
 * A trade bill for one Beijing-time day in WeChat's text format: header line, one line per
 * payment and per refund with every field prefixed by a backtick, then the summary headers and
 * the summary values. Amounts in yuan. Returns undefined when the day has no rows
 * (WeChat answers `No Bill Exist`).
 */
export function tradeBill(
  billDate: string,
  billType: BillType,
  orders: readonly OrderRecord[],
  refundsOf: (order: OrderRecord) => readonly RefundRecord[],
): string | undefined {
  const rows: { at: number; cells: string[]; settled: number; refunded: number; fee: number; total: number; requested: number }[] = [];
  for (const order of orders) {
    const paid = order.paidAt !== undefined && order.transactionId !== undefined;
    if (!paid) continue;
    const base = (at: number): string[] => [
      readableTime(at),
      order.appId,
      order.mchId,
      order.subMchId ?? '0',
      order.deviceInfo ?? '',
      order.transactionId!,
      order.outTradeNo,
      order.openId ?? order.subOpenId ?? '',
      order.tradeType,
    ];
    const settled = order.settlementTotalFee ?? order.totalFee;
    if ((billType === 'ALL' || billType === 'SUCCESS') && compactDate(order.paidAt!) === billDate) {
      const charge = settled * FEE_RATE;
      rows.push({
        at: order.paidAt!,
        cells: [
          ...base(order.paidAt!),
          'SUCCESS',
          order.bankType ?? 'OTHERS',
          order.feeType,
          yuan(settled),
          yuan(order.couponFee ?? 0),
          '0',
          '0',
          '0.00',
          '0.00',
          '',
          '',
          order.body,
          order.attach ?? '',
          fee(settled),
          '0.60%',
          yuan(order.totalFee),
          '0.00',
          '',
        ],
        settled,
        refunded: 0,
        fee: charge,
        total: order.totalFee,
        requested: 0,
      });
    }
    if (billType === 'ALL' || billType === 'REFUND' || billType === 'RECHARGE_REFUND') {
      for (const refund of refundsOf(order)) {
        if (compactDate(refund.createdAt) !== billDate) continue;
        if (billType === 'RECHARGE_REFUND' && refund.refundAccount !== 'REFUND_SOURCE_RECHARGE_FUNDS') continue;
        const charge = -refund.settlementRefundFee * FEE_RATE;
        rows.push({
          at: refund.createdAt,
          cells: [
            ...base(refund.createdAt),
            'REFUND',
            order.bankType ?? 'OTHERS',
            order.feeType,
            '0.00',
            '0.00',
            refund.refundId,
            refund.outRefundNo,
            yuan(refund.settlementRefundFee),
            '0.00',
            'ORIGINAL',
            refund.status,
            order.body,
            order.attach ?? '',
            `-${fee(refund.settlementRefundFee)}`,
            '0.60%',
            '0.00',
            yuan(refund.refundFee),
            '',
          ],
          settled: 0,
          refunded: refund.settlementRefundFee,
          fee: charge,
          total: 0,
          requested: refund.refundFee,
        });
      }
    }
  }
  if (rows.length === 0) return undefined;
  rows.sort((a, b) => a.at - b.at);
  const sum = (pick: (r: (typeof rows)[number]) => number): number => rows.reduce((acc, r) => acc + pick(r), 0);
  const lines = [
    BILL_HEADERS.join(','),
    ...rows.map((r) => tick(r.cells)),
    BILL_SUMMARY_HEADERS.join(','),
    tick([
      String(rows.length),
      yuan(sum((r) => r.settled)),
      yuan(sum((r) => r.refunded)),
      '0.00',
      (sum((r) => r.fee) / 100).toFixed(5),
      yuan(sum((r) => r.total)),
      yuan(sum((r) => r.requested)),
    ]),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** `account_type` of the fund-flow bill: the simulator books everything to the basic account. */
export type FundAccount = 'BASIC' | 'OPERATION' | 'FEES';

/** Column headers of the fund-flow bill (spec v3-more §4.3). */
export const FUND_FLOW_HEADERS = [
  '记账时间',
  '微信支付业务单号',
  '资金流水单号',
  '业务名称',
  '业务类型',
  '收支类型',
  '收支金额(元)',
  '账户结余(元)',
  '资金变更提交申请人',
  '备注',
  '业务凭证号',
] as const;

/** Summary headers of the fund-flow bill. */
export const FUND_FLOW_SUMMARY_HEADERS = ['资金流水总笔数', '收入笔数', '收入金额', '支出笔数', '支出金额'] as const;

interface Flow {
  readonly at: number;
  readonly bizNo: string;
  readonly name: string;
  readonly type: string;
  /** Fen; positive income, negative expense. */
  readonly amount: number;
  readonly applicant: string;
  readonly remark: string;
  readonly voucher: string;
}

/**
 * The basic account's fund-flow bill for one Beijing-time day: each payment's income and its
 * 0.6 % fee (rounded to the fen), each refund and each successful transfer as an expense, with the
 * account balance after each (from the merchant's first flow on). Undefined when the day has no
 * flow, and for the operation and fees accounts, which the simulator does not keep.
 */
export function fundFlowBill(
  billDate: string,
  account: FundAccount,
  orders: readonly OrderRecord[],
  refundsOf: (order: OrderRecord) => readonly RefundRecord[],
  transfers: readonly TransferRecord[],
): string | undefined {
  if (account !== 'BASIC') return undefined;
  const flows: Flow[] = [];
  for (const order of orders) {
    if (order.paidAt === undefined || order.transactionId === undefined) continue;
    const settled = order.settlementTotalFee ?? order.totalFee;
    const base = { bizNo: order.transactionId, name: '微信支付', applicant: 'system', remark: '', voucher: order.outTradeNo };
    flows.push({ ...base, at: order.paidAt, type: '交易', amount: settled });
    const charge = Math.round(settled * FEE_RATE);
    if (charge > 0) flows.push({ ...base, at: order.paidAt, type: '扣除交易手续费', amount: -charge });
    for (const refund of refundsOf(order)) {
      if (refund.status === 'REFUNDCLOSE' || refund.status === 'CHANGE') continue;
      flows.push({
        at: refund.createdAt,
        bizNo: refund.refundId,
        name: '退款',
        type: '退款',
        amount: -refund.settlementRefundFee,
        applicant: refund.source === 'console' ? `${order.mchId}@${order.mchId}` : 'API',
        remark: '',
        voucher: refund.outRefundNo,
      });
    }
  }
  for (const bill of transfers) {
    if (bill.state !== 'SUCCESS') continue;
    flows.push({
      at: bill.updatedAt,
      bizNo: bill.transferBillNo,
      name: '商家转账',
      type: '商家转账',
      amount: -bill.transferAmount,
      applicant: 'API',
      remark: bill.transferRemark,
      voucher: bill.outBillNo,
    });
  }
  flows.sort((a, b) => a.at - b.at);
  let balance = 0;
  let serial = 0;
  const lines: string[] = [];
  let income = 0;
  let incomeCount = 0;
  let expense = 0;
  let expenseCount = 0;
  for (const f of flows) {
    balance += f.amount;
    serial++;
    if (compactDate(f.at) !== billDate) continue;
    if (f.amount >= 0) {
      income += f.amount;
      incomeCount++;
    } else {
      expense -= f.amount;
      expenseCount++;
    }
    lines.push(
      tick([
        readableTime(f.at),
        f.bizNo,
        `${billDate}${String(serial).padStart(12, '0')}`,
        f.name,
        f.type,
        f.amount >= 0 ? '收入' : '支出',
        yuan(Math.abs(f.amount)),
        yuan(balance),
        f.applicant,
        f.remark,
        f.voucher,
      ]),
    );
  }
  if (lines.length === 0) return undefined;
  return `${[
    FUND_FLOW_HEADERS.join(','),
    ...lines,
    FUND_FLOW_SUMMARY_HEADERS.join(','),
    tick([String(lines.length), String(incomeCount), yuan(income), String(expenseCount), yuan(expense)]),
  ].join('\r\n')}\r\n`;
}
