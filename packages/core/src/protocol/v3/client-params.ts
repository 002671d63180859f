/**
 * API v3 client activation parameters (spec §6): the same shapes as v2, signed with RSA
 * (SHA256withRSA, merchant API private key) instead of the API key.
 */
import type { AppPayParams, JsapiPayParams } from '../../model/payment.js';
import { unixSeconds } from '../unix-seconds.js';
import { rsaSign, type PrivateKeyInput } from './sign.js';

/** Inputs of the v3 client parameter sets. */
export interface V3SignedParamsInput {
  /** The app id the user pays in. */
  readonly appId: string;
  readonly prepayId: string;
  /** The merchant API private key. */
  readonly privateKey: PrivateKeyInput;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly nonce: string;
}

/**
 * JSAPI and mini-program parameters for a v3 order: `paySign` is RSA over
 * `appId\ntimeStamp\nnonceStr\npackage\n`, `signType` is `RSA`.
 *
 * @example
 * jsapiPayParamsV3({ appId, prepayId, privateKey, timestamp: 1414561699, nonce }).paySign;
 */
export function jsapiPayParamsV3(input: V3SignedParamsInput): JsapiPayParams {
  const timeStamp = unixSeconds(input.timestamp);
  const pkg = `prepay_id=${input.prepayId}`;
  const paySign = rsaSign(`${input.appId}\n${timeStamp}\n${input.nonce}\n${pkg}\n`, input.privateKey);
  return { appId: input.appId, timeStamp, nonceStr: input.nonce, package: pkg, signType: 'RSA', paySign };
}

/**
 * APP parameters for a v3 order (`PayReq`): `sign` is RSA over
 * `appid\ntimestamp\nnoncestr\nprepayid\n` (the bare prepay id).
 */
export function appPayParamsV3(input: V3SignedParamsInput & { readonly partnerId: string }): AppPayParams {
  const timestamp = unixSeconds(input.timestamp);
  const sign = rsaSign(`${input.appId}\n${timestamp}\n${input.nonce}\n${input.prepayId}\n`, input.privateKey);
  return {
    appid: input.appId,
    partnerid: input.partnerId,
    prepayid: input.prepayId,
    package: 'Sign=WXPay',
    noncestr: input.nonce,
    timestamp,
    sign,
  };
}
