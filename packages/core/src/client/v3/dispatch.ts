import type { ResolvedConfig } from '../../config/types.js';
import { ValidationError } from '../../errors.js';
import type { Transport } from '../transport.js';
import type { WxPayClient } from '../types.js';
import { createWxPayV3Client, type V3ClientOptions } from './client.js';

/**
 * Puts the v3 client beside the v2 one: each call goes to the client of its merchant's
 * `apiVersion`, over the same transport. A configuration without v3 merchants gets the v2 client
 * unchanged.
 */
export function withV3(v2: WxPayClient, config: ResolvedConfig, transport: Transport, options: V3ClientOptions): WxPayClient {
  if (!config.merchants.some((m) => m.apiVersion === 'v3')) return v2;
  const v3 = createWxPayV3Client(config, transport, options);
  const isV3 = (merchant: unknown): boolean => typeof merchant === 'string' && config.merchant(merchant)?.apiVersion === 'v3';
  const target = (input: unknown): unknown => (typeof input === 'object' && input !== null ? (input as { merchant?: unknown }).merchant : undefined);
  const client: WxPayClient = {
    unifiedOrder: (input, o) => (isV3(target(input)) ? v3.unifiedOrder(input, o) : v2.unifiedOrder(input, o)),
    queryOrder: (input, o) => (isV3(target(input)) ? v3.queryOrder(input, o) : v2.queryOrder(input, o)),
    closeOrder: (input, o) => (isV3(target(input)) ? v3.closeOrder(input, o) : v2.closeOrder(input, o)),
    refund: (input, o) => (isV3(target(input)) ? v3.refund(input, o) : v2.refund(input, o)),
    queryRefund: (input, o) => (isV3(target(input)) ? v3.queryRefund(input, o) : v2.queryRefund(input, o)),
    downloadBill: (input, o) => (isV3(target(input)) ? v3.downloadBill(input, o) : v2.downloadBill(input, o)),
    getSandboxSignKey: (input, o) => v2.getSandboxSignKey(input, o),
    async signKey(merchant, o) {
      if (!isV3(merchant)) return v2.signKey(merchant, o);
      const apiKey = config.merchant(merchant)?.apiKey;
      if (!apiKey) throw new ValidationError('this v3 merchant has no API v2 key (apiKey) for v2 messages', { field: 'merchant' });
      return apiKey;
    },
    verifyV3Notification: (merchant, headers, body, o) => v3.verifyNotification(merchant, headers, body, o),
    async close() {
      v3.close();
      await v2.close();
    },
  };
  return Object.freeze(client);
}
