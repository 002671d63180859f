import { compactDate, readableTime } from './ids.js';
import type { OrderRecord, RefundRecord } from './state.js';

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
  const tick = (cells: readonly string[]): string => cells.map((c) => `\`${c.replaceAll(',', '，')}`).join(',');
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
