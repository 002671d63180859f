import type { KeyObject } from 'node:crypto';
import type { Logger, SignType } from '@wxpay-kit/core';
import type { SimulatorClock } from './clock.js';

/** A merchant the simulator knows, as given to {@link SimulatorOptions.merchants}. */
export interface SimulatorMerchantOptions {
  /** Merchant id (`mch_id`). */
  readonly mchId: string;
  /** The API v2 key requests are signed with. */
  readonly apiKey: string;
  /**
   * App ids bound to this merchant; any other `appid` gets `APPID_MCHID_NOT_MATCH`. `['*']`
   * accepts every app id (for configurations that list none, as go-wxpay-gateway's).
   */
  readonly appIds: readonly string[];
  /**
   * The sandbox key (`/sandboxnew/...` calls are signed with it, `getsignkey` hands it out).
   * Default: derived from `mchId` and `apiKey` ({@link sandboxKeyFor}).
   */
  readonly sandboxKey?: string;
  /**
   * The algorithm this merchant's clients are expected to use. Informational (listed under
   * `/_sim/merchants`): requests are accepted in either algorithm, as WeChat does. Default `MD5`.
   */
  readonly signType?: SignType;
  /** Refund notification URL used when a refund request carries no `notify_url` (WeChat's platform setting). */
  readonly refundNotifyUrl?: string;
  /**
   * Makes this an API v3 merchant: the `/v3/` endpoints accept its signed calls, and its v3
   * orders and refunds are notified in v3 JSON. The v2 `apiKey` stays in use for refunds started
   * from the merchant console, which WeChat still notifies in v2 XML.
   */
  readonly v3?: SimulatorMerchantV3Options;
}

/** Which WeChat Pay key signs replies and notifications to a v3 merchant. */
export type WechatpayKeyMode = 'public-key' | 'platform-certificate';

/** API v3 keys of a merchant, as given to {@link SimulatorMerchantOptions.v3}. */
export interface SimulatorMerchantV3Options {
  /** The public key of the merchant's API certificate: PEM public key, PEM certificate or a `KeyObject`. */
  readonly publicKey: string | KeyObject;
  /** Serial number of the merchant's API certificate (the `serial_no` of `Authorization`); compared case-insensitively. */
  readonly serialNo: string;
  /** The APIv3 key, 32 characters: notification resources and platform certificates are encrypted with it. */
  readonly apiV3Key: string;
  /**
   * Which WeChat Pay key signs this merchant's replies and notifications: the WeChat Pay public key
   * (`Wechatpay-Serial: PUB_KEY_ID_…`, the default, as for merchants registered since late 2024) or
   * the current platform certificate (its serial number).
   */
  readonly wechatpayKey?: WechatpayKeyMode;
}

/** A v3 merchant's keys after defaults. */
export interface SimulatorMerchantV3 {
  /** SPKI PEM. */
  readonly publicKey: string;
  /** Upper-case. */
  readonly serialNo: string;
  readonly apiV3Key: string;
  readonly wechatpayKey: WechatpayKeyMode;
}

/** A merchant after defaults, with its sandbox key (the key `/sandboxnew/pay/getsignkey` returns). */
export interface SimulatorMerchant {
  readonly mchId: string;
  readonly apiKey: string;
  readonly appIds: readonly string[];
  readonly signType: SignType;
  readonly refundNotifyUrl: string | undefined;
  /** Signs every `/sandboxnew/...` call (MD5 only). Deterministic per merchant id and key. */
  readonly sandboxKey: string;
  /** `v3` when the merchant was given {@link SimulatorMerchantOptions.v3}. */
  readonly apiVersion: ApiVersion;
  readonly v3: SimulatorMerchantV3 | undefined;
}

/** The WeChat Pay API generation an order, refund or notification belongs to. */
export type ApiVersion = 'v2' | 'v3';

/** When a refund leaves `PROCESSING`: at once, or only on a control call (`completeRefund` & co). */
export type RefundMode = 'auto' | 'manual';

