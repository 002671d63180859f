import { createHash, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import type { SimulatorMerchant, SimulatorMerchantOptions, SimulatorMerchantV3, SimulatorMerchantV3Options } from './types.js';

/**
 * The merchant a simulator started without `merchants` serves. Its key is the one from WeChat's
 * signature documentation, so examples and curl sessions can rely on it.
 */
export const DEFAULT_MERCHANT: SimulatorMerchantOptions = Object.freeze({
  mchId: '1900000109',
  apiKey: '192006250b4c09247ec02edce69f6a2d',
  appIds: Object.freeze(['wxd930ea5d5a258f4f']),
  signType: 'MD5',
});

/** The sandbox key `/sandboxnew/pay/getsignkey` hands out: stable for a merchant id and key. */
export function sandboxKeyFor(mchId: string, apiKey: string): string {
  return createHash('md5').update(`wxpay-kit-simulator-sandbox\n${mchId}\n${apiKey}`, 'utf8').digest('hex');
}

/** Whether `merchant` accepts `appId`: it lists it, or its list is `['*']` (any app id). */
export function merchantAcceptsAppId(merchant: { readonly appIds: readonly string[] }, appId: string | undefined): boolean {
  return appId !== undefined && appId !== '' && (merchant.appIds.includes(appId) || merchant.appIds.includes('*'));
}

/** Applies defaults and checks the merchant list; throws `TypeError` naming the bad entry. */
export function resolveMerchants(input: readonly SimulatorMerchantOptions[] | undefined): SimulatorMerchant[] {
  const list = input === undefined || input.length === 0 ? [DEFAULT_MERCHANT] : input;
  const seen = new Set<string>();
  return list.map((m, i) => {
    if (typeof m.mchId !== 'string' || m.mchId === '') throw new TypeError(`merchants[${i}].mchId must be a non-empty string`);
    if (seen.has(m.mchId)) throw new TypeError(`merchants[${i}].mchId ${m.mchId} is listed twice`);
    seen.add(m.mchId);
    if (typeof m.apiKey !== 'string' || m.apiKey === '') throw new TypeError(`merchants[${i}].apiKey must be a non-empty string`);
    if (!Array.isArray(m.appIds) || m.appIds.length === 0 || m.appIds.some((a) => typeof a !== 'string' || a === '')) {
      throw new TypeError(`merchants[${i}].appIds must list at least one app id`);
    }
    if (m.sandboxKey !== undefined && (typeof m.sandboxKey !== 'string' || m.sandboxKey === '')) {
      throw new TypeError(`merchants[${i}].sandboxKey must be a non-empty string`);
    }
    if (m.signType !== undefined && m.signType !== 'MD5' && m.signType !== 'HMAC-SHA256') {
      throw new TypeError(`merchants[${i}].signType must be MD5 or HMAC-SHA256`);
    }
    const v3 = m.v3 === undefined ? undefined : resolveV3(m.v3, i);
    return Object.freeze({
      mchId: m.mchId,
      apiKey: m.apiKey,
      appIds: Object.freeze([...m.appIds]),
      signType: m.signType ?? 'MD5',
      refundNotifyUrl: m.refundNotifyUrl,
      sandboxKey: m.sandboxKey ?? sandboxKeyFor(m.mchId, m.apiKey),
      apiVersion: v3 ? 'v3' : 'v2',
      v3,
    });
  });
}

function resolveV3(v3: SimulatorMerchantV3Options, i: number): SimulatorMerchantV3 {
  const where = `merchants[${i}].v3`;
  if (v3 === null || typeof v3 !== 'object') throw new TypeError(`${where} must be an object`);
  if (typeof v3.serialNo !== 'string' || !/^[0-9A-Fa-f]{1,64}$/.test(v3.serialNo)) {
    throw new TypeError(`${where}.serialNo must be the hex serial number of the merchant's API certificate`);
  }
  if (typeof v3.apiV3Key !== 'string' || Buffer.byteLength(v3.apiV3Key, 'utf8') !== 32) {
    throw new TypeError(`${where}.apiV3Key must be 32 bytes`);
  }
  if (v3.wechatpayKey !== undefined && v3.wechatpayKey !== 'public-key' && v3.wechatpayKey !== 'platform-certificate') {
    throw new TypeError(`${where}.wechatpayKey must be public-key or platform-certificate`);
  }
  let key: KeyObject;
  try {
    key = toPublicKey(v3.publicKey);
  } catch {
    throw new TypeError(`${where}.publicKey must be a PEM public key, a PEM certificate or a KeyObject`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new TypeError(`${where}.publicKey must be an RSA key`);
  return Object.freeze({
    publicKey: key.export({ type: 'spki', format: 'pem' }).toString(),
    serialNo: v3.serialNo.toUpperCase(),
    apiV3Key: v3.apiV3Key,
    wechatpayKey: v3.wechatpayKey ?? 'public-key',
  });
}

function toPublicKey(input: string | KeyObject): KeyObject {
  if (input instanceof KeyObject) return input.type === 'public' ? input : createPublicKey(input);
  if (typeof input === 'string' && input.includes('BEGIN CERTIFICATE')) return new X509Certificate(input).publicKey;
  return createPublicKey(input);
}
