import type { KeyObject } from 'node:crypto';
import type { SignType } from '../protocol/v2/sign.js';
import type { DedupStore } from '../stores/dedup-store.js';
import type { Logger } from '../logger.js';
import type { AuthorizeHook } from './options.js';

/**
 * Merchant certificate material, loaded and checked at start-up (a bad passphrase fails then).
 * Never logged: `toJSON` of the owning merchant hides it.
 */
export type ResolvedCert =
  | { readonly kind: 'pfx'; readonly pfx: Buffer; readonly passphrase: string | undefined }
  | { readonly kind: 'pem'; readonly cert: Buffer; readonly key: Buffer; readonly passphrase: string | undefined };

/** A merchant after validation, with defaults applied. */
export interface ResolvedMerchant {
  readonly name: string;
  readonly mchId: string;
  /** The 32-character API v2 key. Hidden from `JSON.stringify`. */
  readonly apiKey: string;
  readonly signType: SignType;
  /** API origin without a trailing slash, e.g. `https://api.mch.weixin.qq.com`. */
  readonly baseUrl: string;
  readonly cert: ResolvedCert | undefined;
  readonly subMchId: string | undefined;
  readonly subAppId: string | undefined;
  readonly sandbox: boolean;
  /**
   * A sandbox merchant's configured sandbox key, used as it is instead of fetching one with
   * `apiKey`. Hidden from `JSON.stringify`.
   */
  readonly sandboxKey?: string | undefined;
  /** Orders ask WeChat to show the e-invoice entry (`receipt=Y` / `support_fapiao`). Default false. */
  readonly receipt?: boolean | undefined;
  readonly apiVersion: 'v2' | 'v3';
  /**
   * API v3 key material: a v3 merchant's, or a v2 merchant's kept for the calls only API v3 has
   * (transfer bills and batches; its payments stay on v2). Hidden from `JSON.stringify`.
   */
  readonly v3?: ResolvedV3Keys | undefined;
}

/** A v3 merchant's keys, loaded and checked at start-up. */
export interface ResolvedV3Keys {
  /** The merchant API private key (`apiclient_key.pem`) that signs requests and client params. */
  readonly privateKey: KeyObject;
  /** Serial number of the merchant API certificate (`serial_no` of the Authorization header). */
  readonly certSerialNo: string;
  /** The 32-byte APIv3 key that decrypts notifications and platform certificates. */
  readonly apiV3Key: string;
  /** The WeChat Pay public key id (`PUB_KEY_ID_…`), when that key is configured. */
  readonly publicKeyId: string | undefined;
  /** The WeChat Pay public key, when configured. */
  readonly publicKey: KeyObject | undefined;
  /** Legacy mode: download platform certificates (also alongside a public key, during a migration). */
  readonly platformCertificates: boolean;
}

/** An app after validation. */
export interface ResolvedApp {
  readonly name: string;
  /** The merchant's name. */
  readonly merchant: string;
  readonly appIds: readonly string[];
}

/** Client settings after defaults. */
export interface ResolvedClientOptions {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly connections: number;
  /** Extra trusted CAs (PEM), or undefined for Node's default list only. */
  readonly ca: readonly (string | Buffer)[] | undefined;
}

/**
 * Validated, frozen configuration: what `resolveConfig(options)` returns. Nothing reads the raw
 * options after this point.
 */
export interface ResolvedConfig {
  readonly merchants: readonly ResolvedMerchant[];
  readonly apps: readonly ResolvedApp[];
  readonly notifyPayUrl: string;
  readonly notifyRefundUrl: string;
  /** Public URL of the transfer-callback route (`/<app name>` appended), or undefined: no callback is asked for. */
  readonly notifyTransferUrl: string | undefined;
  readonly bodyLimit: number;
  readonly bearerToken: string | undefined;
  readonly authorize: AuthorizeHook | undefined;
  /** The store given in the options, if any (the handler supplies the in-memory default). */
  readonly store: DedupStore | undefined;
  readonly client: ResolvedClientOptions;
  /** Timing of managed payment-code payments; absent: WeChat's recommended defaults. */
  readonly micropay?: ResolvedMicropayOptions | undefined;
  /** How long an order placed by create-pay can be paid, in minutes (`time_expire`). */
  readonly orderExpireMinutes: number;
  /** Masks secrets before anything reaches the logger given in the options (default: warn and error lines on stderr). */
  readonly logger: Logger;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** A fresh 32-character alphanumeric nonce. */
  readonly nonce: () => string;
  /** The merchant of this name, or undefined. */
  merchant(name: string): ResolvedMerchant | undefined;
  /** The app of this name, or undefined. */
  app(name: string): ResolvedApp | undefined;
  /** The merchant an app is paid through, or undefined for an unknown app. */
  merchantOfApp(appName: string): ResolvedMerchant | undefined;
  /** Every app that lists `appId` (several app names may share one app id, e.g. `shop` and `shop-dev`). */
  appsByAppId(appId: string): readonly ResolvedApp[];
}

/** `micropay` options with defaults applied. */
export interface ResolvedMicropayOptions {
  readonly queryIntervalMs: number;
  readonly deadlineMs: number;
  readonly reverseAfterMs: number;
  readonly reverseIntervalMs: number;
  readonly reverseAttempts: number;
  readonly sleep: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}
