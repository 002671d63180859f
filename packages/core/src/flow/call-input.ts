/**
 * What every server-side call checks before it reaches WeChat, whether it came as a JSON route's
 * body or as a `wxpay.createPay()`-style method call: the field rules (zod pieces both build their
 * schemas from), the one-of rules for order references, the app and app id it acts for, and the
 * notify URL WeChat is given.
 */
import { z } from 'zod';
import { ANY_APP_ID, acceptsAppId } from '../config/app-ids.js';
import type { ResolvedApp, ResolvedMerchant } from '../config/types.js';
import { ValidationError } from '../errors.js';
import type { FlowContext } from './context.js';

/** A required, non-empty string. */
export const text = z.string().min(1, 'must be a non-empty string');

/** An optional string; `''` counts as absent. */
export const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/** An amount in fen: a positive safe integer. */
export const fen = z.number().int('must be an integer number of fen').positive('must be positive').max(Number.MAX_SAFE_INTEGER);

/**
 * A per-call notify URL (go-wxpay-gateway's `notifyUrl`): where WeChat sends this order's or
 * refund's notification instead of the app's notify route. Absolute http(s), no query string
 * (WeChat drops it), at most 256 characters; `''` counts as absent.
 */
export const notifyUrlField = optionalText.refine(
  (v) => {
    if (v === undefined) return true;
    if (v.length > 256 || !URL.canParse(v)) return false;
    const url = new URL(v);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '' && url.hostname !== '';
  },
  { message: 'must be an absolute http(s) URL without query string, at most 256 characters' },
);

/** `orderId` or `transactionId`: the merchant's order number or WeChat's transaction id. */
export const orderIdFields = { orderId: optionalText, transactionId: optionalText };

/** The app a method call acts for: `app` (its name) and `appId` (default: the app's first app id). */
export const appFields = { app: text, appId: optionalText };

/** Which order a request names: exactly one of `orderId` and `transactionId`. */
export type OrderRef =
  | { readonly outTradeNo: string; readonly transactionId?: undefined }
  | { readonly transactionId: string; readonly outTradeNo?: undefined };

/** Exactly one of `orderId` / `transactionId`, else a {@link ValidationError} naming both. */
export function orderRef(input: { readonly orderId?: string | undefined; readonly transactionId?: string | undefined }): OrderRef {
  if (input.orderId !== undefined && input.transactionId !== undefined) {
    throw new ValidationError('orderId: give orderId or transactionId, not both', { field: 'orderId' });
  }
  if (input.transactionId !== undefined) return { transactionId: input.transactionId };
  if (input.orderId !== undefined) return { outTradeNo: input.orderId };
  throw new ValidationError("orderId: give orderId (your order number) or transactionId (WeChat's)", { field: 'orderId' });
}

/** Validates `value` against `schema`; the first problem becomes a {@link ValidationError} naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  const message = issue?.message ?? 'invalid request';
  throw new ValidationError(field ? `${field}: ${message}` : message, field ? { field } : undefined);
}

/** The app, its merchant and the app id a call acts for. */
export interface Target {
  readonly app: ResolvedApp;
  readonly merchant: ResolvedMerchant;
  readonly appId: string;
}

/** Which app a call names, and what its field is called in error messages (`payApp` in route bodies, `app` in method calls). */
export interface AppRef {
  /** The app's name in the configuration. */
  readonly app: string;
  /** One of the app's app ids; undefined: the app's first. */
  readonly appId?: string | undefined;
  /** The field that named the app; default `app`. */
  readonly appField?: string | undefined;
}

/**
 * Finds the app named by `ref.app` and checks that `ref.appId` (default: the app's first app id)
 * is one of its app ids. Both failures are {@link ValidationError}s naming the field; the message
 * never lists the configured ids.
 */
export function resolveAppTarget(ctx: Pick<FlowContext, 'config'>, ref: AppRef): Target {
  const field = ref.appField ?? 'app';
  const app = ctx.config.app(ref.app);
  const merchant = app ? ctx.config.merchantOfApp(app.name) : undefined;
  if (!app || !merchant) throw new ValidationError(`${field}: unknown app '${ref.app}'`, { field });
  if (ref.appId === undefined && app.appIds[0] === ANY_APP_ID) {
    throw new ValidationError(`appId: app '${app.name}' accepts any app id; give the appId to use`, { field: 'appId' });
  }
  const appId = ref.appId ?? app.appIds[0] ?? '';
  if (!acceptsAppId(app, appId)) {
    throw new ValidationError(`appId: '${appId}' is not an app id of app '${app.name}'`, { field: 'appId' });
  }
  return { app, merchant, appId };
}

/** `<base>/<app name>`: where WeChat sends this app's notifications. */
export function notifyUrlFor(base: string, appName: string): string {
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(appName)}`;
}