/** Certificates for the HTTPS listener with mutual TLS on `/secapi/` paths. PEM text or bytes. */
export interface SimulatorTlsOptions {
  /** The CA that signed the merchants' client certificates. */
  readonly ca: string | Uint8Array;
  /** The server's certificate chain. */
  readonly cert: string | Uint8Array;
  /** The server's private key. */
  readonly key: string | Uint8Array;
  /** Also require the client certificate's common name to equal the request's `mch_id`, as on WeChat's real certificates. Default false. */
  readonly requireMchIdCommonName?: boolean;
}

/** Options of {@link createSimulator} and {@link startSimulator}. */
export interface SimulatorOptions {
  /** Merchants to serve. Default: one merchant, see {@link DEFAULT_MERCHANT}. */
  readonly merchants?: readonly SimulatorMerchantOptions[];
  /**
   * Multiplies every notification retry interval (WeChat's 15 s … 6 h schedule). `0.001` turns
   * seconds into milliseconds. Default 1.
   */
  readonly timeFactor?: number;
  /** Default `auto`: a refund succeeds as soon as it is accepted. */
  readonly refunds?: RefundMode;
  /** False: no pay or refund notification is ever sent (see {@link SimSettings.notifications}). Default true. */
  readonly notifications?: boolean;
  /** Serve HTTPS and require a verified client certificate on `/secapi/` paths. */
  readonly tls?: SimulatorTlsOptions;
  /** Where the simulator's paths start when embedded under a prefix, e.g. `/wechat`. Default ''. */
  readonly basePath?: string;
  /** Largest accepted request body in bytes. Default 65,536. */
  readonly bodyLimit?: number;
  /** Per-attempt timeout of a notification delivery, in ms (not scaled by `timeFactor`). Default 5,000. */
  readonly notifyTimeoutMs?: number;
  /** Logger; default silent. */
  readonly logger?: Logger;
  /** Clock; default the system clock. */
  readonly clock?: SimulatorClock;
  /** The simulator's own API v3 keys and checks. */
  readonly v3?: SimulatorV3Options;
}

/** Options of the simulator's API v3 side. */
export interface SimulatorV3Options {
  /**
   * The WeChat Pay private key (PEM or `KeyObject`, RSA 2048) whose public half merchants
   * configure as the WeChat Pay public key. Default: a key generated at first use.
   */
  readonly privateKey?: string | KeyObject;
  /** Id of that key, `PUB_KEY_ID_` + digits. Default derived from the key. */
  readonly publicKeyId?: string;
  /** Private key of the first platform certificate. Default: generated at first use. */
  readonly platformPrivateKey?: string | KeyObject;
  /** Largest accepted difference between an `Authorization` timestamp and the simulator's clock, in seconds (`Infinity`: no check). Default 300. */
  readonly timestampWindowS?: number;
}

/** A platform certificate the simulator signs with, as listed by `/v3/certificates`. */
export interface SimPlatformCertificate {
  /** Upper-case hex, as in `Wechatpay-Serial`. */
  readonly serialNo: string;
  /** PEM. */
  readonly certificate: string;
  /** RFC 3339, Beijing time. */
  readonly effectiveTime: string;
  readonly expireTime: string;
  /** True for the certificate that signs now. */
  readonly active: boolean;
}

/** The simulator's WeChat Pay keys, for configuring v3 merchants' clients. */
export interface SimWechatpayKeys {
  /** `PUB_KEY_ID_…`, the `Wechatpay-Serial` of replies signed with the public key. */
  readonly publicKeyId: string;
  /** SPKI PEM of the WeChat Pay public key. */
  readonly publicKey: string;
  /** Platform certificates, oldest first. */
  readonly platformCertificates: readonly SimPlatformCertificate[];
}

/** The simulator's business clock, as the control API reports it. */
export interface SimClockView {
  /** Epoch ms on the simulator's clock. */
  readonly now: number;
  /** The same instant, ISO 8601. */
  readonly iso: string;
  /** How far the clock was moved ahead of real time, in ms (0 for an injected clock). */
  readonly offsetMs: number;
}

