/**
 * The request/response contract of the client, protocol-neutral: what each operation takes and
 * what it answers, whichever API version the merchant speaks. Amounts are integers in fen.
 */
import type { ClientPayParams, Coupon, TradeState, TradeType } from './payment.js';
import type { CouponRefund, RefundStatus } from './refund.js';
import type { SignType, WirePayload } from './wire.js';

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call (and any pending retry). */
  readonly signal?: AbortSignal | undefined;
}

/** Which merchant and app id a call is made for. */
export interface CallTarget {
  /** The merchant's configured `name`. */
  readonly merchant: string;
  /** The `appid` sent to WeChat (one of the app's `appIds`). */
  readonly appId: string;
}

/** Input of {@link WxPayClient.unifiedOrder}. Amounts are integers in fen. */
export interface UnifiedOrderInput extends CallTarget {
  readonly tradeType: TradeType;
  /** Merchant order number: 1–32 of letters, digits, `_ - | * @`. */
  readonly outTradeNo: string;
  /** Amount in fen, a positive integer. */
  readonly totalFee: number;
  /** Goods description, at most 128 characters. */
  readonly body: string;
  /** The payer's IP (H5: the real client IP). */
  readonly spbillCreateIp: string;
  /** Where WeChat sends the pay notification (no query string). */
  readonly notifyUrl: string;
  /** Required for `JSAPI` (unless `subOpenId` is given in service-provider mode). */
  readonly openId?: string | undefined;
  /** Service-provider mode: the user under `sub_appid`. */
  readonly subOpenId?: string | undefined;
  /** Required for `NATIVE`. */
  readonly productId?: string | undefined;
  /** Required for `MWEB` (`{ h5_info: … }`); an object is serialized as JSON. */
  readonly sceneInfo?: string | Readonly<Record<string, unknown>> | undefined;
  /** Echoed back in queries and notifications; at most 127 characters. */
  readonly attach?: string | undefined;
  /** `detail` JSON (goods detail); an object is serialized as JSON. */
  readonly detail?: string | Readonly<Record<string, unknown>> | undefined;
  readonly deviceInfo?: string | undefined;
  /** ISO 4217; default `CNY`. */
  readonly feeType?: string | undefined;
  /** `yyyyMMddHHmmss` Beijing time, or a Date (converted to Beijing time). */
  readonly timeStart?: string | Date | undefined;
  /** `yyyyMMddHHmmss` Beijing time, or a Date (converted to Beijing time). */
  readonly timeExpire?: string | Date | undefined;
  readonly goodsTag?: string | undefined;
  /** `no_credit` forbids credit cards. */
  readonly limitPay?: 'no_credit' | undefined;
  /** Shows the e-invoice entry. */
  readonly receipt?: boolean | undefined;
  readonly profitSharing?: boolean | undefined;
  /** H5 only, not sent to WeChat: appended to `mweb_url` as `redirect_url` in `clientParams`. */
  readonly redirectUrl?: string | undefined;
}

/** Fields every verified business reply carries. */
export interface ReplyBase {
  readonly appId: string;
  readonly mchId: string;
  readonly subAppId: string | undefined;
  readonly subMchId: string | undefined;
  /** The verified reply as received (v2 XML record, v3 JSON object), for anything not mapped. */
  readonly raw: WirePayload;
}

/** A successful unifiedorder. */
export interface UnifiedOrderResult extends ReplyBase {
  readonly tradeType: TradeType;
  /** Valid 2 hours. */
  readonly prepayId: string;
  /** NATIVE only. */
  readonly codeUrl: string | undefined;
  /** MWEB only, as WeChat returned it (without `redirect_url`). */
  readonly mwebUrl: string | undefined;
  readonly deviceInfo: string | undefined;
  /** The algorithm the order was signed with; client params use the same (`RSA` for API v3). */
  readonly signType: SignType | 'RSA';
  /**
   * Ready-to-use client activation parameters: JSAPI `paySign` set, APP `PayReq` set, the H5 URL
   * (with `redirect_url` when `redirectUrl` was given) or the NATIVE `code_url`.
   */
  readonly clientParams: ClientPayParams;
}

/** Input of {@link WxPayClient.queryOrder}: one of `outTradeNo` / `transactionId` (the latter wins). */
export interface OrderQueryInput extends CallTarget {
  readonly outTradeNo?: string | undefined;
  readonly transactionId?: string | undefined;
}

/** orderquery result. Payment fields are present once the order is paid. */
export interface OrderQueryResult extends ReplyBase {
  readonly tradeState: TradeState;
  readonly tradeStateDesc: string | undefined;
  readonly outTradeNo: string;
  readonly transactionId: string | undefined;
  readonly openId: string | undefined;
  readonly subOpenId: string | undefined;
  readonly isSubscribe: boolean | undefined;
  readonly tradeType: string | undefined;
  readonly bankType: string | undefined;
  readonly totalFee: number | undefined;
  readonly settlementTotalFee: number | undefined;
  readonly feeType: string | undefined;
  readonly cashFee: number | undefined;
  readonly cashFeeType: string | undefined;
  readonly couponFee: number | undefined;
  readonly coupons: readonly Coupon[];
  readonly attach: string | undefined;
  /** `yyyyMMddHHmmss`, Beijing time. */
  readonly timeEnd: string | undefined;
  readonly deviceInfo: string | undefined;
  /** JSON text, as sent. */
  readonly promotionDetail: string | undefined;
}

