/**
 * The front door of the client: one {@link WxPayClient} whose calls go to the API v2 or the API v3
 * implementation of their merchant, chosen once per merchant when the client is made. Both
 * implementations run the operations declared in `operations.ts` over one transport.
 */
import type { ResolvedConfig } from '../config/types.js';
import { ValidationError } from '../errors.js';
import type { CallOptions } from '../model/contract.js';
import { OPERATIONS, OPERATION_NAMES } from './operations.js';
import type { CreateWxPayClientOptions } from './shared.js';
import { Transport } from './transport.js';
import type { WxPayClient } from './types.js';
import { createV2Client } from './v2/client.js';
import { createV3Client } from './v3/client.js';
import type { VersionClient } from './version-client.js';

export type { CreateWxPayClientOptions };

/**
 * Creates the WeChat Pay client for a resolved configuration. Each call goes to its merchant's
 * `baseUrl` in the merchant's API version: v2 (XML, MD5/HMAC-SHA256; `/sandboxnew/...` for sandbox
 * merchants; service-provider `sub_mch_id` / `sub_appid` added when configured) or v3 (JSON, RSA
 * signatures verified both ways).
 *
 * @example
 * const client = createWxPayClient(resolveConfig(options));
 * const order = await client.unifiedOrder({ merchant: 'main', appId: 'wx…', tradeType: 'NATIVE', … });
 * order.clientParams; // { tradeType: 'NATIVE', codeUrl: 'weixin://…' }
 * await client.close();
 */
export function createWxPayClient(config: ResolvedConfig, options: CreateWxPayClientOptions = {}): WxPayClient {
  const transport = new Transport(config.client);
  const v2 = createV2Client(config, transport, options);
  const v3 = config.merchants.some((m) => m.apiVersion === 'v3' || m.v3 !== undefined)
    ? createV3Client(config, transport, options)
    : undefined;
  const client: Record<string, unknown> = {
    getSandboxSignKey: v2.getSandboxSignKey,
    async close() {
      v2.close();
      v3?.close();
      await transport.close();
    },
  };
  if (v3 === undefined) {
    // Every merchant speaks v2: its implementation answers every call, with no choice per call.
    for (const name of OPERATION_NAMES) client[name] = v2[name];
    client['signKey'] = v2.signKey;
    return Object.freeze(client) as unknown as WxPayClient;
  }
  const byMerchant = new Map<string, VersionClient>(config.merchants.map((m) => [m.name, m.apiVersion === 'v3' ? v3 : v2]));
  // Calls only API v3 has go to v3 for every merchant holding v3 keys, whatever it pays with.
  const v3Holders = new Map<string, VersionClient>(config.merchants.map((m) => [m.name, m.v3 !== undefined ? v3 : v2]));
  const merchantOf = (input: unknown): string | undefined =>
    typeof input === 'object' && input !== null ? ((input as { merchant?: string }).merchant as string) : undefined;
  // An unknown merchant goes to v2, whose answer is the ValidationError naming the field.
  for (const name of OPERATION_NAMES) {
    const only = OPERATIONS[name].only;
    const table = only === 'v3' ? v3Holders : byMerchant;
    const pick = (input: unknown): VersionClient => (only === 'v2' ? v2 : (table.get(merchantOf(input) as string) ?? v2));
    client[name] = (input: never, callOptions?: CallOptions) =>
      (pick(input)[name] as (i: never, o?: CallOptions) => Promise<unknown>)(input, callOptions);
  }
  client['signKey'] = async (merchant: string, callOptions?: CallOptions) => {
    if (byMerchant.get(merchant) !== v3) return v2.signKey(merchant, callOptions);
    const apiKey = config.merchant(merchant)?.apiKey;
    if (!apiKey) throw new ValidationError('this v3 merchant has no API v2 key (apiKey) for v2 messages', { field: 'merchant' });
    return apiKey;
  };
  client['verifyV3Notification'] = v3.verifyNotification;
  client['v3Keyring'] = v3.keyring;
  return Object.freeze(client) as unknown as WxPayClient;
}