/** Options of {@link SimulatorControl.rotatePlatformCertificate}. */
export interface SimRotateOptions {
  /** Drop the earlier certificates from `/v3/certificates` at once. Default false: they stay listed until they expire. */
  readonly retirePrevious?: boolean;
}

/** Options of {@link SimulatorControl.startRefund}. */
export interface SimStartRefundOptions extends SimTarget {
  /** Amount in fen; default what is left to refund. */
  readonly refundFee?: number;
  /** Default generated. */
  readonly outRefundNo?: string;
  /**
   * Who started the refund. `console` (default): WeChat's merchant console, notified in v2 XML with
   * encrypted `req_info` (`refund_request_source` `VENDOR_PLATFORM`) whatever the merchant's API
   * version. `api`: as if the merchant's API had asked, notified in the order's API version.
   */
  readonly source?: RefundSource;
  /** Default the merchant's `refundNotifyUrl`. */
  readonly notifyUrl?: string;
  readonly reason?: string;
}

/**
 * How {@link SimulatorControl.forgeNotification} spoils a v3 notification:
 * - `signtest`: `Wechatpay-Signature` is a `WECHATPAY/SIGNTEST/…` probe, as WeChat sends to check that merchants verify;
 * - `bad-signature`: the body was changed after signing;
 * - `unknown-serial`: signed by a key the merchant was never given, under a serial it does not know;
 * - `stale-timestamp`: correctly signed, but `Wechatpay-Timestamp` is ten minutes old;
 * - `bad-tag`: correctly signed, but the resource's GCM tag is wrong, so it does not decrypt.
 */
export type SimForgery = 'signtest' | 'bad-signature' | 'unknown-serial' | 'stale-timestamp' | 'bad-tag';

/** Options of {@link SimulatorControl.forgeNotification}: which notification to forge, by order (pay) or by refund. */
export interface SimForgeOptions extends SimTarget {
  readonly forgery: SimForgery;
  /** A paid v3 order: forge its `TRANSACTION.SUCCESS`. */
  readonly outTradeNo?: string;
  /** A finished v3 refund: forge its refund notification (takes precedence over `outTradeNo`). */
  readonly outRefundNo?: string;
  /** A transfer bill in a final state: forge its `MCHTRANSFER.BILL.FINISHED` callback (takes precedence over both). */
  readonly outBillNo?: string;
}

/** Who started a refund. */
export type RefundSource = 'api' | 'console';

/** `trade_state` values the simulator produces. */
export type SimTradeState = 'NOTPAY' | 'SUCCESS' | 'REFUND' | 'CLOSED' | 'PAYERROR' | 'USERPAYING' | 'REVOKED';

/**
 * How a simulated payment-code payment (v2 micropay, v3 codepay) behaves, chosen by the last
 * three digits of its auth code (see the README's table) and visible on the order.
 */
export type SimMicropayCase =
  | 'paid'
  | 'userpaying-then-paid'
  | 'userpaying-timeout'
  | 'userpaying-then-payerror'
  | 'authcode-expired'
  | 'authcode-invalid'
  | 'systemerror-paid'
  | 'bankerror-payerror'
  | 'notenough'
  | 'userpaying-reverse-systemerror';

/** A payment-code order's progress in the simulator. */
export interface SimMicropay {
  readonly case: SimMicropayCase;
  /** Order queries answered since submission. */
  readonly queries: number;
  /** Reverse calls answered. */
  readonly reverses: number;
}

/** `refund_status` values the simulator produces. */
export type SimRefundStatus = 'PROCESSING' | 'SUCCESS' | 'REFUNDCLOSE' | 'CHANGE';

/** Which WeChat system an order lives in: production paths or `/sandboxnew/...`. */
export type SimEnvironment = 'production' | 'sandbox';

/** A coupon applied when paying an order. Amounts in fen. */
export interface SimCoupon {
  readonly id: string;
  readonly type: 'CASH' | 'NO_CASH';
  readonly fee: number;
}

