/**
 * Payment-code payments (v2 `micropay`, v3 `codepay`), protocol-neutral: the cashier scans the
 * payer's payment code and submits it; WeChat answers at once (paid), or "the payer is entering
 * a password" (`USERPAYING`), or an error whose outcome may be unknown (`SYSTEMERROR`,
 * `BANKERROR`). There is no notification: the merchant queries until the order is final and
 * reverses it when it stays unknown. Amounts are integers in fen.
 */
import type { CallTarget, OrderQueryResult } from './contract.js';

/** Input of `WxPayClient.micropay`. */
export interface MicropayInput extends CallTarget {
  /** Merchant order number: 1–32 of letters, digits, `_ - | * @`. A new payment code needs a new number. */
  readonly outTradeNo: string;
  /** Amount in fen, a positive integer. */
  readonly totalFee: number;
  /** Goods description, at most 127 characters. */
  readonly body: string;
  /** The scanned payment code: 18 digits starting with 10–15. Single use; never logged. */
  readonly authCode: string;
  /** The cashier terminal's IP address. */
  readonly spbillCreateIp: string;
  /** Echoed back on the paid order; at most 127 characters. */
  readonly attach?: string | undefined;
  /** The terminal's id (v3 `scene_info.device_id`), at most 32 characters. */
  readonly deviceInfo?: string | undefined;
  /** The store's id (v3 `scene_info.store_info.id`, required there; default `deviceInfo` or `default`), at most 32 characters. */
  readonly storeId?: string | undefined;
  /** ISO 4217; default `CNY`. */
  readonly feeType?: string | undefined;
  readonly goodsTag?: string | undefined;
  /** `no_credit` forbids credit cards (v2 only). */
  readonly limitPay?: 'no_credit' | undefined;
}

/**
 * What a payment-code submission answered: paid (the payment, in orderquery's shape), or
 * `USERPAYING` (the payer must confirm on the phone: query until final). Every other answer
 * rejects: `SYSTEMERROR` and `BANKERROR` (outcome unknown: query) and the refusals
 * (`AUTHCODEEXPIRE`, `AUTH_CODE_INVALID`, `NOTENOUGH`, …: nothing was paid).
 */
export type MicropayResult =
  | { readonly tradeState: 'SUCCESS'; readonly outTradeNo: string; readonly payment: OrderQueryResult }
  | { readonly tradeState: 'USERPAYING'; readonly outTradeNo: string; readonly payment?: undefined };

/** Input of `WxPayClient.reverse`. API v3 reverses by `outTradeNo` only. */
export interface ReverseInput extends CallTarget {
  readonly outTradeNo?: string | undefined;
  readonly transactionId?: string | undefined;
}

/**
 * Why a managed payment-code payment ended without `paid`:
 * - `refused`: WeChat refused the code or the payment at submission (expired or invalid code,
 *   insufficient balance, …); nothing was paid, nothing to reverse.
 * - `payerror`: the payment failed after submission (`PAYERROR`, `CLOSED`, `NOTPAY`); reversed.
 * - `timeout`: still `USERPAYING` at the deadline; reversed.
 * - `unknown`: the outcome stayed unknown (system or bank error, no answer); reversed.
 */
export type MicropayFailureReason = 'refused' | 'payerror' | 'timeout' | 'unknown';

/** Fields shared by the end of a managed payment-code payment. */
interface MicropayEndBase {
  /** The app name from the configuration. */
  readonly app: string;
  readonly appId: string;
  readonly mchId: string;
  /** The merchant's order number. */
  readonly orderId: string;
  /** The order's amount, in fen. */
  readonly totalFee: number;
  readonly reason: MicropayFailureReason;
  /** WeChat's code for it: the submission's `err_code` (`AUTHCODEEXPIRE`, …) or the last `trade_state`. */
  readonly errCode: string;
  /** WeChat's text for it, when it gave one. */
  readonly errCodeDes: string | undefined;
}

/** A payment-code payment that did not go through was reversed: the payer keeps (or gets back) the money. */
export interface MicropayReversedEvent extends MicropayEndBase {
  readonly reason: 'payerror' | 'timeout' | 'unknown';
}

/** A payment-code payment was refused at submission: nothing was paid and nothing needed reversing. */
export interface MicropayFailedEvent extends MicropayEndBase {
  readonly reason: 'refused';
}
