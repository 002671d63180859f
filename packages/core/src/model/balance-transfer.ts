/**
 * 企业付款到零钱 (API v2 `/mmpaymkttransfers/promotion/transfers`), protocol-neutral: a payment
 * from the merchant straight into a user's WeChat balance, and its query. Amounts are integers in
 * fen. Nothing here imports anything of ours.
 */

/** Whether WeChat checks the payee's real name: `FORCE_CHECK` needs `reUserName`. */
export type BalanceTransferCheckName = 'NO_CHECK' | 'FORCE_CHECK';

/** Input of `WxPayClient.transferToBalance`. */
export interface BalanceTransferInput {
  /** The merchant's configured `name`. */
  readonly merchant: string;
  /** The app the payee's `openid` belongs to (sent as `mch_appid`). */
  readonly appId: string;
  /** Merchant transfer number: 1–32 letters and digits. Re-sending it is the same transfer. */
  readonly partnerTradeNo: string;
  /** The payee under `appId`. */
  readonly openId: string;
  /** Amount in fen, a positive integer. */
  readonly amount: number;
  /** Shown to the payee; at most 100 characters. */
  readonly desc: string;
  /** The caller's IP address (IPv4 or IPv6). */
  readonly spbillCreateIp: string;
  /**
   * Default: `FORCE_CHECK` when `reUserName` is given, else `NO_CHECK`. `FORCE_CHECK` without a
   * name is refused before anything is sent.
   */
  readonly checkName?: BalanceTransferCheckName | undefined;
  /** The payee's real name (plain text, as WeChat takes it here); at most 64 characters. */
  readonly reUserName?: string | undefined;
  /** At most 32 characters. */
  readonly deviceInfo?: string | undefined;
}

/** What `transferToBalance` answers: the money reached the payee's balance. */
export interface BalanceTransferResult {
  readonly appId: string;
  readonly mchId: string;
  readonly partnerTradeNo: string;
  /** WeChat's payment number. */
  readonly paymentNo: string;
  /** `yyyy-MM-dd HH:mm:ss`, Beijing time, as WeChat sends it. */
  readonly paymentTime: string | undefined;
  /** The XML reply as received. */
  readonly raw: Readonly<Record<string, string>>;
}

/** Input of `WxPayClient.queryTransferToBalance` (`/mmpaymkttransfers/gettransferinfo`; WeChat keeps 30 days). */
export interface BalanceTransferQueryInput {
  readonly merchant: string;
  readonly appId: string;
  readonly partnerTradeNo: string;
}

/** A transfer's state: `PROCESSING`, then `SUCCESS` or `FAILED`. */
export type BalanceTransferStatus = 'SUCCESS' | 'FAILED' | 'PROCESSING' | (string & {});

/** A transfer as the query answers. */
export interface BalanceTransfer {
  readonly appId: string;
  readonly mchId: string;
  readonly partnerTradeNo: string;
  /** WeChat's payment number (`detail_id`). */
  readonly detailId: string;
  readonly status: BalanceTransferStatus;
  /** Why it failed (`FAILED`). */
  readonly reason: string | undefined;
  readonly openId: string | undefined;
  /** The payee's name when the transfer checked it. */
  readonly transferName: string | undefined;
  /** In fen. */
  readonly paymentAmount: number;
  readonly transferTime: string | undefined;
  readonly paymentTime: string | undefined;
  readonly desc: string | undefined;
  /** The XML reply as received. */
  readonly raw: Readonly<Record<string, string>>;
}