/** An order as the simulator holds it. Amounts in fen; times in epoch ms unless named otherwise. */
export interface SimOrder {
  readonly environment: SimEnvironment;
  /** The API the order was placed through. */
  readonly apiVersion: ApiVersion;
  readonly mchId: string;
  readonly appId: string;
  readonly subMchId: string | undefined;
  readonly subAppId: string | undefined;
  readonly outTradeNo: string;
  readonly tradeType: string;
  readonly tradeState: SimTradeState;
  readonly tradeStateDesc: string;
  readonly body: string;
  readonly attach: string | undefined;
  readonly deviceInfo: string | undefined;
  readonly totalFee: number;
  readonly feeType: string;
  readonly notifyUrl: string;
  readonly productId: string | undefined;
  readonly sceneInfo: string | undefined;
  readonly signType: SignType;
  readonly prepayId: string;
  readonly codeUrl: string | undefined;
  readonly mwebUrl: string | undefined;
  readonly createdAt: number;
  /** From `time_expire`, if the order had one. */
  readonly expiresAt: number | undefined;
  /** The payer; for JSAPI orders the `openid` of the request. */
  readonly openId: string | undefined;
  readonly subOpenId: string | undefined;
  readonly transactionId: string | undefined;
  /** Payment-code orders only (`tradeType` `MICROPAY`). */
  readonly micropay?: SimMicropay | undefined;
  readonly paidAt: number | undefined;
  /** `yyyyMMddHHmmss`, Beijing time. */
  readonly timeEnd: string | undefined;
  readonly bankType: string | undefined;
  readonly isSubscribe: boolean | undefined;
  readonly cashFee: number | undefined;
  readonly couponFee: number | undefined;
  readonly settlementTotalFee: number | undefined;
  readonly coupons: readonly SimCoupon[];
  /** Sum of refunds that are not closed. */
  readonly refundedFee: number;
  /** `out_refund_no` of every refund of this order, oldest first. */
  readonly refunds: readonly string[];
  /** True when WeChat sends no notification about this order or its refunds ({@link SimulatorControl.muteNotifications}). */
  readonly muted: boolean;
}

/** A refund as the simulator holds it. */
export interface SimRefund {
  readonly environment: SimEnvironment;
  /** The API the refund was asked through (`v2` for console refunds of v2 orders). */
  readonly apiVersion: ApiVersion;
  /** `console` for refunds started through {@link SimulatorControl.startRefund} as from the merchant console. */
  readonly source: RefundSource;
  readonly mchId: string;
  readonly appId: string;
  readonly outTradeNo: string;
  readonly transactionId: string;
  readonly outRefundNo: string;
  readonly refundId: string;
  readonly totalFee: number;
  readonly refundFee: number;
  readonly settlementRefundFee: number;
  readonly cashRefundFee: number;
  readonly couponRefundFee: number;
  /** The coupons' shares of this refund (proportional to each coupon's part of the order). */
  readonly couponRefunds: readonly SimCoupon[];
  readonly refundFeeType: string;
  readonly refundDesc: string | undefined;
  readonly refundAccount: string;
  readonly notifyUrl: string | undefined;
  readonly status: SimRefundStatus;
  readonly signType: SignType;
  readonly createdAt: number;
  /** `yyyy-MM-dd HH:mm:ss`, Beijing time, once successful. */
  readonly successTime: string | undefined;
  /** `refund_recv_accout` (sic), e.g. `支付用户零钱`. */
  readonly recvAccount: string;
}

/** A transfer bill's state (商家转账); `TRANSFERING` and `CANCELING` as WeChat spells them. */
export type SimTransferState =
  | 'ACCEPTED'
  | 'PROCESSING'
  | 'WAIT_USER_CONFIRM'
  | 'TRANSFERING'
  | 'SUCCESS'
  | 'FAIL'
  | 'CANCELING'
  | 'CANCELLED';

