import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  errorResponse,
  isLoopbackAddress,
  MethodNotAllowedError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
  type WxPay,
} from '@wxpay-kit/core';
import { handleNodeRequest, readRawBody, respondToError, toHeaderRecord, writeResponse } from '@wxpay-kit/core/node';
import type { GatewayConfig } from './config/gateway-config.js';
import { needsEmbeddedSimulator, toWxPayOptions, type GatewayClock } from './config/to-options.js';
import { startupNotes } from './config/startup-notes.js';
import { createGatewayLogger, type PinoLogger } from './logger.js';
import { createPathMapper } from './routes.js';
import { shapeReply } from './reply-shape.js';
import { verifyNotify } from './verify-notify.js';
import { parseSeedBody, runSeedPayout, type SeedPayoutOp } from './seed-payouts.js';
import {
  coreTransferBody,
  SeedRequestError,
  seedTransferReply,
  TRANSFER_BILLS_ROUTES,
  transferBillsRefusal,
  verifyTransferBillsReply,
} from './transfer-bills.js';
import type { TransferBillsCall } from './endpoints.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
import { buildRuntime, type GatewayRuntime, type SimulatorSetup } from './runtime.js';
import { reconcileDay } from './reconcile.js';
import { buildOpenApiDocument } from './openapi.js';
import { gatewayVersion } from './package-version.js';

/** Extra routes served beside the API (the demo shop). Return true when the request was answered. */
export type ExtraHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

/** Options of {@link startGateway}. */
export interface StartGatewayOptions {
  readonly config: GatewayConfig;
  /** Default: pino JSON lines on stdout at `LOG_LEVEL` (info). */
  readonly logger?: PinoLogger;
  /** Deliver outbox records to the apps' callbacks in this process. Default true (`wxpay-gateway notify` runs it apart). */
  readonly forwarder?: boolean;
  /** How to start the embedded simulator when a sandbox merchant needs it. */
  readonly simulator?: SimulatorSetup;
  /** A simulator started by the caller (default mode): shown as the gateway's, closed with it. */
  readonly attachSimulator?: { readonly url: string; close(): Promise<void> };
  /** Served before the 404, for paths that are no endpoint. */
  readonly extra?: ExtraHandler;
  /** Path items added to the OpenAPI document (`GET /openapi.json`) for what `extra` serves, e.g. default mode's `/info`. */
  readonly openapiPaths?: Readonly<Record<string, Record<string, unknown>>>;
  /** Runs first when `close()` is called (end long-lived responses such as event streams). */
  readonly onClose?: () => void | Promise<void>;
  /** Most ms `close()` waits for in-flight requests and deliveries before cutting connections. Default 10,000. */
  readonly shutdownTimeoutMs?: number;
  /** How long a client may take to send a request; default {@link GATEWAY_SERVER_TIMEOUTS}. */
  readonly serverTimeouts?: Partial<ServerTimeouts>;
  /** Runs once everything behind the API is ready, just before the port is bound (attach listeners here). */
  readonly beforeListen?: (runtime: GatewayRuntime) => void | Promise<void>;
  /**
   * The core's clock: orders' creation and expiry, and the sweeper's timers. Default the system
   * clock. Tests and simulations pass the simulator's manual or adjustable clock (`createManualClock()`)
   * to run a day of the sweeper's schedule in moments.
   */
  readonly clock?: GatewayClock;
}

/** How long a client may take to send a request, and how often the server looks. */
export interface ServerTimeouts {
  /** Most ms from a request's first byte to the end of its headers (Node's `headersTimeout`). */
  readonly headersTimeoutMs: number;
  /** Most ms from a request's first byte to the end of its body (Node's `requestTimeout`). */
  readonly requestTimeoutMs: number;
  /**
   * How often the two limits above are checked (Node's `connectionsCheckingInterval`, 30 s by
   * default): a slow sender is cut up to this much after its limit.
   */
  readonly checkIntervalMs: number;
}

