import type { SignType } from '../protocol/v2/sign.js';
import type { DedupStore } from '../stores/dedup-store.js';
import type { Logger } from '../logger.js';
import type { WxPayRequest } from '../model/http.js';

/** `sweep` as an object; see `createWxPay`'s `sweep` option. */
export interface SweepOptions {
  /** Seconds after an order's creation at which it is queried: ascending whole seconds, at least 1. */
  readonly schedule?: readonly number[];
  /** WeChat calls per second per merchant, on average (bursts of one second's worth). Default 10. */
  readonly rate?: number;
  /** How often the queue is looked at when nothing is due, in ms. Default 1,000. */
  readonly pollMs?: number;
  /** How long one sweep of an order is leased to this instance (shared stores), in ms. Default 60,000. */
  readonly leaseMs?: number;
  /** The loop's timer (tests pass a manual clock, with `now` from the same clock). Default Node's timers, unref'd. */
  readonly timer?: { setTimeout(callback: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };
  /** False: no loop; call `wxpay.sweeper.runOnce()` yourself. Default true. */
  readonly autoStart?: boolean;
}

/** The merchant API certificate for calls that need mutual TLS (refunds). */
export type MerchantCertOptions =
  /** PKCS#12 (`apiclient_cert.p12`): its bytes, or a file path. WeChat's default passphrase is the mch id. */
  | { readonly pfx: Uint8Array | string; readonly passphrase?: string | undefined }
  /** PEM pair (`apiclient_cert.pem` + `apiclient_key.pem`): contents, or file paths. */
  | { readonly cert: Uint8Array | string; readonly key: Uint8Array | string; readonly passphrase?: string | undefined };

export interface MerchantOptions {
  /** Name the apps refer to. */
  readonly name: string;
  readonly mchId: string;
  /** The 32-character API v2 key. Never logged. Required for `v2` merchants; optional for `v3`. */
  readonly apiKey?: string | undefined;
  /** Default `MD5`. */
  readonly signType?: SignType | undefined;
  /** WeChat Pay API origin; every API path is appended to it. Default `https://api.mch.weixin.qq.com`. */
  readonly baseUrl?: string | undefined;
  readonly cert?: MerchantCertOptions | undefined;
  /** Service-provider mode: the sub-merchant acted for. */
  readonly subMchId?: string | undefined;
  readonly subAppId?: string | undefined;
  /** Calls go to `/sandboxnew/...` paths (WeChat's simulation system, or the simulator). */
  readonly sandbox?: boolean | undefined;
  /**
   * With `sandbox: true`: the 32-character sandbox key (what `/sandboxnew/pay/getsignkey` hands
   * out, as printed by go-wxpay-getsandbox), used as it is to sign and verify sandbox messages
   * instead of fetching one with `apiKey`. Never logged.
   */
  readonly sandboxKey?: string | undefined;
  /**
   * Every order placed through this merchant asks WeChat to show the e-invoice entry to the payer
   * (`receipt=Y` in v2, `support_fapiao` in v3). Default false.
   */
  readonly receipt?: boolean;
  /**
   * Protocol generation; default `v2`. A `v3` merchant needs `privateKey`, `certSerialNo`,
   * `apiV3Key` and a way to verify WeChat: `wechatpayPublicKey` + `wechatpayPublicKeyId` (the
   * default for merchants since late 2024), `platformCertificates: true` (legacy), or both during
   * a migration. Its `apiKey` (v2) is optional and only decrypts v2 XML refund notifications, which
   * WeChat still sends for refunds started in the merchant console.
   */
  readonly apiVersion?: 'v2' | 'v3' | undefined;
  /** v3: the merchant API private key (`apiclient_key.pem`): PEM text, bytes or a file path. Never logged. */
  readonly privateKey?: string | Uint8Array | undefined;
  /** v3: serial number of the merchant API certificate (hex). */
  readonly certSerialNo?: string | undefined;
  /** v3: the 32-byte APIv3 key. Never logged. */
  readonly apiV3Key?: string | undefined;
  /** v3: the WeChat Pay public key (`pub_key.pem`): PEM text, bytes or a file path. */
  readonly wechatpayPublicKey?: string | Uint8Array | undefined;
  /** v3: the id of `wechatpayPublicKey`, `PUB_KEY_ID_…`. */
  readonly wechatpayPublicKeyId?: string | undefined;
  /** v3 legacy mode: download, cache and refresh platform certificates from `/v3/certificates`. */
  readonly platformCertificates?: boolean | undefined;
}

export interface AppOptions {
  /** The app name: `payApp` in requests and `<app>` in notify URLs. Letters, digits, `_`, `-`, `.`. */
  readonly name: string;
  /** Name of the merchant this app is paid through. */
  readonly merchant: string;
  /**
   * The official account / mini-program / mobile app ids this app may use, or `['*']` for any app
   * id of its merchant (as go-wxpay-gateway configurations have it; see `ANY_APP_ID`).
   */
  readonly appIds: readonly string[];
}

/** Decides whether a request to an internal route (not a notify route) may proceed. */
export type AuthorizeHook = (request: WxPayRequest) => boolean | Promise<boolean>;

/**
 * Timing of managed payment-code payments (`wxpay.micropay()`, `POST micropay`), in ms. The
 * defaults follow WeChat: query every 5 s, give up at 45 s and reverse, never sooner than 15 s
 * after the submission (spec v2 §5.8–§5.9, v3 codepay §3.4).
 */
export interface MicropayOptions {
  /** Wait before each order query after `USERPAYING` or an unknown outcome. 100 to 60,000; default 5,000. */
  readonly queryIntervalMs?: number;
  /** From the submission until querying stops and the order is reversed. 1,000 to 600,000; default 45,000. */
  readonly deadlineMs?: number;
  /** No reverse sooner than this after the submission. 0 to 60,000; default 15,000. */
  readonly reverseAfterMs?: number;
  /** Wait between reverse attempts that failed. 100 to 60,000; default 5,000. */
  readonly reverseIntervalMs?: number;
  /** Reverse attempts (each also retried by the client) before the flow stops and answers pending. 1 to 100; default 10. */
  readonly reverseAttempts?: number;
  /** Waits between steps; default a real timer. Tests pass one that moves their clock (`now`) instead. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface ClientOptions {
  /** Per-request timeout for calls to WeChat, in ms. Default 10,000. */
  readonly timeoutMs?: number | undefined;
  /** Retries of calls that are safe to repeat (queries), on SYSTEMERROR or transport failure. Default 2. */
  readonly retries?: number | undefined;
  /** First backoff delay in ms; doubles each retry, with jitter. Default 200. */
  readonly retryDelayMs?: number | undefined;
  /** Keep-alive connections per WeChat origin. Default 16. */
  readonly connections?: number | undefined;
  /**
   * Extra certificate authorities (PEM text or bytes) trusted for API origins, on top of Node's
   * default list: for a simulator or test server with its own CA. Leave unset for WeChat.
   */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[] | undefined;
}

/** Options of `createWxPay()`. Validated once; one `ConfigError` lists every bad field. */
export interface WxPayOptions {
  readonly merchants: readonly MerchantOptions[];
  readonly apps: readonly AppOptions[];
  /** Public URL of the pay-notify route; `/<app name>` is appended for each order. */
  readonly notifyPayUrl: string;
  /** Public URL of the refund-notify route; `/<app name>` is appended for each refund. */
  readonly notifyRefundUrl: string;
  /**
   * Public URL of the transfer-callback route (`notify-transfer`); `/<app name>` is appended for
   * each transfer bill. Optional: without it (and without a `notifyUrl` in the create-transfer
   * request) WeChat sends no callback, and `confirm-transfer` is how results arrive.
   */
  readonly notifyTransferUrl?: string;
  /** Largest request body accepted, in bytes. Default 65,536. */
  readonly bodyLimit?: number | undefined;
  /** Bearer token required on internal routes (`Authorization: Bearer <token>`). */
  readonly bearerToken?: string | undefined;
  /** Host hook guarding internal routes; runs after the bearer check. */
  readonly authorize?: AuthorizeHook | undefined;
  /** Dedup store; default in memory. */
  readonly store?: DedupStore | undefined;
  /**
   * How long a notification's (or `confirm`'s) claim on its transaction or refund in the dedup
   * store lasts without renewal, in ms: 1,000 to 3,600,000, default 10,000. While the `paid` /
   * `refunded` listeners run, the claim is renewed every third of it (stores with `renew`: memory,
   * file, Redis), so listeners may take longer; meanwhile other deliveries of the same transaction
   * are answered FAIL so WeChat delivers again later. If the instance holding it crashes, the claim
   * is freed one lease after its last renewal: on a shared store (Redis) that is how long a crashed
   * instance blocks redelivery to the others, and the default frees it before WeChat's first retry.
   */
  readonly leaseMs?: number | undefined;
  /**
   * How long an order placed by create-pay can be paid, in minutes: 5 to 21,600 (15 days), default
   * 120 (WeChat's default validity of `prepay_id`). Sent as `time_expire` on every create-pay (v2
   * `yyyyMMddHHmmss` Beijing time, v3 RFC 3339 `+08:00`) and kept with the order record, so the
   * sweeper can close the order at WeChat once it has expired unpaid.
   */
  readonly orderExpireMinutes?: number | undefined;
  /**
   * The sweeper (off by default; the gateway turns it on): orders placed by create-pay and refunds
   * asked for by create-refund that have no result yet are queried at `schedule` (seconds after
   * creation; default WeChat's recommendation 5, 30, 60, 180, 300, 600, 1800, then every 1200 s
   * until expiry); a paid order fires `paid` with `source: 'sweep'` (once, whatever else reports
   * it), an order unpaid at its expiry is closed at WeChat and fires `closed`, a finished refund
   * fires `refunded` / `refund-failed`. WeChat calls are limited to `rate` per second per merchant
   * (default 10). `true` takes every default. The store must have a sweep queue (memory, file and
   * Redis stores do).
   */
  readonly sweep?: boolean | SweepOptions | undefined;
  readonly client?: ClientOptions | undefined;
  /** Timing of managed payment-code payments (`wxpay.micropay()`, `POST micropay`). */
  readonly micropay?: MicropayOptions | undefined;
  /**
   * Where wxpay-kit logs: pino, console or anything with `debug`/`info`/`warn`/`error(obj, msg)`.
   * Default: warnings and errors on stderr, one line each (`LOG_LEVEL` changes the level; see
   * `createStderrLogger`). `false` silences it. Secrets are masked before anything reaches it.
   */
  readonly logger?: Logger | false | undefined;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Random nonce source, for tests. Default 32 alphanumerics from `crypto.randomBytes`. */
  readonly nonce?: (() => string) | undefined;
}
