import type { MerchantCertOptions } from '@wxpay-kit/core';
import type { GatewayEndpoints } from '../endpoints.js';
import type { ApiShape } from './seed-schema.js';

export type { ApiShape } from './seed-schema.js';

export { DEFAULT_ENDPOINTS } from '../endpoints.js';
export type { GatewayEndpoints } from '../endpoints.js';

/** A merchant account, as configured (`merchants[]`). */
export interface GatewayMerchant {
  readonly name: string;
  readonly mchId: string;
  /**
   * `mch-app-key`: the API v2 key; for a merchant only `-dev` apps use, the sandbox key itself
   * (what go-wxpay-getsandbox prints), unless {@link fetchSandboxKey}. Never logged.
   */
  readonly apiKey: string | undefined;
  /**
   * `fetch-sandbox-key`: `mch-app-key` is the API key even for sandbox use, and the sandbox key is
   * fetched with it (`/sandboxnew/pay/getsignkey`). Default false.
   */
  readonly fetchSandboxKey: boolean;
  readonly signType: 'MD5' | 'HMAC-SHA256';
  /** WeChat Pay origin; undefined means WeChat's production host (or, in sandbox, the embedded simulator). */
  readonly baseUrl: string | undefined;
  /** Merchant API certificate (for refunds), with paths resolved against the config file's directory. */
  readonly cert: MerchantCertOptions | undefined;
  /** `receipt`: every order asks WeChat to show the e-invoice entry (`receipt=Y`). Default false. */
  readonly receipt?: boolean | undefined;
  /** Present for API v3 merchants (`api-version: "v3"`). */
  readonly v3?: GatewayMerchantV3 | undefined;
  /**
   * An API v2 merchant's API v3 keys (go-wxpay-gateway's current version keeps them next to the v2
   * ones): they do not move its payments to v3; they are kept for the calls only v3 has (transfers).
   */
  readonly transferKeys?: GatewayTransferKeys | undefined;
}

/** The v3 keys of an API v2 merchant, as configured (paths resolved); any may be missing. */
export interface GatewayTransferKeys {
  /** The keys the file gave, for the start-up line. */
  readonly keys: readonly string[];
  readonly privateKey: string | undefined;
  readonly certSerialNo: string | undefined;
  /** Never logged. */
  readonly apiV3Key: string | undefined;
  readonly wechatpayPublicKey: string | undefined;
  readonly wechatpayPublicKeyId: string | undefined;
  /** `wxpay-v3-cert`: path of a WeChat Pay platform certificate. */
  readonly platformCertificate: string | undefined;
}

/**
 * An API v3 merchant's keys. Paths are resolved against the config file's directory; the files
 * are read by the core when the gateway starts. The default mode gives the keys' PEM text instead.
 */
export interface GatewayMerchantV3 {
  /** `mch-key-pem-file`: path of the merchant API private key (`apiclient_key.pem`), or its PEM text. */
  readonly privateKey: string;
  /** `mch-cert-serialno`: serial number of the merchant API certificate. */
  readonly certSerialNo: string;
  /** `wxpay-v3-key`: the APIv3 key. Never logged. */
  readonly apiV3Key: string;
  /** `wxpay-pubkey-file`: path of the WeChat Pay public key (`pub_key.pem`), or its PEM text. */
  readonly wechatpayPublicKey: string | undefined;
  /** `wxpay-pubkey-id`: `PUB_KEY_ID_…`, the id of that key. */
  readonly wechatpayPublicKeyId: string | undefined;
  /** `platform-certificates`: also (or only) verify WeChat with downloaded platform certificates (legacy). */
  readonly platformCertificates: boolean;
}

/** An app (`apps[]`): a name the callers send as `payApp`, its merchant and its callbacks. */
export interface GatewayApp {
  readonly name: string;
  readonly merchant: string;
  /** True when the name ends in `-dev`: calls go to the merchant's sandbox (`/sandboxnew/...`). */
  readonly sandbox: boolean;
  /** Where paid results are POSTed (`notify-pay-callback`). */
  readonly payCallback: string | undefined;
  /** Where refund results are POSTed (`notify-refund-callback`). */
  readonly refundCallback: string | undefined;
  /** Where transfer results (`transferred`, `transfer-failed`, `transfer-cancelled`) are POSTed (`notify-transfer-callback`). */
  readonly transferCallback: string | undefined;
  /**
   * The appIds this app may use (`app-ids`), or `['*']` (any appId of its merchant) when the
   * config lists none, as go-wxpay-gateway configs do.
   */
  readonly appIds: readonly string[];
  /** Secret signing forwarded callbacks (Standard Webhooks); undefined lets the forwarder decide. */
  readonly callbackSecret: string | undefined;
}

/** Where the forwarder's outbox and the dedup records live. */
export type StoreSpec =
  /** Embedded append-only file store under `path`. */
  | { readonly kind: 'file'; readonly path: string }
  /** Redis (several gateway instances may share it). */
  | { readonly kind: 'redis'; readonly url: string };