/** A transfer bill (`/v3/fund-app/mch-transfer/transfer-bills`). Amounts in fen. */
export interface SimTransfer {
  readonly mchId: string;
  readonly appId: string;
  readonly outBillNo: string;
  readonly transferBillNo: string;
  readonly transferSceneId: string;
  readonly openId: string;
  readonly transferAmount: number;
  readonly transferRemark: string;
  /** The payee's name as the simulator decrypted it from `user_name` with its own private key. */
  readonly userName: string | undefined;
  /** The `Wechatpay-Serial` the merchant named for the encryption. */
  readonly userNameSerial: string | undefined;
  readonly userRecvPerception: string | undefined;
  readonly sceneReportInfos: readonly { readonly infoType: string; readonly infoContent: string }[];
  readonly notifyUrl: string | undefined;
  readonly state: SimTransferState;
  /** Every state the bill went through, oldest first. */
  readonly history: readonly SimTransferState[];
  readonly failReason: string | undefined;
  /** `package_info` for `wx.requestMerchantTransfer`, while waiting for the payee. */
  readonly packageInfo: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** When the payee's confirmation window closes (24 hours after creation): then `FAIL` / `OVERDUE_CLOSE`. */
  readonly expiresAt: number;
}

/** Options of {@link SimulatorControl.failTransfer}. */
export interface SimFailTransferOptions extends SimTarget {
  /** `fail_reason`; default `OTHER_FAIL_REASON_TYPE`. */
  readonly reason?: string;
}

/** One delivery attempt of a notification. */
export interface SimNotificationAttempt {
  /** 1 for the first delivery, up to 16. */
  readonly attempt: number;
  /** When the schedule placed it (epoch ms, simulator clock). */
  readonly scheduledAt: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** True when the merchant answered HTTP 2xx (for v2 XML notifications also with `return_code` SUCCESS). */
  readonly ok: boolean;
  readonly statusCode: number | undefined;
  /** The first 512 characters of the reply. */
  readonly reply: string | undefined;
  /** Transport failure, if any (connection refused, timeout …). */
  readonly error: string | undefined;
}

/** A pay, refund or transfer notification and its delivery history. */
export interface SimNotification {
  readonly id: string;
  readonly kind: 'pay' | 'refund' | 'transfer';
  readonly environment: SimEnvironment;
  readonly mchId: string;
  readonly outTradeNo: string;
  readonly outRefundNo: string | undefined;
  /** For transfer callbacks (`MCHTRANSFER.BILL.FINISHED`): the bill's `out_bill_no`; `outTradeNo` is then `''`. */
  readonly outBillNo: string | undefined;
  readonly url: string;
  /** `xml` for v2 notifications, `json` for v3 ones (signed `Wechatpay-*` headers, encrypted `resource`). */
  readonly format: 'xml' | 'json';
  /** The body sent: XML, or the v3 JSON envelope. */
  readonly body: string;
  /** Set on notifications made by {@link SimulatorControl.forgeNotification}. */
  readonly forgery: SimForgery | undefined;
  /** `pending` while attempts remain, `delivered` after a SUCCESS reply, `failed` after the last attempt. */
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly createdAt: number;
  /** When the next attempt is due, while pending. */
  readonly nextAttemptAt: number | undefined;
  readonly attempts: readonly SimNotificationAttempt[];
}

/** Fault injection, applied to WeChat API paths (never to `/_sim/`). */
export type SimFaultInput =
  | { readonly kind: 'delay'; readonly ms: number; readonly path?: string; readonly times?: number }
  | { readonly kind: 'drop'; readonly path?: string; readonly times?: number }
  /** A v3 bill download (`/v3/billdownload/file`) answers a file changed after its `hash_value` was given. */
  | { readonly kind: 'corrupt-bill'; readonly path?: string; readonly times?: number }
  /**
   * The call answers `SYSTEMERROR` (v3: `SYSTEM_ERROR`) instead of running; with `applied`, it runs
   * first (the transfer, refund … happens) and only its answer is lost as `SYSTEMERROR`.
   */
  | { readonly kind: 'systemerror'; readonly applied?: boolean; readonly path?: string; readonly times?: number }
  /**
   * The call answers WeChat's business error `code` (e.g. `NOT_ENOUGH`, `NO_AUTH`; v2:
   * `result_code=FAIL` with that `err_code`, e.g. `NOTENOUGH`) instead of running; v3 with HTTP
   * `status` (default 400).
   */
  | {
      readonly kind: 'error';
      readonly code: string;
      readonly status?: number;
      readonly message?: string;
      readonly path?: string;
      readonly times?: number;
    };

