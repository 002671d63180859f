/**
 * Builds a `WxPay` instance from a resolved configuration and a client: the route table, the
 * guards, the emitter, the once-per-transaction store and the plugins. `createWxPay(options)`
 * validates the options, builds the client and calls this.
 */
import type { WxPayClient } from '../client/types.js';
import type { ResolvedConfig } from '../config/types.js';
import {
  InternalError,
  causeMessage,
  hintFor,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  ValidationError,
  isWxPayKitError,
  type WxPayKitError,
} from '../errors.js';
import { createEmitter } from '../events/emitter.js';
import { PluginRegistry } from '../plugins/plugin-registry.js';
import type { RouteDefinition, WxPayPlugin } from '../plugins/types.js';
import { createMemoryDedupStore } from '../stores/memory-dedup-store.js';
import { micropay as runMicropay, stopMicropayRuns } from '../flow/micropay-flow.js';
import { parseInput, resolveAppTarget } from '../flow/call-input.js';
import { CREATE_PAY_CALL, ORDER_CALL, closeOrder, confirmOrder, createPay, queryOrder } from '../flow/order-calls.js';
import { QUERY_REFUND_CALL, REFUND_CALL, createRefund, queryRefund } from '../flow/refund-calls.js';
import {
  CREATE_TRANSFER_CALL,
  TRANSFER_BILL_CALL,
  cancelTransfer,
  confirmTransfer,
  createTransfer,
  queryTransfer,
} from '../flow/transfer-calls.js';
import { createSweeper, type ResolvedSweepOptions, type Sweeper } from '../flow/sweeper.js';
import { ConfigError } from '../errors.js';
import { sweepFlows } from '../flow/sweep-flows.js';
import { reconcile as runReconcile } from '../flow/reconcile.js';
import { CORE_ROUTE_TABLE } from './core-routes.js';

/** The guarded JSON routes by name (`create-pay, query-order, …`), read from the route table. */
const INTERNAL_ROUTE_NAMES = CORE_ROUTE_TABLE.filter((r) => r.kind === 'json')
  .map((r) => r.path.split('/')[1])
  .join(', ');
import { assertAuthorized, assertJsonContentType, isLoopbackAddress } from './guard.js';
import { createOncePerKey } from '../flow/once-per-key.js';
import { errorResponse, notifyFailure, statusFor } from './respond.js';
import { notifyCodecFor, V3_CODEC, type NotifyCodec } from './notify-codec.js';
import { checkNotification, notificationRequest, type NotificationCheck, type NotificationInput } from './verify-notification.js';
import { notificationChannel, requestChannel, type NotificationDiagnostic, type RequestDiagnostic } from '../util/diagnostics.js';
import type { CoreRoute, HandlerContext } from './route-context.js';
import { isPromiseLike, type MaybePromise } from '../util/maybe-promise.js';
import { Router, type RouteLookup } from './router.js';
import type { RouteInfo, WxPayRequest, WxPayResponse } from './types.js';
import { WXPAY_BRAND, WXPAY_SERVE, type WxPay } from './wxpay.js';

type Entry = (
  | { readonly kind: 'core'; readonly route: CoreRoute }
  | { readonly kind: 'plugin'; readonly route: RouteDefinition; readonly plugin: string }
) & {
  /** What `match()` answers for this route; made once. */
  readonly info: RouteInfo;
};

/** The last lookup, kept for the next request to the same method and path. */
interface CachedLookup {
  readonly method: string;
  readonly path: string;
  readonly found: RouteLookup<Entry>;
}

/** Options of {@link createHandler} beyond the configuration and the client. */
export interface CreateHandlerOptions {
  /** How long a notification holds its transaction while listeners run, in ms. Default 60,000. */
  readonly leaseMs?: number;
  /** The sweeper's settings; undefined: no sweeper. */
  readonly sweep?: ResolvedSweepOptions | undefined;
}