/**
 * The gateway's defaults: a client trickling its headers is cut 10-12 s after its first byte, one
 * trickling its body 30-32 s after (well inside 40 s), while other requests are served. Node's own
 * defaults (60 s, 300 s, checked every 30 s) would keep such a connection for minutes.
 */
export const GATEWAY_SERVER_TIMEOUTS: ServerTimeouts = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  checkIntervalMs: 2_000,
});

/** A running gateway. */
export interface GatewayHandle {
  /** Base URL the gateway answers on (loopback when it listens on every interface). */
  readonly url: string;
  readonly port: number;
  /** The `node:http` server (its timeouts are {@link StartGatewayOptions.serverTimeouts}); stop it with `close()`. */
  readonly server: Server;
  readonly config: GatewayConfig;
  readonly wxpay: WxPay;
  /** The embedded simulator's URL, when one runs. */
  readonly simulatorUrl: string | undefined;
  readonly runtime: GatewayRuntime;
  readonly logger: PinoLogger;
  /** Stops accepting, finishes in-flight requests and deliveries, then closes the store. Idempotent. */
  close(): Promise<void>;
}

/** Start-up failed for a reason an operator can fix (port in use, address unavailable). One line. */
export class GatewayStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayStartError';
  }
}

/**
 * Starts the gateway: an HTTP server on the configured endpoints, backed by the core handler,
 * the forwarder and its store, and the embedded simulator when a sandbox merchant needs one.
 * The port is bound only once all of that is ready, so the first request a client sends as soon
 * as the port accepts connections is served (never answered "starting").
 *
 * @throws GatewayStartError when the port is in use or the address cannot be bound.
 * @example
 * ```ts
 * const { config } = loadGatewayConfig('./wxpay-gateway.conf.json');
 * const gateway = await startGateway({ config });
 * process.on('SIGTERM', () => void gateway.close());
 * ```
 */
