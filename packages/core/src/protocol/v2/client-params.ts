import { sign, type SignType } from './sign.js';
import { unixSeconds } from '../unix-seconds.js';

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

/** Inputs shared by the signed client parameter sets. */
export interface SignedParamsInput {
  /** The app id the user pays in (SP mode: `sub_appid` when the order used `sub_openid`). */
  readonly appId: string;
  readonly prepayId: string;
  /** The merchant's API key (sandbox: the sandbox sign key). */
  readonly apiKey: string;
  readonly signType?: SignType | undefined;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly nonce: string;
}

/**
 * JSAPI and mini-program parameters (spec §6.2). `appId` and `signType` are signed, `paySign` is
 * not; the algorithm is `signType` (MD5 by default).
 *
 * @example
 * jsapiPayParams({ appId, prepayId, apiKey, timestamp: 1414561699, nonce: '5K82…' }).paySign;
 */
export function jsapiPayParams(input: SignedParamsInput): JsapiPayParams {
  const signType = input.signType ?? 'MD5';
  const unsigned = {
    appId: input.appId,
    timeStamp: unixSeconds(input.timestamp),
    nonceStr: input.nonce,
    package: `prepay_id=${input.prepayId}`,
    signType,
  };
  return { ...unsigned, paySign: sign(unsigned, input.apiKey, signType) };
}

/**
 * APP parameters (spec §6.3). `partnerid` is the merchant id (SP mode: `sub_mch_id`).
 */
export function appPayParams(input: SignedParamsInput & { readonly partnerId: string }): AppPayParams {
  const unsigned = {
    appid: input.appId,
    partnerid: input.partnerId,
    prepayid: input.prepayId,
    package: 'Sign=WXPay' as const,
    noncestr: input.nonce,
    timestamp: unixSeconds(input.timestamp),
  };
  return { ...unsigned, sign: sign(unsigned, input.apiKey, input.signType ?? 'MD5') };
}

/**
 * The H5 payment URL: `mweb_url`, with `redirect_url=<URL-encoded>` appended when a return page
 * is given (spec §6.5). Returning to that page does not mean the payment succeeded.
 */
export function mwebPayUrl(mwebUrl: string, redirectUrl?: string): string {
  if (redirectUrl === undefined || redirectUrl === '') return mwebUrl;
  const separator = mwebUrl.includes('?') ? '&' : '?';
  return `${mwebUrl}${separator}redirect_url=${encodeURIComponent(redirectUrl)}`;
}