function toKitError(error: unknown): WxPayKitError {
  return isWxPayKitError(error) ? error : new InternalError('internal error', { cause: error });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a JSON route's body: UTF-8, a JSON object. Anything else is a 400. */
function parseJsonObject(rawBody: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(rawBody));
  } catch {
    throw new ValidationError('the request body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError('the request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/**
 * @internal The `WxPay` instance over an already resolved configuration and client. Hosts call
 * `createWxPay(options)`; tests and the gateway use this to supply their own client.
 */
export function createHandler(config: ResolvedConfig, client: WxPayClient, options: CreateHandlerOptions = {}): WxPay {
  const logger = config.logger;
  const ownsStore = config.store === undefined;
  const store = config.store ?? createMemoryDedupStore({ now: config.now });
  if (options.sweep !== undefined && store.sweeps === undefined) {
    throw new ConfigError([{ path: 'sweep', message: 'the store has no sweep queue (use the memory, file or Redis store)' }]);
  }
  const router = new Router<Entry>();
  for (const route of CORE_ROUTE_TABLE) {
    const info: RouteInfo = Object.freeze({ route: route.path, signed: route.kind === 'notify', bodyLimit: config.bodyLimit });
    router.add({ method: route.method, path: route.path, value: { kind: 'core', route, info } });
  }

  let closing: Promise<void> | undefined;

  // Adapters ask `match()` when a request arrives and `handle()` once its body is read: both look
  // the same method and path up, and a notify URL is hit again and again. The last answer is kept
  // (its params frozen) until a route is added.
  let lastLookup: CachedLookup | undefined;
  function lookup(method: string, path: string): RouteLookup<Entry> {
    const last = lastLookup;
    if (last !== undefined && last.path === path && last.method === method) return last.found;
    const found = router.lookup(method, path);
    if (found.kind === 'found') Object.freeze(found.params);
    lastLookup = { method, path, found };
    return found;
  }

  /** The key a merchant's v2 notifications are verified with: asked of the client once, then kept. */
  const signKeys = new Map<string, string>();
  function signKey(merchant: string): MaybePromise<string> {
    const known = signKeys.get(merchant);
    if (known !== undefined) return known;
    return client.signKey(merchant).then((key) => {
      signKeys.set(merchant, key);
      return key;
    });
  }

  function checkSize(request: WxPayRequest, limit: number): void {
    if (request.rawBody.byteLength > limit) throw new PayloadTooLargeError(limit);
  }

  /** Logs a failed request: at `error` (one line, with its cause and hint) for 5xx, at `debug` otherwise; answers whether it logged at `error`. */
  function logFailure(error: unknown, method: string, route: string, hint?: string): boolean {
    const status = statusFor(error);
    const code = isWxPayKitError(error) ? error.code : undefined;
    if (status >= 500) {
      logger.error(
        { route, method, status, code, cause: causeMessage(error) },
        `${route}: ${isWxPayKitError(error) ? error.message : 'internal error'}; hint: ${hint ?? hintFor(error)}`,
      );
      return true;
    }
    logger.debug({ route, method, status, code, err: error }, 'request refused');
    return false;
  }

  /**
   * Reports a failed notification: on `error` with a hint naming the merchant of the app in the
   * URL (for a signature failure: its `apiKey`, `signType` and the body parser order), so the line
   * printed without an `error` listener says what to fix, whichever notify route raised it.
   */
  function reportNotifyFailure(error: WxPayKitError, method: string, route: string, app: string | undefined): void {
    const merchant = app === undefined ? undefined : config.merchantOfApp(app);
    const hint = hintFor(error, merchant);
    const logged = logFailure(error, method, route, hint);
    emitter.emitError({ error, route, app, hint }, logged);
  }

  function notifyFailed(
    cause: unknown,
    request: WxPayRequest,
    route: CoreRoute,
    params: Readonly<Record<string, string>>,
    codec: NotifyCodec,
  ): WxPayResponse {
    const error = toKitError(cause);
    reportNotifyFailure(error, request.method, route.path, params['app']);
    if (notificationChannel.hasSubscribers) reportNotification(route, params, codec, error.code);
    return codec.failure(error);
  }

  /** A notification: answered synchronously when every step was (see `maybe-promise.ts`). */
  function serveNotify(
    route: CoreRoute & { kind: 'notify' },
    params: Readonly<Record<string, string>>,
    request: WxPayRequest,
  ): MaybePromise<WxPayResponse> {
    // The API version is decided here, once: v3 notifications are JSON with Wechatpay-* headers.
    const codec = notifyCodecFor(request);
    let out: MaybePromise<WxPayResponse>;
    try {
      checkSize(request, config.bodyLimit);
      codec.assertContentType(request);
      out = route.handle(ctx, request, params, codec);
    } catch (cause) {
      return notifyFailed(cause, request, route, params, codec);
    }
    if (!isPromiseLike(out)) {
      if (notificationChannel.hasSubscribers) reportNotification(route, params, codec, undefined);
      return out;
    }
    return Promise.resolve(out).then(
      (done) => {
        if (notificationChannel.hasSubscribers) reportNotification(route, params, codec, undefined);
        return done;
      },
      (cause: unknown) => notifyFailed(cause, request, route, params, codec),
    );
  }

  /** `verifyNotification()`: the notify routes' codec and flow for a notification the host received. */
  async function verifyNotification(input: NotificationInput): Promise<NotificationCheck> {
    const request = notificationRequest(input);
    // Transfer callbacks exist in API v3 only: one without WeChat's headers is refused by its codec.
    const codec = input.kind === 'transfer' ? V3_CODEC : notifyCodecFor(request);
    const route = `/notify-${input.kind}/:app`;
    try {
      const setup = await plugins.settled();
      if (setup !== undefined) throw setup.error;
      checkSize(request, config.bodyLimit);
      return await checkNotification(ctx, input.kind, input.app, request, codec);
    } catch (cause) {
      const error = toKitError(cause);
      reportNotifyFailure(error, request.method, route, input.app || undefined);
      return { status: 'refused', version: codec.version, error, reply: codec.failure(error) };
    }
  }

  async function serveCore(
    route: CoreRoute & { kind: 'json' },
    params: Readonly<Record<string, string>>,
    request: WxPayRequest,
  ): Promise<WxPayResponse> {
    try {
      await assertAuthorized(request, config);
      checkSize(request, config.bodyLimit);
      assertJsonContentType(request);
      return await route.handle(ctx, parseJsonObject(request.rawBody), params, request);
    } catch (error) {
      logFailure(error, request.method, route.path);
      return errorResponse(error);
    }
  }

  async function servePlugin(
    entry: Extract<Entry, { kind: 'plugin' }>,
    params: Readonly<Record<string, string>>,
    request: WxPayRequest,
  ): Promise<WxPayResponse> {
    try {
      if (entry.route.public !== true) await assertAuthorized(request, config);
      checkSize(request, entry.route.bodyLimit ?? config.bodyLimit);
      return await entry.route.handle(request, params);
    } catch (error) {
      logFailure(error, request.method, entry.route.path);
      return errorResponse(error);
    }
  }

  function dispatch(request: WxPayRequest, setupFailure: { readonly error: unknown } | undefined): MaybePromise<WxPayResponse> {
    if (setupFailure !== undefined) return errorResponse(toKitError(setupFailure.error));
    const found = lookup(request.method, request.path);
    if (found.kind === 'not-found') return errorResponse(new NotFoundError('@wxpay-kit/core: no such route'));
    if (found.kind === 'method-not-allowed') {
      return errorResponse(new MethodNotAllowedError(`@wxpay-kit/core: use ${found.allow.join(', ')}`), { allow: found.allow.join(', ') });
    }
    const entry = found.entry.value;
    if (entry.kind === 'plugin') return servePlugin(entry, found.params, request);
    return entry.route.kind === 'notify' ? serveNotify(entry.route, found.params, request) : serveCore(entry.route, found.params, request);
  }

  function unexpected(error: unknown): WxPayResponse {
    logger.error({ err: error }, 'unexpected failure while handling a request');
    return errorResponse(toKitError(error));
  }

  function reportNotification(route: CoreRoute, params: Readonly<Record<string, string>>, codec: NotifyCodec, code: string | undefined) {
    const message: NotificationDiagnostic = {
      route: route.path,
      app: params['app'],
      version: codec.version,
      outcome: code === undefined ? 'acknowledged' : 'refused',
      code,
    };
    notificationChannel.publish(message);
  }

  function reportRequest(request: WxPayRequest, status: number, started: number): void {
    const found = lookup(request.method, request.path);
    const message: RequestDiagnostic = {
      method: request.method,
      route: found.kind === 'found' ? found.entry.value.info.route : 'unmatched',
      status,
      durationMs: performance.now() - started,
    };
    requestChannel.publish(message);
  }

  /** {@link serveQuietly}, reported on the request channel when someone listens there. */
  function serve(request: WxPayRequest): MaybePromise<WxPayResponse> {
    if (!requestChannel.hasSubscribers) return serveQuietly(request);
    const started = performance.now();
    const out = serveQuietly(request);
    if (!isPromiseLike(out)) {
      reportRequest(request, out.status, started);
      return out;
    }
    return Promise.resolve(out).then((done) => {
      reportRequest(request, done.status, started);
      return done;
    });
  }

  /** `handle()` without the promise when every step answered synchronously. Never throws or rejects. */
  function serveQuietly(request: WxPayRequest): MaybePromise<WxPayResponse> {
    let out: MaybePromise<WxPayResponse>;
    try {
      const setup = plugins.settled();
      out = isPromiseLike(setup) ? setup.then((failure) => dispatch(request, failure)) : dispatch(request, setup);
    } catch (error) {
      return unexpected(error);
    }
    return isPromiseLike(out) ? Promise.resolve(out).then(undefined, unexpected) : out;
  }

  const wxpay: WxPay = {
    match(method, path) {
      const found = lookup(method, path);
      return found.kind === 'found' ? found.entry.value.info : undefined;
    },
    handle(request) {
      const out = serve(request);
      return isPromiseLike(out) ? out : Promise.resolve(out);
    },
    refuse(cause, route, path) {
      const error = toKitError(cause);
      const params = (() => {
        const found = router.lookup('POST', path);
        return found.kind === 'found' ? found.params : {};
      })();
      if (!route.signed) {
        logger.debug({ route: route.route, status: statusFor(error), code: error.code, err: error }, 'request refused before handling');
        return errorResponse(error);
      }
      reportNotifyFailure(error, 'POST', route.route, params['app']);
      return notifyFailure(error);
    },
    on(event, listener) {
      emitter.on(event, listener);
      return this;
    },
    once(event, listener) {
      emitter.once(event, listener);
      return this;
    },
    off(event, listener) {
      emitter.off(event, listener);
      return this;
    },
    use(plugin: WxPayPlugin) {
      if (closing) throw new Error('@wxpay-kit/core: use() after close()');
      plugins.use(plugin);
      return this;
    },
    async micropay(call) {
      await plugins.ready();
      const { app, merchant, appId } = resolveAppTarget(ctx, { app: String(call?.app), appId: call?.appId });
      return runMicropay(
        ctx,
        {
          app,
          merchant,
          appId,
          orderId: call.orderId,
          fee: call.fee,
          goods: call.goods,
          authCode: call.authCode,
          ip: call.ip,
          attach: call.udd,
          deviceInfo: call.deviceInfo,
          storeId: call.storeId,
        },
        call.waitMs,
      );
    },
    async createPay(call) {
      await plugins.ready();
      return createPay(ctx, parseInput(CREATE_PAY_CALL, call));
    },
    async queryOrder(call) {
      await plugins.ready();
      return queryOrder(ctx, parseInput(ORDER_CALL, call));
    },
    async closeOrder(call) {
      await plugins.ready();
      return closeOrder(ctx, parseInput(ORDER_CALL, call));
    },
    async confirm(call) {
      await plugins.ready();
      return confirmOrder(ctx, parseInput(ORDER_CALL, call), 'confirm()');
    },
    async refund(call) {
      await plugins.ready();
      return createRefund(ctx, parseInput(REFUND_CALL, call));
    },
    async queryRefund(call) {
      await plugins.ready();
      return queryRefund(ctx, parseInput(QUERY_REFUND_CALL, call));
    },
    async createTransfer(call) {
      await plugins.ready();
      return createTransfer(ctx, parseInput(CREATE_TRANSFER_CALL, call));
    },
    async queryTransfer(call) {
      await plugins.ready();
      return queryTransfer(ctx, parseInput(TRANSFER_BILL_CALL, call));
    },
    async cancelTransfer(call) {
      await plugins.ready();
      return cancelTransfer(ctx, parseInput(TRANSFER_BILL_CALL, call));
    },
    async confirmTransfer(call) {
      await plugins.ready();
      return confirmTransfer(ctx, parseInput(TRANSFER_BILL_CALL, call), 'confirmTransfer()');
    },
    client,
    config,
    get sweeper() {
      return sweeper;
    },
    async reconcile(reconcileOptions) {
      await plugins.ready();
      return runReconcile(ctx, reconcileOptions);
    },
    ready() {
      return plugins.ready();
    },
    close() {
      closing ??= (async () => {
        stopMicropayRuns(ctx);
        await sweeper?.stop();
        await plugins.close();
        if (ownsStore) await store.close?.();
        await client.close();
      })();
      return closing;
    },
    verifyNotification(input) {
      return verifyNotification(input);
    },
    warnIfUnprotected(address) {
      if (config.bearerToken !== undefined || config.authorize !== undefined) return false;
      if (isLoopbackAddress(address)) return false;
      const host = typeof address === 'string' ? address : address?.address;
      logger.warn(
        { address: host },
        `@wxpay-kit/core: the internal routes (${INTERNAL_ROUTE_NAMES}) ` +
          'are reachable beyond loopback with neither a bearerToken nor an authorize hook; anyone who can reach ' +
          'this server can create orders and refunds. Set bearerToken or authorize, or listen on 127.0.0.1.',
      );
      return true;
    },
  };
  Object.defineProperty(wxpay, WXPAY_BRAND, { value: true });
  Object.defineProperty(wxpay, WXPAY_SERVE, { value: serve });

  const emitter = createEmitter({ logger, context: wxpay });
  const plugins = new PluginRegistry({
    config,
    client,
    emitter,
    addRoute: (route, plugin) => {
      const info: RouteInfo = Object.freeze({
        route: route.path,
        signed: route.signed === true,
        bodyLimit: route.bodyLimit ?? config.bodyLimit,
      });
      router.add({ method: route.method, path: route.path, value: { kind: 'plugin', route, plugin, info } });
      lastLookup = undefined;
    },
  });
  const ctx: HandlerContext = {
    config,
    client,
    store,
    emitter,
    logger,
    signKey,
    once: createOncePerKey({ store, logger, ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }) }),
    sweeps: options.sweep === undefined ? undefined : store.sweeps,
    sweepSchedule: options.sweep?.schedule,
  };
  const sweeper: Sweeper | undefined =
    options.sweep === undefined
      ? undefined
      : createSweeper({ config, client, store, logger, flows: sweepFlows(ctx), options: options.sweep });
  return wxpay;
}
