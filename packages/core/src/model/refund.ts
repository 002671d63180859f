/**
 * Refunds, protocol-neutral. Amounts are integers in fen. v3's refund states are named as v2
 * names them (`CLOSED` → `REFUNDCLOSE`, `ABNORMAL` → `CHANGE`), so one set of values serves both.
 */

/** A refund's state (spec §5.5); `CHANGE` means abnormal and needs manual handling. */
export type RefundStatus = 'SUCCESS' | 'REFUNDCLOSE' | 'PROCESSING' | 'CHANGE' | (string & {});

/** A coupon's share of a refund. */
export interface CouponRefund {
  readonly id: string;
  readonly type: string | undefined;
  /** Amount in fen. */
  readonly fee: number;
}

/** A verified refund outcome as a notification reports it. Amounts in fen. */
export interface RefundNotification {
  readonly appId: string;
  readonly mchId: string;
  readonly subAppId: string | undefined;
  readonly subMchId: string | undefined;
  readonly transactionId: string;
  readonly outTradeNo: string;
  /** WeChat's refund id. */
  readonly refundId: string;
  /** The merchant's refund number. */
  readonly outRefundNo: string;
  readonly totalFee: number;
  readonly settlementTotalFee: number | undefined;
  readonly refundFee: number;
  readonly settlementRefundFee: number | undefined;
  /** `SUCCESS`, `CHANGE` (abnormal) or `REFUNDCLOSE`. */
  readonly refundStatus: 'SUCCESS' | 'CHANGE' | 'REFUNDCLOSE';
  /** `yyyy-MM-dd HH:mm:ss`, Beijing time, when successful. */
  readonly successTime: string | undefined;
  /** Where the money went back to (v2 `refund_recv_accout` (sic), v3 `user_received_account`). */
  readonly refundRecvAccount: string | undefined;
  readonly refundAccount: string | undefined;
  readonly refundRequestSource: string | undefined;
}
