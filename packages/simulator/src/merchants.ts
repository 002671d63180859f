import { createHash } from 'node:crypto';
import type { SimulatorMerchant, SimulatorMerchantOptions } from './types.js';

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
    if (m.signType !== undefined && m.signType !== 'MD5' && m.signType !== 'HMAC-SHA256') {
      throw new TypeError(`merchants[${i}].signType must be MD5 or HMAC-SHA256`);
    }
    return Object.freeze({
      mchId: m.mchId,
      apiKey: m.apiKey,
      appIds: Object.freeze([...m.appIds]),
      signType: m.signType ?? 'MD5',
      refundNotifyUrl: m.refundNotifyUrl,
      sandboxKey: sandboxKeyFor(m.mchId, m.apiKey),
    });
  });
}