export async function startGateway(options: StartGatewayOptions): Promise<GatewayHandle> {
  const { config } = options;
  const log = options.logger ?? createGatewayLogger();
  const mapPath = createPathMapper(config.endpoints);
  // Default mode and configs built in code carry no shape: the first README's, as before.
  const apiShape = config.apiShape?.shape ?? '2019';
  let runtime: GatewayRuntime | undefined;
  let metrics: GatewayMetrics | undefined;
  /** The OpenAPI document, made at the first request for it. */
  let openapi: string | undefined;
  let closing = false;
  const timeouts: ServerTimeouts = { ...GATEWAY_SERVER_TIMEOUTS, ...options.serverTimeouts };
  const inFlight = new Set<Promise<void>>();
  const openResponses = new Set<ServerResponse>();

  /** Open sockets and how many requests each is serving: idle ones are closed at shutdown. */
  const sockets = new Map<Socket, number>();
  const server = createServer(nodeServerOptions(timeouts), (req, res) => {
    const socket = req.socket;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const busy = (sockets.get(socket) ?? 1) - 1;
      sockets.set(socket, busy);
      if (closing && busy === 0) socket.end();
    });
    const task = serve(req, res).catch((error: unknown) => {
      log.error({ err: error instanceof Error ? { name: error.name, message: error.message } : String(error) }, 'request failed');
      if (!res.headersSent) writeResponse(res, respondToError(error));
      else res.destroy();
    });
    inFlight.add(task);
    openResponses.add(res);
    res.on('close', () => openResponses.delete(res));
    void task.finally(() => inFlight.delete(task));
  });
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, 0);
    socket.once('close', () => sockets.delete(socket));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    if (closing) res.setHeader('connection', 'close');
    const route = mapPath(url.pathname);
    // The metrics label: the core route's pattern, the gateway endpoint's kind, or `other`.
    let endpoint: string = route?.kind === 'core' ? 'unmatched' : (route?.kind ?? 'other');
    res.once('finish', () => metrics?.observeRequest(endpoint, method, res.statusCode, (performance.now() - started) / 1000));

    // The port is bound once the runtime is ready, so every request finds it.
    const rt = runtime!;
    if (route?.kind === 'metrics' && metrics) {
      if (refusedBearer(req, res)) return;
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      return;
    }
    if (route?.kind === 'openapi') {
      if (method !== 'GET' && method !== 'HEAD') {
        writeResponse(res, errorResponse(new MethodNotAllowedError(`use GET for ${url.pathname}`), { allow: 'GET, HEAD' }));
        return;
      }
      openapi ??= JSON.stringify(
        buildOpenApiDocument({
          endpoints: config.endpoints,
          bearer: config.bearerToken !== undefined,
          apiShape,
          version: gatewayVersion(),
          extraPaths: options.openapiPaths,
        }),
      );
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(openapi) });
      res.end(method === 'HEAD' ? undefined : openapi);
      return;
    }
    // Liveness: the process serves HTTP (the store is not asked; /ready does that).
    if (route?.kind === 'health') {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (route?.kind === 'ready') {
      const ready = await rt.ready();
      // Details: the sweeper's state (pending orders, the oldest unresolved age, the last sweep).
      sendJson(
        res,
        ready.ok ? 200 : 503,
        ready.ok ? { status: 'ready', details: { sweeper: ready.sweeper } } : { status: 'not-ready', reason: ready.reason },
      );
      return;
    }
    if (route?.kind === 'reconcile') {
      await serveReconcile(req, res, url, method, rt, started);
      return;
    }
    if (route?.kind === 'verify-notify') {
      await serveVerifyNotify(req, res, url, method, route.notification, rt, started);
      return;
    }
    if (route?.kind === 'seed-payout') {
      endpoint = route.op;
      await serveSeedPayout(req, res, url, method, route.op, rt, started);
      return;
    }
    if (route?.kind === 'transfer-bills') {
      endpoint = `v3-${route.call === 'create' ? '' : `${route.call}-`}transfer-bills`;
      await serveTransferBills(req, res, url, method, route.call, rt, started);
      return;
    }
    if (route?.kind === 'verify-transfer-bills') {
      await serveVerifyTransferBills(req, res, url, method, route.app, rt, started);
      return;
    }
    if (route?.kind === 'realname') {
      const out = realnameAnswer(route.op);
      sendJson(res, out.code, out);
      log.info({ method, path: url.pathname, status: out.code }, 'api call');
      return;
    }
    if (route?.kind === 'core') {
      const info = rt.wxpay.match(method, route.path);
      if (info) {
        endpoint = info.route;
        const out = shapeReply(apiShape, info.route, await handleNodeRequest(rt.wxpay, req, { path: route.path, route: info }));
        writeResponse(res, out);
        const line = {
          method,
          path: url.pathname,
          route: info.route,
          status: out.status,
          ms: Math.round(performance.now() - started),
        };
        if (info.signed) log.info({ ...line, app: route.path.split('/')[2] }, 'notification');
        else log.info(line, 'api call');
        return;
      }
      // A known endpoint asked with another method: the core answers 405 with `Allow`.
      const out = await rt.wxpay.handle({ method, path: route.path, headers: {}, rawBody: new Uint8Array(0) });
      writeResponse(res, out);
      log.info({ method, path: url.pathname, status: out.status }, out.status === 405 ? 'method not allowed' : 'not found');
      return;
    }
    if (!route && options.extra && (await options.extra(req, res, url))) return;
    const out = respondToError(new NotFoundError(`no endpoint ${method} ${url.pathname}`));
    writeResponse(res, out);
    log.info({ method, path: url.pathname, status: out.status }, 'not found');
  }

  /**
   * go-wxpay-gateway's `verify-notify-pay` / `verify-notify-refund`: the app posts the body WeChat
   * sent it (`?app=<name>`, WeChat's `Wechatpay-*` headers along for API v3). Internal, like the
   * JSON endpoints: it needs the bearer token when one is configured.
   */
  async function serveVerifyNotify(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    notification: 'pay' | 'refund',
    rt: GatewayRuntime,
    started: number,
  ): Promise<void> {
    if (refusedPost(req, res, url, method)) return;
    const app = url.searchParams.get('app');
    const rawBody = await readRawBody(req, { limit: config.bodyLimit ?? DEFAULT_BODY_LIMIT, signed: true });
    const reply = await verifyNotify(rt.wxpay, notification, app, toHeaderRecord(req.headers), rawBody);
    sendJson(res, reply.code, reply);
    log.info(
      { method, path: url.pathname, app, status: reply.code, redelivery: reply.redelivery, ms: Math.round(performance.now() - started) },
      'notification verified for the app',
    );
  }

  /** Answers 401 and returns true when a bearer token is configured and the request lacks it. */
  function refusedBearer(req: IncomingMessage, res: ServerResponse): boolean {
    if (config.bearerToken === undefined || bearerMatches(req.headers.authorization, config.bearerToken)) return false;
    writeResponse(res, respondToError(new UnauthorizedError('missing or wrong bearer token')));
    return true;
  }

  /** The gate of the gateway's own POST endpoints: 405 for another method, then the bearer token. */
  function refusedPost(req: IncomingMessage, res: ServerResponse, url: URL, method: string): boolean {
    if (method !== 'POST') {
      writeResponse(res, errorResponse(new MethodNotAllowedError(`use POST for ${url.pathname}`), { allow: 'POST' }));
      return true;
    }
    return refusedBearer(req, res);
  }

  /**
   * go-wxpay-gateway's `transfer`, `query-transfer`, `v3-transfer`, `v3-query-transfer` and
   * `v3-query-transfer-detail` (see `seed-payouts.ts`): internal, like the JSON endpoints, so they
   * need the bearer token when one is configured. Errors answer as the core's do (400 naming the
   * field, 502 with WeChat's `err_code`, 404 for an unknown number).
   */
  async function serveSeedPayout(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    op: SeedPayoutOp,
    rt: GatewayRuntime,
    started: number,
  ): Promise<void> {
    if (refusedPost(req, res, url, method)) return;
    let status: number;
    try {
      const rawBody = await readRawBody(req, { limit: config.bodyLimit ?? DEFAULT_BODY_LIMIT, signed: false });
      const reply = await runSeedPayout(rt.wxpay, op, parseSeedBody(rawBody));
      sendJson(res, 200, reply);
      status = 200;
    } catch (error) {
      const out = errorResponse(error);
      writeResponse(res, out);
      status = out.status;
    }
    log.info({ method, path: url.pathname, endpoint: op, status, ms: Math.round(performance.now() - started) }, 'api call');
  }

  /**
   * go-wxpay-gateway's `v3-transfer-bills`, `v3-query-transfer-bills` and `v3-cancel-transfer-bills`:
   * its request fields become the core route's, the core route runs (bearer token, validation,
   * the call, the bill's record and final event), and its answer becomes the seed's.
   */
  async function serveTransferBills(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    call: TransferBillsCall,
    rt: GatewayRuntime,
    started: number,
  ): Promise<void> {
    if (refusedPost(req, res, url, method)) return;
    const rawBody = await readRawBody(req, { limit: config.bodyLimit ?? DEFAULT_BODY_LIMIT, signed: false });
    let body: Record<string, unknown>;
    try {
      body = coreTransferBody(call, rawBody.length === 0 ? undefined : JSON.parse(Buffer.from(rawBody).toString('utf8')), config.apps);
    } catch (error) {
      const msg = error instanceof SeedRequestError ? error.message : 'the body must be a JSON object';
      writeResponse(res, errorResponse(new ValidationError(msg)));
      log.info({ method, path: url.pathname, status: 400 }, 'api call');
      return;
    }
    const refusal = transferBillsRefusal(config, body['payApp']);
    if (refusal !== undefined) {
      writeResponse(res, errorResponse(new ValidationError(refusal, { field: 'payApp' })));
      log.info({ method, path: url.pathname, status: 400 }, 'api call');
      return;
    }
    const headers = { ...toHeaderRecord(req.headers), 'content-type': 'application/json' };
    const path = TRANSFER_BILLS_ROUTES[call];
    const out = await rt.wxpay.handle({ method: 'POST', path, headers, rawBody: new TextEncoder().encode(JSON.stringify(body)) });
    const reply = seedTransferReply(call, out);
    sendJson(res, reply.status, reply.body);
    log.info({ method, path: url.pathname, route: path, status: reply.status, ms: Math.round(performance.now() - started) }, 'api call');
  }

  /**
   * go-wxpay-gateway's `v3-verify-transfer-bills/:payApp`: the app posts WeChat's transfer callback
   * as it received it, WeChat's `Wechatpay-*` headers along. Internal: the bearer token applies.
   */
  async function serveVerifyTransferBills(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    app: string,
    rt: GatewayRuntime,
    started: number,
  ): Promise<void> {
    if (refusedPost(req, res, url, method)) return;
    const rawBody = await readRawBody(req, { limit: config.bodyLimit ?? DEFAULT_BODY_LIMIT, signed: true });
    const check = await rt.wxpay.verifyNotification({ kind: 'transfer', app, headers: toHeaderRecord(req.headers), rawBody });
    const reply = verifyTransferBillsReply(check);
    sendJson(res, reply.code, reply);
    log.info(
      { method, path: url.pathname, app, status: reply.code, redelivery: reply.redelivery, ms: Math.round(performance.now() - started) },
      'transfer callback verified for the app',
    );
  }

  /**
   * `POST <reconcile>` `{"date"?: "YYYY-MM-DD", "merchant"?: name}`: reconciles that day now (default
   * yesterday, China time) and answers `{reports: [{date, merchant, checked, differences}]}`. Internal:
   * it needs the bearer token when one is configured. `wxpay-gateway reconcile` asks here when this
   * gateway holds the store.
   */
  async function serveReconcile(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    rt: GatewayRuntime,
    started: number,
  ): Promise<void> {
    if (refusedPost(req, res, url, method)) return;
    const text = Buffer.from(await readRawBody(req, { limit: 4096, signed: false }))
      .toString('utf8')
      .trim();
    let input: { date?: unknown; merchant?: unknown } = {};
    if (text !== '') {
      try {
        input = JSON.parse(text) as typeof input;
      } catch {
        throw new ValidationError('body: must be JSON such as {"date": "2026-12-06"}', { field: 'body' });
      }
      if (input === null || typeof input !== 'object' || Array.isArray(input)) {
        throw new ValidationError('body: must be a JSON object such as {"date": "2026-12-06"}', { field: 'body' });
      }
    }
    for (const field of ['date', 'merchant'] as const) {
      if (input[field] !== undefined && typeof input[field] !== 'string') {
        throw new ValidationError(`${field}: must be a string`, { field });
      }
    }
    const reports = await reconcileDay(rt.wxpay, rt.store, log, {
      date: input.date as string | undefined,
      merchant: input.merchant as string | undefined,
    });
    sendJson(res, 200, { reports });
    log.info({ method, path: url.pathname, status: 200, ms: Math.round(performance.now() - started) }, 'reconciled on request');
  }

  // The notify URLs made at start-up carry the port, so with "listen-port" 0 one is chosen first.
  // A configured port is not probed: a client polling it would meet the probe.
  const port = config.listenPort === 0 ? await freePort(config.listenHost) : config.listenPort;
  const host = !config.listenHost || config.listenHost === '0.0.0.0' || config.listenHost === '::' ? '127.0.0.1' : config.listenHost;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  try {
    runtime = await buildRuntime({
      config,
      logger: log,
      forwarder: options.forwarder ?? true,
      simulator: needsEmbeddedSimulator(config) ? (options.simulator ?? {}) : undefined,
      attachSimulator: options.attachSimulator,
      localBaseUrl: url,
      wxpayOptions: (simulatorUrl) => toWxPayOptions(config, { localBaseUrl: url, simulatorUrl, clock: options.clock }),
    });
  } catch (error) {
    server.close();
    throw error;
  }
  const rt = runtime;
  metrics = createGatewayMetrics(rt.wxpay, rt.store);
  try {
    await options.beforeListen?.(rt);
    await listen(server, config.listenHost, port);
  } catch (error) {
    server.close();
    await rt.close();
    throw error;
  }

  if (!isLoopbackAddress(config.listenHost || '0.0.0.0') && !config.bearerToken) {
    log.warn(
      { listenHost: config.listenHost || '(all interfaces)' },
      'internal endpoints (create-pay, refunds, queries) have no bearer-token and the gateway listens beyond loopback; keep them off public networks',
    );
  }
  for (const note of startupNotes(config)) log.info({ config: config.source }, note);
  log.info(
    {
      url,
      endpoints: config.endpoints,
      apps: config.apps.map((a) => a.name),
      store: config.store.kind === 'file' ? `file:${config.store.path}` : 'redis',
      simulator: rt.simulatorUrl,
      forwarder: options.forwarder ?? true,
    },
    'wxpay-gateway listening',
  );

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      await options.onClose?.();
      const timeoutMs = options.shutdownTimeoutMs ?? 10_000;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [socket, busy] of sockets) if (busy === 0) socket.end();
      // Requests still running get their answer, then their connection closes.
      for (const res of openResponses) if (!res.headersSent) res.setHeader('connection', 'close');
      const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
      timer.unref();
      await Promise.allSettled([...inFlight]);
      await stopped;
      clearTimeout(timer);
      await rt.close();
      metrics?.close();
      log.info({}, 'wxpay-gateway stopped');
    })();
    return closed;
  };

  return {
    url,
    port,
    server,
    config,
    wxpay: rt.wxpay,
    simulatorUrl: rt.simulatorUrl,
    runtime: rt,
    logger: log,
    close,
  };
}