/** Input of {@link WxPayClient.closeOrder}. */
export interface CloseOrderInput extends CallTarget {
  readonly outTradeNo: string;
}

/** Input of {@link WxPayClient.refund}: one of `outTradeNo` / `transactionId`. */
export interface RefundInput extends CallTarget {
  readonly outTradeNo?: string | undefined;
  readonly transactionId?: string | undefined;
  /** Merchant refund number: 1–64 of letters, digits, `_ - | * @`. Same number, same refund. */
  readonly outRefundNo: string;
  /** The order's total, in fen. */
  readonly totalFee: number;
  /** This refund's amount, in fen (at most `totalFee`). */
  readonly refundFee: number;
  readonly refundFeeType?: string | undefined;
  /** Shown to the user; at most 80 characters. */
  readonly refundDesc?: string | undefined;
  readonly refundAccount?: 'REFUND_SOURCE_UNSETTLED_FUNDS' | 'REFUND_SOURCE_RECHARGE_FUNDS' | undefined;
  /** Where WeChat sends the refund notification. */
  readonly notifyUrl?: string | undefined;
}

/** A refund WeChat accepted (not yet completed: see queryRefund or the refund notification). */
export interface RefundResult extends ReplyBase {
  readonly transactionId: string;
  readonly outTradeNo: string;
  readonly outRefundNo: string;
  /** WeChat's refund id. */
  readonly refundId: string;
  readonly refundFee: number;
  readonly settlementRefundFee: number | undefined;
  readonly totalFee: number;
  readonly settlementTotalFee: number | undefined;
  readonly feeType: string | undefined;
  readonly cashFee: number | undefined;
  readonly cashFeeType: string | undefined;
  readonly cashRefundFee: number | undefined;
  readonly couponRefundFee: number | undefined;
  readonly couponRefunds: readonly CouponRefund[];
}

/** Input of {@link WxPayClient.queryRefund}: one of the four ids (priority `refundId`, `outRefundNo`, `transactionId`, `outTradeNo`). */
export interface RefundQueryInput extends CallTarget {
  readonly refundId?: string | undefined;
  readonly outRefundNo?: string | undefined;
  readonly transactionId?: string | undefined;
  readonly outTradeNo?: string | undefined;
  /** Paging offset for orders with many refunds. */
  readonly offset?: number | undefined;
}

/** One refund of a refundquery reply (`*_$n` fields). */
export interface RefundQueryItem {
  readonly outRefundNo: string;
  readonly refundId: string;
  readonly refundChannel: string | undefined;
  readonly refundFee: number;
  readonly settlementRefundFee: number | undefined;
  readonly refundStatus: RefundStatus;
  readonly refundAccount: string | undefined;
  /** `refund_recv_accout` (sic). */
  readonly refundRecvAccount: string | undefined;
  /** `yyyy-MM-dd HH:mm:ss`, Beijing time. */
  readonly refundSuccessTime: string | undefined;
  readonly couponRefundFee: number | undefined;
  readonly coupons: readonly CouponRefund[];
}

/** refundquery result. */
export interface RefundQueryResult extends ReplyBase {
  readonly transactionId: string;
  readonly outTradeNo: string;
  readonly totalFee: number;
  readonly settlementTotalFee: number | undefined;
  readonly feeType: string | undefined;
  readonly cashFee: number | undefined;
  readonly totalRefundCount: number | undefined;
  readonly refunds: readonly RefundQueryItem[];
}

/** Input of {@link WxPayClient.downloadBill}. */
export interface DownloadBillInput extends CallTarget {
  /** `yyyyMMdd`. */
  readonly billDate: string;
  /** Default `ALL`. */
  readonly billType?: 'ALL' | 'SUCCESS' | 'REFUND' | 'RECHARGE_REFUND' | undefined;
  /** Ask WeChat for a gzip body; the client inflates it, so the result is text either way. */
  readonly gzip?: boolean | undefined;
}

/** Input of {@link WxPayClient.downloadFundFlowBill}. */
export interface DownloadFundFlowBillInput extends CallTarget {
  /** `yyyyMMdd`. */
  readonly billDate: string;
  /** The account: `BASIC` (default, 基本账户), `OPERATION` (运营账户) or `FEES` (手续费账户). */
  readonly accountType?: 'BASIC' | 'OPERATION' | 'FEES' | undefined;
  /** Ask WeChat for a gzip body; the client inflates it, so the result is text either way. */
  readonly gzip?: boolean | undefined;
}

/** Input of {@link WxPayClient.getSandboxSignKey}. */
export interface SandboxSignKeyInput {
  readonly mchId: string;
  /** The production API key (signs the request). */
  readonly apiKey: string;
  /** API origin; default `https://api.mch.weixin.qq.com`. */
  readonly baseUrl?: string | undefined;
}
