/**
 * What wxpay-kit reports for metrics and tracing, on `node:diagnostics_channel` channels: free when
 * nobody subscribes (every publisher checks `hasSubscribers` first), and open to any metrics
 * library or OpenTelemetry instrumentation without a dependency of ours.
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel';
 * import { DIAGNOSTICS_CHANNELS, type WechatCallDiagnostic } from '@wxpay-kit/core';
 * subscribe(DIAGNOSTICS_CHANNELS.wechatCall, (m) => {
 *   const call = m as WechatCallDiagnostic;
 *   histogram.observe({ api: call.api, outcome: call.outcome }, call.durationMs / 1000);
 * });
 */
import { channel } from 'node:diagnostics_channel';

/** The channel names. */
export const DIAGNOSTICS_CHANNELS = Object.freeze({
  /** One per request a `WxPay` instance answered: {@link RequestDiagnostic}. */
  request: 'wxpay-kit:request',
  /** One per WeChat notification answered: {@link NotificationDiagnostic}. */
  notification: 'wxpay-kit:notification',
  /** One per attempt of a call to WeChat Pay's API: {@link WechatCallDiagnostic}. */
  wechatCall: 'wxpay-kit:wechat-call',
} as const);

/** A request a `WxPay` instance answered. */
export interface RequestDiagnostic {
  readonly method: string;
  /** The route pattern (`/create-pay/:type`), or `unmatched`. */
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
}

/** A notification from WeChat, acknowledged or refused. */
export interface NotificationDiagnostic {
  readonly route: string;
  readonly app: string | undefined;
  readonly version: 'v2' | 'v3';
  /** `acknowledged`: verified and handled (or verified and reporting nothing to do); `refused`: answered FAIL. */
  readonly outcome: 'acknowledged' | 'refused';
  /** For a refusal: the error's code (`WXPAY_ERR_SIGNATURE`, …). */
  readonly code: string | undefined;
}

/** One attempt of a call to WeChat Pay. */
export interface WechatCallDiagnostic {
  /** The API called, e.g. `pay/unifiedorder`, `pay/transactions/native`. */
  readonly api: string;
  readonly merchant: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  readonly outcome: 'ok' | 'error';
  /** For an error: WeChat's code (`SYSTEMERROR`) or ours (`WXPAY_ERR_TRANSPORT`). */
  readonly code: string | undefined;
  readonly durationMs: number;
}

/** @internal */
export const requestChannel = channel(DIAGNOSTICS_CHANNELS.request);
/** @internal */
export const notificationChannel = channel(DIAGNOSTICS_CHANNELS.notification);
/** @internal */
export const wechatCallChannel = channel(DIAGNOSTICS_CHANNELS.wechatCall);
