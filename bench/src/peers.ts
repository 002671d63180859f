/**
 * The peers, driven through the functions their own code uses for each step (see
 * docs/benchmarks.md): tenpay 2.1.18, wechatpay-axios-plugin 0.9.6, weixin-pay 1.1.7.
 */
import { createRequire } from 'node:module';
import { generateKeyPairSync } from 'node:crypto';
import { API_KEY, APP_ID, MCH_ID } from './fixtures.js';

const require = createRequire(import.meta.url);

interface TenpayPayment {
  _getSign(params: Record<string, unknown>, type?: string): string;
  _parse(xml: string, type: string, signType?: string): Promise<Record<string, string>>;
  unifiedOrder(params: Record<string, unknown>): Promise<Record<string, string>>;
  refund(params: Record<string, unknown>): Promise<Record<string, string>>;
  middlewareForExpress(type?: string): (req: unknown, res: unknown, next: () => void) => Promise<void>;
  urls: Record<string, string>;
}
interface TenpayModule {
  new (config: Record<string, unknown>): TenpayPayment;
}
interface TenpayUtil {
  buildXML(obj: Record<string, unknown>): string;
  parseXML(xml: string): Promise<Record<string, string>>;
}

export const Tenpay = require('tenpay') as TenpayModule;
export const tenpayUtil = require('tenpay/lib/util') as TenpayUtil;

/** A tenpay payment object for our merchant; `urls` can be pointed at a stub. */
export function tenpay(options: Record<string, unknown> = {}): TenpayPayment {
  return new Tenpay({ appid: APP_ID, mchid: MCH_ID, partnerKey: API_KEY, notify_url: 'https://pay.example.com/notify', ...options });
}

interface WapHash {
  sign(type: string, data: Record<string, unknown>, key: string): string;
  equals(known: string, user: string | undefined): boolean;
}
interface WapTransformer {
  toXml(data: Record<string, unknown>): string;
  toObject(xml: string): Record<string, string>;
}
const wap = require('wechatpay-axios-plugin') as {
  new (config: Record<string, unknown>): WapClient;
  Hash: WapHash;
  Transformer: WapTransformer;
};
export const wapHash = wap.Hash;
export const wapTransformer = wap.Transformer;

export interface WapClient {
  v2: {
    pay: { unifiedorder: { post(data: Record<string, unknown>): Promise<{ data: Record<string, string> }> } };
    secapi: {
      pay: { refund: { post(data: Record<string, unknown>, config?: Record<string, unknown>): Promise<{ data: Record<string, string> }> } };
    };
  };
}

/** A wechatpay-axios-plugin client (its APIv3 half gets a throwaway key; only v2 is used). */
export function wapClient(baseURL: string, merchant?: Record<string, unknown>): WapClient {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return new wap({
    mchid: MCH_ID,
    serial: 'BENCH0000000000000000000000000000000000',
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    certs: { PLATFORM000000000000000000000000000000: publicKey.export({ type: 'spki', format: 'pem' }) },
    secret: API_KEY,
    baseURL,
    ...(merchant ? { merchant } : {}),
  });
}

/** wechatpay-axios-plugin has no notify helper: its README pattern, toObject then sign + equals. */
export function wapVerify(xml: string): Record<string, string> {
  const data = wapTransformer.toObject(xml);
  const type = data['sign_type'] === 'HMAC-SHA256' || data['sign']?.length === 64 ? 'HMAC-SHA256' : 'MD5';
  if (!wapHash.equals(wapHash.sign(type, data, API_KEY), data['sign'])) throw new Error('bad sign');
  return data;
}

interface WeixinPay {
  sign(params: Record<string, unknown>): string;
}
const WXPay = require('weixin-pay') as (options: Record<string, unknown>) => WeixinPay;
export const weixinPay = WXPay({ appid: APP_ID, mch_id: MCH_ID, partner_key: API_KEY });
const weixinUtil = require('weixin-pay/lib/util') as {
  buildXML(o: unknown): string;
  parseXML(xml: string, fn: (err: unknown, r: Record<string, string>) => void): void;
};
export const weixinBuild = (fields: Record<string, unknown>): string => weixinUtil.buildXML(fields);
export const weixinParse = (xml: string): Promise<Record<string, string>> =>
  new Promise((resolve, reject) => weixinUtil.parseXML(xml, (err, r) => (err ? reject(err) : resolve(r))));
/** weixin-pay does not verify notifications; its own `sign()` stands in, for a like-for-like count. */
export async function weixinVerify(xml: string): Promise<Record<string, string>> {
  const data = await weixinParse(xml);
  if (weixinPay.sign(data) !== data['sign']) throw new Error('bad sign');
  return data;
}