/** An active fault. `remaining` counts down with each call it hits. */
export type SimFault = SimFaultInput & { readonly id: string; readonly remaining: number };

/** Picks an order or refund when the same number exists for several merchants or systems. */
export interface SimTarget {
  readonly mchId?: string;
  readonly environment?: SimEnvironment;
}

/** Options of {@link SimulatorControl.pay}. */
export interface SimPayOptions extends SimTarget {
  /** The payer; default the order's `openid`, or a generated one. */
  readonly openId?: string;
  /** Default `OTHERS`. */
  readonly bankType?: string;
  readonly isSubscribe?: boolean;
  /** Coupons used; `cash_fee` becomes `total_fee` minus their sum. */
  readonly coupons?: readonly { readonly fee: number; readonly id?: string; readonly type?: 'CASH' | 'NO_CASH' }[];
  /** Send the pay notification. Default true; false pays silently (as {@link SimulatorControl.paySilently}). */
  readonly notify?: boolean;
}

/** Filter for {@link SimulatorControl.waitForNotification}. */
export interface SimNotificationFilter {
  readonly kind?: 'pay' | 'refund' | 'transfer';
  readonly outTradeNo?: string;
  readonly outRefundNo?: string;
  readonly outBillNo?: string;
  /** Default `delivered`. */
  readonly status?: 'pending' | 'delivered' | 'failed';
  /** Give up after this many ms (real time). Default 10,000. */
  readonly timeoutMs?: number;
}

/** Runtime settings changeable through the control API. */
export interface SimSettings {
  readonly refunds: RefundMode;
  readonly timeFactor: number;
  /**
   * False: WeChat sends no pay or refund notification at all (a notify URL that is misconfigured,
   * firewalled or down). Payments and refunds still happen; only queries, the sweeper and bills
   * learn of them. Default true.
   */
  readonly notifications: boolean;
}

/**
 * Drives the simulator as the paying user and as WeChat's back office. Implemented by the
 * in-process simulator and, over HTTP, by {@link createSimulatorClient}.
 */