/** The gateway's configuration after validation, with defaults applied and paths resolved. */
export interface GatewayConfig {
  /** The configuration file, or `(built-in default)`. */
  readonly source: string;
  readonly listenHost: string;
  readonly listenPort: number;
  /** Public URL of the pay-notify endpoint; undefined: derived from the listen address. */
  readonly notifyPayUrl: string | undefined;
  /** Public URL of the refund-notify endpoint; undefined: derived from the listen address. */
  readonly notifyRefundUrl: string | undefined;
  /** Public URL of the transfer-callback endpoint (`notify-transfer-url`); undefined: derived from the listen address. */
  readonly notifyTransferUrl: string | undefined;
  readonly endpoints: GatewayEndpoints;
  readonly merchants: readonly GatewayMerchant[];
  readonly apps: readonly GatewayApp[];
  readonly store: StoreSpec;
  /** Bearer token required on the internal endpoints (everything but notifications and health). */
  readonly bearerToken: string | undefined;
  /** Largest request body, in bytes; undefined keeps the core's default. */
  readonly bodyLimit: number | undefined;
  /**
   * `lease-ms`: how long a notification's (or `confirm`'s) claim on its transaction in the dedup
   * store lasts without renewal, 1,000 to 3,600,000 ms; undefined keeps the core's default (10 s).
   * The claim is renewed every third of it while the listeners and the outbox write run; on a
   * shared store (Redis) it is how long a crashed instance keeps the others from taking WeChat's
   * redeliveries of the transaction it held.
   */
  readonly leaseMs: number | undefined;
  /** `timeout` (seconds in the file): per-request timeout of calls to WeChat; undefined keeps the core's 10 s. */
  readonly timeoutMs?: number | undefined;
  /** `worker-num`: go-wxpay-gateway's worker count; accepted, not used (one event loop serves every request). */
  readonly workerNum?: number | undefined;
  /** `pay-log-file`: go-wxpay-gateway's payment log; accepted, not written (results are JSON log lines and the store). */
  readonly payLogFile?: string | undefined;
  /** The reply shapes of the JSON endpoints, and why (`api-shape`, or what the file uses). */
  readonly apiShape?: { readonly shape: ApiShape; readonly reason: string } | undefined;
  /**
   * `order-expire-minutes` (the seed's key): how long an order placed by create-pay can be paid,
   * 5 to 21,600; sent as `time_expire`. Undefined keeps the core's default, 120 (WeChat's).
   */
  readonly orderExpireMinutes: number | undefined;
  /**
   * `sweep-schedule`: seconds after an order's creation at which the sweeper queries it (then every
   * last interval until it expires, when it is closed); `false` turns the sweeper off; undefined
   * keeps the core's default (WeChat's recommendation: 5, 30, 60, 180, 300, 600, 1800). The
   * sweeper is on unless this is `false`.
   */
  readonly sweepSchedule?: readonly number[] | false | undefined;
  /** `sweep-rate`: WeChat calls per second per merchant the sweeper makes; undefined: 10. */
  readonly sweepRate?: number | undefined;
  /** `sweep-lease-ms`: how long one sweep of an order is held by one instance on a shared store; undefined: 60,000. */
  readonly sweepLeaseMs?: number | undefined;
  /** `micropay-*`: timing of payment-code payments; each undefined field keeps the core's default. */
  readonly micropay?: GatewayMicropayTiming | undefined;
  /**
   * `reconcile-at`: the time of day, `HH:MM` China time (UTC+8), at which the gateway reconciles
   * yesterday's trade bills against what it recorded and delivered; `false` turns it off.
   * Undefined: {@link DEFAULT_RECONCILE_AT}.
   */
  readonly reconcileAt?: string | false | undefined;
}

/** The `micropay-*` keys, in ms (the core's `micropay` options). */
export interface GatewayMicropayTiming {
  /** `micropay-query-interval-ms`: wait before each order query after USERPAYING or an unknown outcome (core default 5,000). */
  readonly queryIntervalMs?: number | undefined;
  /** `micropay-deadline-ms`: from the submission until querying stops and the order is reversed (core default 45,000). */
  readonly deadlineMs?: number | undefined;
  /** `micropay-reverse-after-ms`: no reverse sooner than this after the submission (core default 15,000). */
  readonly reverseAfterMs?: number | undefined;
  /** `micropay-reverse-interval-ms`: wait between reverse attempts that failed (core default 5,000). */
  readonly reverseIntervalMs?: number | undefined;
  /** `micropay-reverse-attempts`: reverse attempts before the payment is answered pending (core default 10). */
  readonly reverseAttempts?: number | undefined;
}

/**
 * When the gateway reconciles by default: WeChat makes the previous day's bills from 09:00 and
 * says to fetch them after 10:00 (spec v3-more §4.1); half an hour later leaves room for a late
 * bill (a bill still being made is asked for again every 30 minutes).
 */
export const DEFAULT_RECONCILE_AT = '10:30';

/** The port go-wxpay-gateway's sample listens on. */
export const DEFAULT_PORT = 7080;

/** Directory of the embedded store when neither `store` nor `notify-file` is set (relative to the config file). */
export const DEFAULT_STORE_DIR = '.wxpay-data';

/** Apps whose name ends in this suffix use their merchant's sandbox (as in go-wxpay-gateway). */
export const SANDBOX_SUFFIX = '-dev';

/** True when `appName` selects the sandbox: it ends in `-dev` and has something before it. */
export function isSandboxApp(appName: string): boolean {
  return appName.length > SANDBOX_SUFFIX.length && appName.endsWith(SANDBOX_SUFFIX);
}
