import { randomFillSync } from 'node:crypto';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { loggerOrDefault, maskingLogger } from '../logger.js';
import { loadMerchantCert } from './load-keys.js';
import { loadV3Keys, type V3KeyOptions } from './load-v3-keys.js';
import { hasV3Options } from './v3-schema.js';
import type { WxPayOptions } from './options.js';
import { crossCheck, wxPayOptionsSchema } from './schema.js';
import type { ResolvedApp, ResolvedConfig, ResolvedMerchant } from './types.js';
import { ANY_APP_ID } from './app-ids.js';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random bytes drawn in blocks: one `randomFillSync` per 4 KiB instead of one `randomBytes` per nonce. */
const pool = Buffer.allocUnsafe(4096);
let poolAt = pool.length;

function randomByte(): number {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]!;
}

/** 32 alphanumerics from `crypto.randomFillSync`, without modulo bias: WeChat's `nonce_str` shape. */
export function randomNonce(length = 32): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte >= 248) continue; // 248 = 62 * 4: keeps every character equally likely
    out += ALPHANUMERIC[byte % 62];
  }
  return out;
}

/** `merchants[1].apiKey` from zod's `['merchants', 1, 'apiKey']`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function caList(ca: string | Uint8Array | readonly (string | Uint8Array)[] | undefined): readonly (string | Buffer)[] | undefined {
  if (ca === undefined) return undefined;
  const list = Array.isArray(ca) ? (ca as readonly (string | Uint8Array)[]) : [ca as string | Uint8Array];
  return Object.freeze(list.map((c) => (typeof c === 'string' ? c : Buffer.from(c))));
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** Hides the API key and certificate from `JSON.stringify` and `console.log`. */
function hideSecrets<T extends { apiKey: string; cert: unknown }>(merchant: T): T {
  const masked = (): Record<string, unknown> => ({
    ...merchant,
    apiKey: '[redacted]',
    cert: merchant.cert === undefined ? undefined : '[redacted]',
    ...('v3' in merchant && merchant.v3 !== undefined ? { v3: '[redacted]' } : {}),
    ...('sandboxKey' in merchant && merchant.sandboxKey !== undefined ? { sandboxKey: '[redacted]' } : {}),
  });
  Object.defineProperty(merchant, 'toJSON', { value: masked, enumerable: false });
  Object.defineProperty(merchant, INSPECT, { value: masked, enumerable: false });
  return merchant;
}

/**
 * Validates {@link WxPayOptions} once and returns the frozen {@link ResolvedConfig}: defaults
 * applied, URLs normalized (no trailing slash), certificates loaded and checked, secrets hidden from
 * serialization, and lookups by merchant name, app name and app id.
 *
 * Throws one {@link ConfigError} listing every problem by path
 * (`merchants[1].apiKey: must be 32 characters`); values are never echoed.
 *
 * @example
 * const config = resolveConfig({ merchants: [...], apps: [...], notifyPayUrl, notifyRefundUrl });
 * config.merchantOfApp('shop')?.mchId;
 */