/** The real-name operations go-wxpay-gateway's current version has under `realname-auth-root`. */
const REALNAME_OPS: ReadonlySet<string> = new Set(['url', 'identity', 'getinfo']);

/**
 * `realname-auth-root/:op`: go-wxpay-gateway's real-name calls. WeChat Pay's real-name
 * authentication API is not documented in the protocol references this gateway and its simulator
 * are built from, so it cannot be served (or simulated) faithfully: 501, naming the feature.
 */
export function realnameAnswer(op: string): { code: number; msg: string } {
  if (!REALNAME_OPS.has(op)) return { code: 400, msg: `unknown realname auth op ${op} (url, identity or getinfo)` };
  return {
    code: 501,
    msg: `realname-auth-root/${op}: real-name authentication (WeChat Pay's realname auth: url, identity, getinfo) is not implemented by this gateway`,
  };
}

/** The core's default largest body, used when the config sets no `body-limit`. */
const DEFAULT_BODY_LIMIT = 65_536;

/** `Authorization: Bearer <token>`, compared in constant time. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(header ?? ''), digest(`Bearer ${token}`));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** Node's server options for `timeouts`. */
function nodeServerOptions(timeouts: ServerTimeouts): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionsCheckingInterval: timeouts.checkIntervalMs,
  };
}

/** A port free on `host` a moment ago (bound and released), for "listen-port" 0. */
async function freePort(host: string): Promise<number> {
  const probe = createServer();
  await listen(probe, host, 0);
  const bound = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return bound;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${host || '0.0.0.0'}:${port}`;
      if (error.code === 'EADDRINUSE') {
        reject(
          new GatewayStartError(
            `wxpay-gateway: port ${port} is already in use (${where}); stop the other process or set "listen-port" to a free port`,
            { cause: error },
          ),
        );
      } else if (error.code === 'EACCES') {
        reject(
          new GatewayStartError(
            `wxpay-gateway: not allowed to listen on ${where}; use a port above 1023 or run with the needed privileges`,
            { cause: error },
          ),
        );
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        reject(
          new GatewayStartError(`wxpay-gateway: cannot listen on ${where}: "listen-host" is not an address of this machine`, {
            cause: error,
          }),
        );
      } else {
        reject(new GatewayStartError(`wxpay-gateway: cannot listen on ${where}: ${error.message}`, { cause: error }));
      }
    };
    server.once('error', onError);
    server.listen(port, host || undefined, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
