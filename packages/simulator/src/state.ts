import { SimulatorError } from './errors.js';
import { PayoutBook } from './payouts.js';
import type { SimCoupon, SimEnvironment, SimMicropay, SimOrder, SimRefund, SimTarget, SimTransfer, SimTransferState } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The simulator's own, mutable copy of an order. */
export interface OrderRecord extends Mutable<Omit<SimOrder, 'coupons' | 'refunds' | 'micropay'>> {
  micropay?: Mutable<SimMicropay> | undefined;
  coupons: SimCoupon[];
  refunds: string[];
  /** The request parameters that identify a re-submission as "the same order" (spec §5.1). */
  fingerprint: string;
}

/** The simulator's own, mutable copy of a refund. */
export interface RefundRecord extends Mutable<Omit<SimRefund, 'couponRefunds'>> {
  couponRefunds: SimCoupon[];
  fingerprint: string;
}

/** The fields a payment or refund fills in later, as they stand on a newly placed order. */
export function unpaidFields(): Pick<
  OrderRecord,
  | 'transactionId'
  | 'paidAt'
  | 'timeEnd'
  | 'bankType'
  | 'isSubscribe'
  | 'cashFee'
  | 'couponFee'
  | 'settlementTotalFee'
  | 'coupons'
  | 'refundedFee'
  | 'refunds'
> {
  return {
    transactionId: undefined,
    paidAt: undefined,
    timeEnd: undefined,
    bankType: undefined,
    isSubscribe: undefined,
    cashFee: undefined,
    couponFee: undefined,
    settlementTotalFee: undefined,
    coupons: [],
    refundedFee: 0,
    refunds: [],
  };
}

const key = (env: SimEnvironment, mchId: string, no: string): string => `${env}\u0000${mchId}\u0000${no}`;

/** Orders and refunds in memory, indexed the ways WeChat looks them up. */
export class SimState {
  private readonly orders = new Map<string, OrderRecord>();
  private readonly ordersByTransaction = new Map<string, OrderRecord>();
  private readonly refunds = new Map<string, RefundRecord>();
  private readonly refundsById = new Map<string, RefundRecord>();
  /** Transfer bills (商家转账). */
  readonly transfers = new TransferBook();
  /** Transfer batches and 企业付款 (the older pay-out products). */
  readonly payouts = new PayoutBook();

  clear(): void {
    this.transfers.clear();
    this.payouts.clear();
    this.orders.clear();
    this.ordersByTransaction.clear();
    this.refunds.clear();
    this.refundsById.clear();
  }

  addOrder(order: OrderRecord): void {
    this.orders.set(key(order.environment, order.mchId, order.outTradeNo), order);
  }

  /** Records the transaction id given at payment. */
  indexTransaction(order: OrderRecord): void {
    if (order.transactionId) this.ordersByTransaction.set(order.transactionId, order);
  }

  order(env: SimEnvironment, mchId: string, outTradeNo: string): OrderRecord | undefined {
    return this.orders.get(key(env, mchId, outTradeNo));
  }

  /** Finds an order the WeChat way: `transaction_id` wins over `out_trade_no`. */
  findOrder(
    env: SimEnvironment,
    mchId: string,
    ids: { transactionId?: string | undefined; outTradeNo?: string | undefined },
  ): OrderRecord | undefined {
    if (ids.transactionId) {
      const order = this.ordersByTransaction.get(ids.transactionId);
      return order && order.environment === env && order.mchId === mchId ? order : undefined;
    }
    return ids.outTradeNo ? this.order(env, mchId, ids.outTradeNo) : undefined;
  }

  addRefund(refund: RefundRecord): void {
    this.refunds.set(key(refund.environment, refund.mchId, refund.outRefundNo), refund);
    this.refundsById.set(refund.refundId, refund);
  }

  refund(env: SimEnvironment, mchId: string, outRefundNo: string): RefundRecord | undefined {
    return this.refunds.get(key(env, mchId, outRefundNo));
  }

  refundById(env: SimEnvironment, mchId: string, refundId: string): RefundRecord | undefined {
    const refund = this.refundsById.get(refundId);
    return refund && refund.environment === env && refund.mchId === mchId ? refund : undefined;
  }

  refundsOf(order: OrderRecord): RefundRecord[] {
    return order.refunds.map((no) => this.refund(order.environment, order.mchId, no)).filter((r): r is RefundRecord => r !== undefined);
  }

  allOrders(filter: SimTarget = {}): OrderRecord[] {
    return [...this.orders.values()].filter((o) => matches(o, filter));
  }

  allRefunds(filter: SimTarget & { outTradeNo?: string | undefined } = {}): RefundRecord[] {
    return [...this.refunds.values()].filter(
      (r) => matches(r, filter) && (filter.outTradeNo === undefined || r.outTradeNo === filter.outTradeNo),
    );
  }

  /** The one order with this number, for control calls; throws when none or several match. */
  pickOrder(outTradeNo: string, target: SimTarget = {}): OrderRecord {
    return pickOne(
      this.allOrders(target).filter((o) => o.outTradeNo === outTradeNo),
      `order ${outTradeNo}`,
    );
  }

