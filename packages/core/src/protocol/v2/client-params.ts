import type { AppPayParams, ClientPayParams, JsapiPayParams } from '../../model/payment.js';
import { sign, type SignType } from './sign.js';
import { unixSeconds } from '../unix-seconds.js';

export type { AppPayParams, ClientPayParams, JsapiPayParams };

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
