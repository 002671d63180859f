/**
 * What core routes share: the instance's parts, the route shapes, and the helpers every JSON
 * route uses to read its body and find the app and merchant it acts for.
 */
import type { z } from 'zod';
import type { FlowContext } from '../flow/context.js';
import { parseInput, resolveAppTarget, type Target } from '../flow/call-input.js';
import type { MaybePromise } from '../util/maybe-promise.js';
import type { NotifyCodec } from './notify-codec.js';
import type { WxPayRequest, WxPayResponse } from './types.js';

export { storeCall } from '../flow/store-call.js';
export { notifyUrlFor, type Target } from '../flow/call-input.js';
export { orderKey, paymentKey, refundKey, refundOrderKey, refundRecordKey } from '../flow/store-keys.js';

/** The parts of one `WxPay` instance that routes use (the payment flow's context). */
export type HandlerContext = FlowContext;

export type RouteParams = Readonly<Record<string, string>>;

/** An internal JSON route: guarded, takes a JSON object, answers JSON. */
export interface JsonRoute {
  readonly kind: 'json';
  readonly method: 'POST';
  readonly path: string;
  /** The schema the body is checked with (the OpenAPI document of the gateway is built from it). */
  readonly body?: z.ZodType | undefined;
  handle(ctx: HandlerContext, body: Record<string, unknown>, params: RouteParams, request: WxPayRequest): Promise<WxPayResponse>;
}

/**
 * A WeChat notification route: public, takes the raw body, answers with the codec's
 * acknowledgement (v2 XML, v3 JSON). The handler picks the codec once per request. A thrown
 * error becomes the codec's FAIL acknowledgement and an `error` event.
 */
export interface NotifyRoute {
  readonly kind: 'notify';
  readonly method: 'POST';
  readonly path: string;
  handle(ctx: HandlerContext, request: WxPayRequest, params: RouteParams, codec: NotifyCodec): MaybePromise<WxPayResponse>;
}

export type CoreRoute = JsonRoute | NotifyRoute;

/** Validates a JSON body against `schema`; the first problem becomes a {@link ValidationError} naming the field. */
export const parseBody: <S extends z.ZodType>(schema: S, body: unknown) => z.output<S> = parseInput;

/**
 * Finds the app named by `payApp` and checks that `appId` is one of its app ids. Both failures
 * are 400s naming the field; the message never lists the configured ids.
 */
export function resolveTarget(ctx: HandlerContext, payApp: string, appId: string): Target {
  return resolveAppTarget(ctx, { app: payApp, appId, appField: 'payApp' });
}