  /** The one refund with this number, for control calls; throws when none or several match. */
  pickRefund(outRefundNo: string, target: SimTarget = {}): RefundRecord {
    return pickOne(
      this.allRefunds(target).filter((r) => r.outRefundNo === outRefundNo),
      `refund ${outRefundNo}`,
    );
  }
}

function matches(record: { environment: SimEnvironment; mchId: string }, filter: SimTarget): boolean {
  return (
    (filter.mchId === undefined || record.mchId === filter.mchId) &&
    (filter.environment === undefined || record.environment === filter.environment)
  );
}

function pickOne<T>(found: T[], what: string): T {
  if (found.length === 0) throw new SimulatorError('NOT_FOUND', `${what} does not exist`);
  if (found.length > 1) {
    throw new SimulatorError('AMBIGUOUS', `${what} exists for several merchants or systems; pass mchId and environment`);
  }
  return found[0]!;
}

/** A frozen public copy of an order. */
export function orderView(order: OrderRecord): SimOrder {
  const { fingerprint: _fingerprint, ...rest } = order;
  return Object.freeze({
    ...rest,
    coupons: Object.freeze(order.coupons.map((c) => ({ ...c }))),
    refunds: Object.freeze([...order.refunds]),
    micropay: order.micropay === undefined ? undefined : Object.freeze({ ...order.micropay }),
  });
}

/** A frozen public copy of a refund. */
export function refundView(refund: RefundRecord): SimRefund {
  const { fingerprint: _fingerprint, ...rest } = refund;
  return Object.freeze({ ...rest, couponRefunds: Object.freeze(refund.couponRefunds.map((c) => ({ ...c }))) });
}

/**
 * Unpaid orders past their `time_expire` are not closed by time alone: WeChat documents
 * `time_expire` as the last moment the user can pay and tells the merchant to close the order
 * itself, and an unpaid order keeps reporting `NOTPAY` until it is closed. The simulator follows
 * that (its choice on an open point of the spec): queries keep answering `NOTPAY`, payments are
 * refused ({@link isExpired}), and `closeorder` closes it. Kept as a hook for look-ups.
 */
export function refreshExpiry(_order: OrderRecord, _now: number): void {}

/** True when an unpaid order is past its `time_expire` (the last moment it can be paid): it can only be closed now. */
export function isExpired(order: OrderRecord, now: number): boolean {
  return (order.tradeState === 'NOTPAY' || order.tradeState === 'PAYERROR') && order.expiresAt !== undefined && now > order.expiresAt;
}

/** `trade_state_desc` texts. */
export const TRADE_STATE_DESC = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  REFUND: '订单发生过退款，退款详情请查询退款单',
  CLOSED: '订单已关闭',
  PAYERROR: '支付失败，请重新下单支付',
  USERPAYING: '需要用户输入支付密码',
  REVOKED: '订单已撤销',
} as const;

/** The simulator's own, mutable copy of a transfer bill. */
export interface TransferRecord extends Mutable<Omit<SimTransfer, 'history' | 'sceneReportInfos'>> {
  history: SimTransferState[];
  sceneReportInfos: { infoType: string; infoContent: string }[];
  /** The request parameters that make a re-sent create "the same transfer" (the name decrypted). */
  fingerprint: string;
  /** The expiry timer, while the bill waits for the payee. */
  timer: unknown;
}

/** Transfer bills in memory, by merchant and `out_bill_no`, and by `transfer_bill_no`. */
export class TransferBook {
  private readonly bills = new Map<string, TransferRecord>();
  private readonly byBillNo = new Map<string, TransferRecord>();

  clear(): TransferRecord[] {
    const all = [...this.bills.values()];
    this.bills.clear();
    this.byBillNo.clear();
    return all;
  }

  add(bill: TransferRecord): void {
    this.bills.set(`${bill.mchId}\u0000${bill.outBillNo}`, bill);
    this.byBillNo.set(bill.transferBillNo, bill);
  }

  byOutBillNo(mchId: string, outBillNo: string): TransferRecord | undefined {
    return this.bills.get(`${mchId}\u0000${outBillNo}`);
  }

  byTransferBillNo(mchId: string, transferBillNo: string): TransferRecord | undefined {
    const bill = this.byBillNo.get(transferBillNo);
    return bill && bill.mchId === mchId ? bill : undefined;
  }

  all(filter: SimTarget = {}): TransferRecord[] {
    return [...this.bills.values()].filter((b) => filter.mchId === undefined || b.mchId === filter.mchId);
  }

  /** The one bill with this number, for control calls; throws when none or several match. */
  pick(outBillNo: string, target: SimTarget = {}): TransferRecord {
    return pickOne(
      this.all(target).filter((b) => b.outBillNo === outBillNo),
      `transfer ${outBillNo}`,
    );
  }
}

/** A frozen public copy of a transfer bill. */
export function transferView(bill: TransferRecord): SimTransfer {
  const { fingerprint: _fingerprint, timer: _timer, ...rest } = bill;
  return Object.freeze({
    ...rest,
    history: Object.freeze([...bill.history]),
    sceneReportInfos: Object.freeze(bill.sceneReportInfos.map((r) => Object.freeze({ ...r }))),
  });
}