export function resolveConfig(options: WxPayOptions): ResolvedConfig {
  const parsed = wxPayOptionsSchema.safeParse(options);
  const issues: ConfigIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
  issues.push(...crossCheck(options));

  // Certificates are loaded even when other fields are wrong, so one run reports everything.
  const rawMerchants: readonly unknown[] = Array.isArray(options?.merchants) ? options.merchants : [];
  const certs = rawMerchants.map((m, i) => {
    const path = `merchants[${i}].cert`;
    const merchant = m as { cert?: unknown; mchId?: unknown } | null;
    if (merchant === null || typeof merchant !== 'object' || merchant.cert === undefined) return undefined;
    if (issues.some((issue) => issue.path === path || issue.path.startsWith(`${path}.`))) return undefined;
    return loadMerchantCert(merchant.cert as never, typeof merchant.mchId === 'string' ? merchant.mchId : '', path, issues);
  });

  // v3 keys are loaded only for merchants whose v3 options passed the schema: a v3 merchant's, or a
  // v2 merchant's kept for the calls only API v3 has (transfers).
  const v3Keys = rawMerchants.map((m, i) => {
    const merchant = m as (V3KeyOptions & { apiVersion?: unknown }) | null;
    if (merchant === null || typeof merchant !== 'object') return undefined;
    if (merchant.apiVersion !== 'v3' && !hasV3Options(merchant as never)) return undefined;
    const path = `merchants[${i}]`;
    if (issues.some((issue) => issue.path.startsWith(`${path}.`))) return undefined;
    return loadV3Keys(merchant, path, issues);
  });

  if (!parsed.success || issues.length > 0) throw new ConfigError(issues);
  const o = parsed.data;

  const merchants: ResolvedMerchant[] = o.merchants.map((m, i) =>
    Object.freeze(
      hideSecrets({
        name: m.name,
        mchId: m.mchId,
        apiKey: m.apiKey ?? '',
        signType: m.signType,
        baseUrl: m.baseUrl.replace(/\/+$/, ''),
        cert: certs[i],
        subMchId: m.subMchId,
        subAppId: m.subAppId,
        sandbox: m.sandbox,
        sandboxKey: m.sandboxKey,
        receipt: m.receipt,
        apiVersion: m.apiVersion,
        v3: v3Keys[i],
      }),
    ),
  );
  const apps: ResolvedApp[] = o.apps.map((a) =>
    Object.freeze({ name: a.name, merchant: a.merchant, appIds: Object.freeze([...new Set(a.appIds)]) }),
  );

  const merchantByName = new Map(merchants.map((m) => [m.name, m]));
  const appByName = new Map(apps.map((a) => [a.name, a]));
  const appsByAppId = new Map<string, ResolvedApp[]>();
  for (const app of apps) {
    for (const appId of app.appIds) {
      if (appId === ANY_APP_ID) continue;
      const list = appsByAppId.get(appId) ?? [];
      list.push(app);
      appsByAppId.set(appId, list);
    }
  }
  for (const [appId, list] of appsByAppId) appsByAppId.set(appId, Object.freeze(list) as ResolvedApp[]);
  const anyAppIdApps: readonly ResolvedApp[] = Object.freeze(apps.filter((a) => a.appIds.includes(ANY_APP_ID)));

  const config: ResolvedConfig = {
    merchants: Object.freeze(merchants),
    apps: Object.freeze(apps),
    notifyPayUrl: o.notifyPayUrl.replace(/\/+$/, ''),
    notifyRefundUrl: o.notifyRefundUrl.replace(/\/+$/, ''),
    notifyTransferUrl: o.notifyTransferUrl?.replace(/\/+$/, ''),
    bodyLimit: o.bodyLimit,
    bearerToken: o.bearerToken,
    authorize: options.authorize,
    store: options.store,
    client: Object.freeze({
      timeoutMs: o.client.timeoutMs,
      retries: o.client.retries,
      retryDelayMs: o.client.retryDelayMs,
      connections: o.client.connections,
      ca: caList(o.client.ca),
    }),
    micropay: Object.freeze({
      queryIntervalMs: o.micropay.queryIntervalMs,
      deadlineMs: o.micropay.deadlineMs,
      reverseAfterMs: o.micropay.reverseAfterMs,
      reverseIntervalMs: o.micropay.reverseIntervalMs,
      reverseAttempts: o.micropay.reverseAttempts,
      sleep: options.micropay?.sleep,
    }),
    orderExpireMinutes: o.orderExpireMinutes,
    logger: maskingLogger(loggerOrDefault(options.logger)),
    now: options.now ?? Date.now,
    nonce: options.nonce ?? (() => randomNonce()),
    merchant: (name) => merchantByName.get(name),
    app: (name) => appByName.get(name),
    merchantOfApp: (appName) => {
      const app = appByName.get(appName);
      return app === undefined ? undefined : merchantByName.get(app.merchant);
    },
    appsByAppId: (appId) => appsByAppId.get(appId) ?? anyAppIdApps,
  };
  Object.defineProperty(config, 'bearerToken', { value: o.bearerToken, enumerable: false, writable: false });
  return Object.freeze(config);
}
