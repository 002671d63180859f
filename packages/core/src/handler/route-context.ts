/**
 * What core routes share: the instance's parts, the route shapes, and the helpers every JSON
 * route uses to read its body and find the app and merchant it acts for.
 */
import type { z } from 'zod';
import type { WxPayClient } from '../client/types.js';
import type { ResolvedApp, ResolvedConfig, ResolvedMerchant } from '../config/types.js';
import { ValidationError } from '../errors.js';
import type { WxPayEmitter } from '../events/emitter.js';
import type { Logger } from '../logger.js';
import type { DedupStore, SweepQueue } from '../stores/dedup-store.js';
import type { MaybePromise } from './maybe-promise.js';
import type { OncePerKey } from './once-per-key.js';
import type { WxPayRequest, WxPayResponse } from './types.js';
import { acceptsAppId } from '../config/app-ids.js';

import { storeCall } from './store-call.js';

export { storeCall };

/** The parts of one `WxPay` instance that routes use. */
export interface HandlerContext {
  readonly config: ResolvedConfig;
  readonly client: WxPayClient;
  readonly store: DedupStore;
  readonly emitter: WxPayEmitter;
  readonly logger: Logger;
  /** The key a merchant's v2 notifications are verified with (the client's `signKey`, kept once known). */
  signKey(merchant: string): MaybePromise<string>;
  /** Fires `paid` / `refunded` at most once per transaction or refund. */
  readonly once: OncePerKey;
  /** The queue create-pay and create-refund add to when the sweeper runs; undefined when it does not. */
  readonly sweeps?: SweepQueue | undefined;
  /** The sweeper's schedule (seconds after creation), when it runs. */
  readonly sweepSchedule?: readonly number[] | undefined;
}

/**
 * Queues a just-recorded order or refund for the sweeper, due at its first schedule point, when a
 * sweeper runs.
 */
export function queueSweep(ctx: HandlerContext, key: string, createdAt: number): Promise<void> | undefined {
  const sweeps = ctx.sweeps;
  if (sweeps === undefined) return undefined;
  const first = (ctx.sweepSchedule?.[0] ?? 5) * 1000;
  return Promise.resolve(storeCall('queue an order for the sweeper', () => sweeps.schedule(key, createdAt + first, createdAt)));
}

/**
 * Takes an order off the sweeper's queue once its result fired (by notification or `confirm`),
 * without waiting: a failure only costs the sweeper one more query, so it is logged, never thrown.
 */
export function forgetSweep(ctx: HandlerContext, key: string): void {
  const sweeps = ctx.sweeps;
  if (sweeps === undefined) return;
  const failed = (error: unknown): void => {
    ctx.logger.debug(
      { err: error, key },
      '@wxpay-kit/core: could not take a resolved order off the sweep queue; the sweeper will find it resolved',
    );
  };
  try {
    const out = sweeps.remove(key);
    if (out !== undefined && typeof (out as PromiseLike<void>).then === 'function') Promise.resolve(out).catch(failed);
  } catch (error) {
    failed(error);
  }
}

export type RouteParams = Readonly<Record<string, string>>;

/** An internal JSON route: guarded, takes a JSON object, answers JSON. */
export interface JsonRoute {
  readonly kind: 'json';
  readonly method: 'POST';
  readonly path: string;
  handle(ctx: HandlerContext, body: Record<string, unknown>, params: RouteParams, request: WxPayRequest): Promise<WxPayResponse>;
}

/**
 * A WeChat notification route: public, takes the raw XML, answers WeChat's XML acknowledgement.
 * A thrown error becomes a FAIL acknowledgement and an `error` event.
 */
export interface NotifyRoute {
  readonly kind: 'notify';
  readonly method: 'POST';
  readonly path: string;
  handle(ctx: HandlerContext, request: WxPayRequest, params: RouteParams): MaybePromise<WxPayResponse>;
}

export type CoreRoute = JsonRoute | NotifyRoute;

/** Validates a JSON body against `schema`; the first problem becomes a {@link ValidationError} naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  const message = issue?.message ?? 'invalid request';
  throw new ValidationError(field ? `${field}: ${message}` : message, field ? { field } : undefined);
}

/** The app, its merchant and the app id a JSON request acts for. */
export interface Target {
  readonly app: ResolvedApp;
  readonly merchant: ResolvedMerchant;
  readonly appId: string;
}

/**
 * Finds the app named by `payApp` and checks that `appId` is one of its app ids. Both failures
 * are 400s naming the field; the message never lists the configured ids.
 */
export function resolveTarget(ctx: HandlerContext, payApp: string, appId: string): Target {
  const app = ctx.config.app(payApp);
  const merchant = app ? ctx.config.merchantOfApp(app.name) : undefined;
  if (!app || !merchant) throw new ValidationError(`payApp: unknown app '${payApp}'`, { field: 'payApp' });
  if (!acceptsAppId(app, appId)) {
    throw new ValidationError(`appId: '${appId}' is not an app id of app '${app.name}'`, { field: 'appId' });
  }
  return { app, merchant, appId };
}

/** `<base>/<app name>`: where WeChat sends this app's notifications. */
export function notifyUrlFor(base: string, appName: string): string {
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(appName)}`;
}

/**
 * A copy of a store key that holds no reference to the text it was cut from. Field values parsed
 * from a notification are slices of the whole decoded body, and a key joined from them would keep
 * that body (kilobytes) alive for as long as a store remembers the key (days).
 */
function detached(key: string): string {
  return Buffer.from(key, 'utf8').toString('utf8');
}

/** The key an order is recorded under: `<mchId>:<out_trade_no>`. */
export function orderKey(mchId: string, outTradeNo: string): string {
  return detached(`${mchId}:${outTradeNo}`);
}

/** The key a payment fires once under: `<mchId>:<transaction_id>`. */
export function paymentKey(mchId: string, transactionId: string): string {
  return detached(`${mchId}:${transactionId}`);
}

/** The key a refund outcome fires once under: `<mchId>:refund:<refund_id>`. */
export function refundKey(mchId: string, wxRefundId: string): string {
  return detached(`${mchId}:refund:${wxRefundId}`);
}

/**
 * The key a refund is recorded under at create-refund: `<mchId>:refund:<out_refund_no>`. It shares
 * the order records' namespace without clashing: WeChat's order and refund numbers have no `:`.
 */
export function refundRecordKey(mchId: string, outRefundNo: string): string {
  return detached(`${mchId}:refund:${outRefundNo}`);
}

/** The key that ties a recorded refund to its order: `<mchId>:refund:<out_refund_no>:order:<out_trade_no>`. */
export function refundOrderKey(mchId: string, outRefundNo: string, outTradeNo: string): string {
  return detached(`${mchId}:refund:${outRefundNo}:order:${outTradeNo}`);
}