export interface SimulatorControl {
  /** The merchants served, with their API and sandbox keys. */
  listMerchants(): Promise<readonly SimulatorMerchant[]>;
  /** Orders, newest last. */
  orders(filter?: SimTarget): Promise<readonly SimOrder[]>;
  /** One order; rejects with `NOT_FOUND` (or `AMBIGUOUS` when the number exists for several merchants). */
  order(outTradeNo: string, target?: SimTarget): Promise<SimOrder>;
  /** The user pays: `NOTPAY`/`PAYERROR` → `SUCCESS`, then the pay notification is sent. */
  pay(outTradeNo: string, options?: SimPayOptions): Promise<SimOrder>;
  /** The user pays, and WeChat sends no notification of it (only a query learns of it). */
  paySilently(outTradeNo: string, options?: Omit<SimPayOptions, 'notify'>): Promise<SimOrder>;
  /**
   * Switches the notifications about one order (its payment and its refunds) off (`muted` true,
   * the default) or back on. Notifications already under way keep their retries.
   */
  muteNotifications(outTradeNo: string, options?: SimTarget & { readonly muted?: boolean }): Promise<SimOrder>;
  /** The payment fails: → `PAYERROR` (WeChat sends no notification for failures). */
  failPayment(outTradeNo: string, target?: SimTarget): Promise<SimOrder>;
  /** The order expires unpaid: → `CLOSED`. */
  expire(outTradeNo: string, target?: SimTarget): Promise<SimOrder>;
  /** Refunds, oldest first, optionally of one order. */
  refunds(filter?: SimTarget & { readonly outTradeNo?: string }): Promise<readonly SimRefund[]>;
  /** One refund by `out_refund_no`. */
  refund(outRefundNo: string, target?: SimTarget): Promise<SimRefund>;
  /** `PROCESSING` → `SUCCESS`, then the refund notification is sent. */
  completeRefund(outRefundNo: string, target?: SimTarget): Promise<SimRefund>;
  /** `PROCESSING` → `CHANGE` (abnormal), then the refund notification is sent. */
  failRefund(outRefundNo: string, target?: SimTarget): Promise<SimRefund>;
  /** `PROCESSING` → `REFUNDCLOSE` (the amount becomes refundable again), then the refund notification is sent. */
  closeRefund(outRefundNo: string, target?: SimTarget): Promise<SimRefund>;
  /** Every notification sent, with its delivery attempts. */
  notifications(): Promise<readonly SimNotification[]>;
  /** Resolves with the first notification matching `filter` (already logged or yet to come). */
  waitForNotification(filter?: SimNotificationFilter): Promise<SimNotification>;
  /** Injects a fault into the next WeChat API calls (optionally of one path). */
  addFault(fault: SimFaultInput): Promise<SimFault>;
  /** Faults still active. */
  faults(): Promise<readonly SimFault[]>;
  clearFaults(): Promise<void>;
  settings(): Promise<SimSettings>;
  /** Changes the refund mode or the time factor (applies to retries scheduled from now on). */
  updateSettings(settings: Partial<SimSettings>): Promise<SimSettings>;
  /** Forgets every order, refund, notification and fault (merchants stay). */
  reset(): Promise<void>;
  /** Starts a refund of a paid order from WeChat's side (by default as from the merchant console). */
  startRefund(outTradeNo: string, options?: SimStartRefundOptions): Promise<SimRefund>;
  /** The WeChat Pay public key, its id, and the platform certificates. */
  wechatpayKeys(): Promise<SimWechatpayKeys>;
  /**
   * Issues a new platform certificate and signs with it from now on (replies and every later
   * notification attempt); earlier ones stay listed by `/v3/certificates` unless `retirePrevious`.
   */
  rotatePlatformCertificate(options?: SimRotateOptions): Promise<SimPlatformCertificate>;
  /**
   * Sends one spoiled copy of a v3 notification, once and without retries, and resolves with it
   * after the attempt: a merchant that verifies must answer it with 4xx/5xx (so `status` is
   * `failed`), and must not act on it. State does not change.
   */
  forgeNotification(options: SimForgeOptions): Promise<SimNotification>;
  /** Transfer bills, oldest first. */
  transfers(filter?: SimTarget): Promise<readonly SimTransfer[]>;
  /** One transfer bill by `out_bill_no`. */
  transfer(outBillNo: string, target?: SimTarget): Promise<SimTransfer>;
  /**
   * The payee confirms in WeChat (`wx.requestMerchantTransfer`): `WAIT_USER_CONFIRM` →
   * `TRANSFERING` → `SUCCESS`, then the `MCHTRANSFER.BILL.FINISHED` callback is sent.
   */
  confirmTransfer(outBillNo: string, target?: SimTarget): Promise<SimTransfer>;
  /** WeChat fails the bill (`fail_reason` as given): → `FAIL`, then the callback. */
  failTransfer(outBillNo: string, options?: SimFailTransferOptions): Promise<SimTransfer>;
  /** The payee's 24 hours run out now: `WAIT_USER_CONFIRM` → `FAIL` (`OVERDUE_CLOSE`), then the callback. */
  expireTransfer(outBillNo: string, target?: SimTarget): Promise<SimTransfer>;
  /** The merchant cancels (as from the merchant platform): → `CANCELING` → `CANCELLED`, then the callback. */
  cancelTransfer(outBillNo: string, target?: SimTarget): Promise<SimTransfer>;
  /**
   * Sends a logged notification again as a new delivery (same body; v3 signed afresh), on WeChat's
   * retry schedule. Rejects with `NOT_FOUND` for an unknown id.
   */
  resendNotification(id: string): Promise<SimNotification>;
  /** The simulator's business clock (order times, expiry, notification retries). */
  clock(): Promise<SimClockView>;
  /**
   * Moves the business clock ahead by `ms`: expiries and retries that fall due happen now.
   * Signature timestamps stay on real time. Rejects with `BAD_REQUEST` when the injected clock
   * cannot be moved.
   */
  advanceClock(ms: number): Promise<SimClockView>;
}
