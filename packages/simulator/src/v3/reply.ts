import { randomBytes } from 'node:crypto';
import type { WireReply } from '../api.js';
import type { SimulatorClock } from '../clock.js';
import * as ids from '../ids.js';
import type { SimulatorMerchant } from '../types.js';
import type { AuthFailure } from './auth.js';
import type { WechatpayKeyring } from './keys.js';

/** What signs replies and notifications: the WeChat Pay keys and the clock their timestamp comes from. */
export interface ReplySigner {
  readonly keyring: WechatpayKeyring;
  readonly clock: SimulatorClock;
}

export type Json = Record<string, unknown>;

/** A reply before signing: a status and a JSON body (none for 204). */
export interface Answer {
  readonly status: number;
  readonly body?: Json;
}

export const errorAnswer = (status: number, code: string, message: string, detail?: Json): Answer => ({
  status,
  body: detail === undefined ? { code, message } : { code, message, detail },
});

export const AUTH_MESSAGES: Readonly<Record<AuthFailure, string>> = {
  malformed: 'Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》',
  'unknown-merchant': '商户号不存在',
  'not-v3': '商户未配置API v3证书',
  'wrong-serial': '商户证书序列号有误。请使用签名私钥匹配的证书序列号',
  'stale-timestamp': '请求时间戳与当前时间相差过大，请检查系统时间',
  'bad-signature': '签名错误，请检查后再试',
};

/** A reply signed like WeChat's: `Request-ID` and the `Wechatpay-*` headers over timestamp, nonce and body (spec v3 §3). */
export function signedAnswer(deps: ReplySigner, answer: Answer, merchant: SimulatorMerchant | undefined): WireReply {
  const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
  const headers: Record<string, string> = {
    ...wechatpayHeaders(deps, merchant, body),
    'request-id': randomBytes(16).toString('hex').toUpperCase(),
  };
  if (answer.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
  return { status: answer.status, headers, body };
}

/** `Wechatpay-Timestamp`, `-Nonce`, `-Serial`, `-Signature`, `-Signature-Type` for `body`, signed with the merchant's WeChat Pay key. */
export function wechatpayHeaders(
  deps: ReplySigner,
  merchant: SimulatorMerchant | undefined,
  body: string,
  skewS = 0,
): Record<string, string> {
  const timestamp = String(Math.floor(deps.clock.now() / 1000) + skewS);
  const nonce = ids.nonceStr();
  const { serial, signature } = deps.keyring.sign(merchant?.v3?.wechatpayKey ?? 'public-key', `${timestamp}\n${nonce}\n${body}\n`);
  return {
    'wechatpay-timestamp': timestamp,
    'wechatpay-nonce': nonce,
    'wechatpay-serial': serial,
    'wechatpay-signature': signature,
    'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
  };
}
