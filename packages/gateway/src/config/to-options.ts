import type { AppOptions, MerchantOptions, WxPayOptions } from '@wxpay-kit/core';
import type { GatewayConfig, GatewayMerchant, GatewayTransferKeys } from './gateway-config.js';

/** What the mapping needs besides the config file. */
export interface ToWxPayOptionsInput {
  /** Origin the gateway is reachable at (`http://127.0.0.1:7080`); notify URLs default to it. */
  readonly localBaseUrl: string;
  /** Origin of the embedded simulator, for sandbox merchants without `api-base-url`. */
  readonly simulatorUrl?: string | undefined;
  /** The gateway's clock (order expiry, the sweeper's schedule); default the system clock. */
  readonly clock?: GatewayClock | undefined;
}

/**
 * Time as the gateway's core sees it: `now` stamps and expires orders, the timers run the sweeper.
 * Tests and simulations pass the simulator's manual or adjustable clock to run hours in moments.
 */
export interface GatewayClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The core options for a gateway config, minus what the server adds (logger, store, plugins). */
export type GatewayWxPayOptions = Pick<WxPayOptions, 'merchants' | 'apps' | 'notifyPayUrl' | 'notifyRefundUrl' | 'notifyTransferUrl'> &
  Partial<Pick<WxPayOptions, 'bearerToken' | 'bodyLimit' | 'leaseMs' | 'client' | 'orderExpireMinutes' | 'sweep' | 'micropay' | 'now'>>;

/**
 * The core merchant each configured merchant becomes: one for its production apps and, when a
 * `-dev` app uses it, one for the sandbox (same account, `/sandboxnew/...` paths, MD5).
 */
export interface MerchantVariant {
  readonly merchant: GatewayMerchant;
  readonly sandbox: boolean;
  /** The name given to the core. */
  readonly coreName: string;
  /**
   * Sandbox variants only: `mch-app-key` is the sandbox key and signs as it is (go-wxpay-gateway's
   * sandbox merchant). False: it is the API key and the core fetches the sandbox key with it
   * (the merchant also serves live apps, or says `fetch-sandbox-key`).
   */
  readonly configuredSandboxKey: boolean;
}

/**
 * Works out the core merchant of every app. A merchant used only by `-dev` apps keeps its name
 * and, as in go-wxpay-gateway, its `mch-app-key` is the sandbox key (unless `fetch-sandbox-key`);
 * one used by both kinds gets a second, sandbox entry named `<name>.sandbox` that fetches the
 * sandbox key with the API key.
 */
export function merchantVariants(config: GatewayConfig): Map<string, MerchantVariant> {
  const taken = new Set(config.merchants.map((m) => m.name));
  const byApp = new Map<string, MerchantVariant>();
  const variants = new Map<string, MerchantVariant>();
  for (const app of config.apps) {
    const merchant = config.merchants.find((m) => m.name === app.merchant);
    if (!merchant) continue;
    const key = `${merchant.name}\u0000${app.sandbox ? 'sandbox' : 'live'}`;
    let variant = variants.get(key);
    if (!variant) {
      const usedBothWays = config.apps.some((a) => a.merchant === merchant.name && a.sandbox !== app.sandbox);
      let coreName = merchant.name;
      if (app.sandbox && usedBothWays) {
        coreName = `${merchant.name}.sandbox`;
        while (taken.has(coreName)) coreName += '_';
        taken.add(coreName);
      }
      const configuredSandboxKey = app.sandbox && !usedBothWays && !merchant.fetchSandboxKey;
      variant = { merchant, sandbox: app.sandbox, coreName, configuredSandboxKey };
      variants.set(key, variant);
    }
    byApp.set(app.name, variant);
  }
  return byApp;
}

/** True when some `-dev` app's merchant has no `api-base-url`: the gateway then embeds the simulator. */
export function needsEmbeddedSimulator(config: GatewayConfig): boolean {
  return config.apps.some((a) => a.sandbox && config.merchants.find((m) => m.name === a.merchant)?.baseUrl === undefined);
}

/** Maps a gateway config onto `createWxPay()` options. */
export function toWxPayOptions(config: GatewayConfig, input: ToWxPayOptionsInput): GatewayWxPayOptions {
  const variants = merchantVariants(config);
  const merchants = new Map<string, MerchantOptions>();
  const apps: AppOptions[] = [];
  for (const app of config.apps) {
    const variant = variants.get(app.name);
    if (!variant) continue;
    if (!merchants.has(variant.coreName)) merchants.set(variant.coreName, toMerchantOptions(variant, input));
    apps.push({ name: app.name, merchant: variant.coreName, appIds: app.appIds });
  }
  const local = input.localBaseUrl.replace(/\/+$/, '');
  const options: GatewayWxPayOptions = {
    merchants: [...merchants.values()],
    apps,
    notifyPayUrl: config.notifyPayUrl ?? `${local}${config.endpoints.notifyPay}`,
    notifyRefundUrl: config.notifyRefundUrl ?? `${local}${config.endpoints.notifyRefund}`,
    ...(config.endpoints.notifyTransfer === '' && config.notifyTransferUrl === undefined
      ? {}
      : { notifyTransferUrl: config.notifyTransferUrl ?? `${local}${config.endpoints.notifyTransfer}` }),
    ...(config.bearerToken === undefined ? {} : { bearerToken: config.bearerToken }),
    ...(config.bodyLimit === undefined ? {} : { bodyLimit: config.bodyLimit }),
    ...(config.leaseMs === undefined ? {} : { leaseMs: config.leaseMs }),
    // go-wxpay-gateway's `timeout`: how long one call to WeChat may take.
    ...(config.timeoutMs === undefined ? {} : { client: { timeoutMs: config.timeoutMs } }),
    ...(config.orderExpireMinutes === undefined ? {} : { orderExpireMinutes: config.orderExpireMinutes }),
    // The sweeper runs unless "sweep-schedule" is false.
    sweep:
      config.sweepSchedule === false
        ? false
        : {
            ...(config.sweepSchedule === undefined ? {} : { schedule: config.sweepSchedule }),
            ...(config.sweepRate === undefined ? {} : { rate: config.sweepRate }),
            ...(config.sweepLeaseMs === undefined ? {} : { leaseMs: config.sweepLeaseMs }),
            ...(input.clock === undefined ? {} : { timer: input.clock }),
          },
    ...(config.micropay === undefined ? {} : { micropay: definedOnly(config.micropay) }),
    ...(input.clock === undefined ? {} : { now: input.clock.now }),
  };
  return options;
}

