import type { SignType } from '@wxpay-kit/core';
import * as ids from './ids.js';
import { TRADE_STATE_DESC, type OrderRecord, type RefundRecord, type SimState } from './state.js';
import type { ApiVersion, RefundSource } from './types.js';

/** WeChat's limit on partial refunds per order (spec §5.4). */
export const MAX_REFUNDS_PER_ORDER = 50;

/** A refund about to be accepted, whichever API or control call asked for it. */
export interface NewRefund {
  readonly outRefundNo: string;
  readonly refundFee: number;
  readonly refundFeeType: string;
  readonly refundDesc: string | undefined;
  readonly refundAccount: string;
  readonly notifyUrl: string | undefined;
  readonly signType: SignType;
  readonly fingerprint: string;
  readonly apiVersion: ApiVersion;
  readonly source: RefundSource;
}

/**
 * Records a refund of a paid order in `PROCESSING`: coupon shares proportional to each coupon's
 * part of the order, the order's refunded sum and state updated. Amount checks are the caller's.
 */
export function acceptRefund(state: SimState, now: number, order: OrderRecord, input: NewRefund): RefundRecord {
  const { refundFee } = input;
  const noCash = order.totalFee - (order.settlementTotalFee ?? order.totalFee);
  const couponRefunds = order.coupons
    .map((c) => ({ id: c.id, type: c.type, fee: Math.floor((refundFee * c.fee) / order.totalFee) }))
    .filter((c) => c.fee > 0);
  const couponRefundFee = couponRefunds.reduce((sum, c) => sum + c.fee, 0);
  const record: RefundRecord = {
    environment: order.environment,
    apiVersion: input.apiVersion,
    source: input.source,
    mchId: order.mchId,
    appId: order.appId,
    outTradeNo: order.outTradeNo,
    transactionId: order.transactionId!,
    outRefundNo: input.outRefundNo,
    refundId: ids.refundId(now),
    totalFee: order.totalFee,
    refundFee,
    settlementRefundFee: refundFee - Math.floor((refundFee * noCash) / order.totalFee),
    cashRefundFee: refundFee - couponRefundFee,
    couponRefundFee,
    couponRefunds,
    refundFeeType: input.refundFeeType,
    refundDesc: input.refundDesc,
    refundAccount: input.refundAccount,
    notifyUrl: input.notifyUrl,
    status: 'PROCESSING',
    signType: input.signType,
    createdAt: now,
    successTime: undefined,
    recvAccount: '支付用户零钱',
    fingerprint: input.fingerprint,
  };
  state.addRefund(record);
  order.refunds.push(input.outRefundNo);
  order.refundedFee += refundFee;
  order.tradeState = 'REFUND';
  order.tradeStateDesc = TRADE_STATE_DESC.REFUND;
  return record;
}
