/**
 * Orders and payments, protocol-neutral: what both API versions map their wire formats to.
 * Amounts are integers in fen; times keep WeChat's Beijing formats named on each field.
 */
import type { SignType } from './wire.js';

/** The four order trade types (`MWEB` is H5). */
export type TradeType = 'JSAPI' | 'NATIVE' | 'APP' | 'MWEB';

/** An order's state (v2 `trade_state`, v3 `trade_state`); other values WeChat may add pass through as strings. */
export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR' | 'ACCEPT' | (string & {});

/** One coupon applied to a payment (v2 `coupon_*_$n`, v3 `promotion_detail[n]`). */
export interface Coupon {
  readonly id: string;
  /** `CASH` or `NO_CASH`; undefined when WeChat did not say. */
  readonly type: string | undefined;
  /** Amount in fen. */
  readonly fee: number;
}

/** A verified payment as a notification reports it. Amounts in fen. */
export interface PayNotification {
  readonly appId: string;
  readonly mchId: string;
  readonly subAppId: string | undefined;
  readonly subMchId: string | undefined;
  readonly outTradeNo: string;
  readonly transactionId: string;
  readonly totalFee: number;
  /** What the payer paid; defaults to `totalFee` when WeChat leaves it out. */
  readonly cashFee: number;
  readonly settlementTotalFee: number | undefined;
  /** Default `CNY`. */
  readonly feeType: string;
  readonly cashFeeType: string | undefined;
  readonly couponFee: number | undefined;
  readonly coupons: readonly Coupon[];
  /** The payer's `openid`, or `sub_openid` when only that is present. */
  readonly openId: string;
  readonly subOpenId: string | undefined;
  readonly isSubscribe: boolean | undefined;
  readonly subIsSubscribe: boolean | undefined;
  readonly tradeType: string;
  readonly bankType: string;
  /** `yyyyMMddHHmmss`, Beijing time. */
  readonly timeEnd: string;
  readonly attach: string | undefined;
  readonly deviceInfo: string | undefined;
}

/**
 * What a WeChat page or mini-program passes to `WeixinJSBridge.invoke('getBrandWCPayRequest')` or
 * `wx.requestPayment` (spec §6.2). The casing is WeChat's and must not change.
 */
export interface JsapiPayParams {
  readonly appId: string;
  /** Unix seconds, as a string of 10 digits. */
  readonly timeStamp: string;
  readonly nonceStr: string;
  /** `prepay_id=<prepay id>`. */
  readonly package: string;
  /** `MD5` or `HMAC-SHA256` (API v2), `RSA` (API v3). */
  readonly signType: SignType | 'RSA';
  readonly paySign: string;
}

/** What a mobile app hands to the WeChat SDK's `PayReq` (spec §6.3). All keys lower-case. */
export interface AppPayParams {
  readonly appid: string;
  readonly partnerid: string;
  readonly prepayid: string;
  readonly package: 'Sign=WXPay';
  readonly noncestr: string;
  /** Unix seconds, as a string of 10 digits. */
  readonly timestamp: string;
  readonly sign: string;
}

/** How the payer's client starts paying, per trade type. */
export type ClientPayParams =
  | { readonly tradeType: 'JSAPI'; readonly jsapi: JsapiPayParams }
  | { readonly tradeType: 'APP'; readonly app: AppPayParams }
  /** H5: the page navigates to `mwebUrl` (valid 5 minutes). */
  | { readonly tradeType: 'MWEB'; readonly mwebUrl: string }
  /** NATIVE: render `codeUrl` as a QR code (valid 2 hours). */
  | { readonly tradeType: 'NATIVE'; readonly codeUrl: string };