/** The object without its undefined fields (the core's options are exact). */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The keys an API v2 merchant's v3 set lacks for the calls only API v3 has (transfers), by the
 * config file's names; `[]` when it is complete: `mch-key-pem-file`, `mch-cert-serialno`,
 * `wxpay-v3-key`, and the WeChat Pay public key with its id or a platform certificate
 * (`wxpay-v3-cert`).
 */
export function missingTransferKeys(keys: GatewayTransferKeys): string[] {
  const missing: string[] = [];
  if (keys.privateKey === undefined) missing.push('mch-key-pem-file');
  if (keys.certSerialNo === undefined) missing.push('mch-cert-serialno');
  if (keys.apiV3Key === undefined) missing.push('wxpay-v3-key');
  const file = keys.wechatpayPublicKey !== undefined;
  const id = keys.wechatpayPublicKeyId !== undefined;
  if (file !== id) missing.push(file ? 'wxpay-pubkey-id' : 'wxpay-pubkey-file');
  else if (!file && keys.platformCertificate === undefined) missing.push('wxpay-pubkey-file + wxpay-pubkey-id (or wxpay-v3-cert)');
  return missing;
}

/**
 * An API v2 merchant's v3 keys as the core takes them (its payments stay on v2; the calls only v3
 * has use them), when the set is complete; a sandbox copy gets none (WeChat's sandbox has no v3).
 */
function transferKeyOptions(variant: MerchantVariant): Partial<MerchantOptions> {
  const keys = variant.merchant.transferKeys;
  if (variant.sandbox || keys === undefined || missingTransferKeys(keys).length > 0) return {};
  return {
    privateKey: keys.privateKey,
    certSerialNo: keys.certSerialNo,
    apiV3Key: keys.apiV3Key,
    ...(keys.wechatpayPublicKey === undefined ? {} : { wechatpayPublicKey: keys.wechatpayPublicKey }),
    ...(keys.wechatpayPublicKeyId === undefined ? {} : { wechatpayPublicKeyId: keys.wechatpayPublicKeyId }),
    // go-wxpay-gateway's platform-certificate mode: the certificates are downloaded with the APIv3 key.
    ...(keys.platformCertificate === undefined ? {} : { platformCertificates: true }),
  };
}

function toMerchantOptions(variant: MerchantVariant, input: ToWxPayOptionsInput): MerchantOptions {
  const m = variant.merchant;
  const baseUrl = m.baseUrl ?? (variant.sandbox ? input.simulatorUrl : undefined);
  if (variant.sandbox && baseUrl === undefined) {
    throw new Error(`wxpay-gateway: sandbox merchant "${m.name}" has no api-base-url and no simulator is running`);
  }
  if (m.v3) {
    return {
      name: variant.coreName,
      mchId: m.mchId,
      apiVersion: 'v3',
      privateKey: m.v3.privateKey,
      certSerialNo: m.v3.certSerialNo,
      apiV3Key: m.v3.apiV3Key,
      ...(m.v3.wechatpayPublicKey === undefined ? {} : { wechatpayPublicKey: m.v3.wechatpayPublicKey }),
      ...(m.v3.wechatpayPublicKeyId === undefined ? {} : { wechatpayPublicKeyId: m.v3.wechatpayPublicKeyId }),
      ...(m.v3.platformCertificates ? { platformCertificates: true } : {}),
      ...(m.apiKey === undefined ? {} : { apiKey: m.apiKey }),
      ...(baseUrl === undefined ? {} : { baseUrl }),
      ...(m.receipt ? { receipt: true } : {}),
    };
  }
  return {
    name: variant.coreName,
    mchId: m.mchId,
    ...(m.apiKey === undefined ? {} : { apiKey: m.apiKey }),
    // The sandbox signs with MD5 only (spec §3).
    signType: variant.sandbox ? 'MD5' : m.signType,
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(m.cert === undefined ? {} : { cert: m.cert }),
    ...(variant.sandbox ? { sandbox: true } : {}),
    ...(variant.configuredSandboxKey ? { sandboxKey: m.apiKey } : {}),
    ...(m.receipt ? { receipt: true } : {}),
    ...transferKeyOptions(variant),
  };
}
