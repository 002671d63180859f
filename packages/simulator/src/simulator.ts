import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { maskingLogger, silentLogger, type Logger } from '@wxpay-kit/core';
import { systemClock, type SimulatorClock } from './clock.js';
import { handleControl } from './control.js';
import { SimulatorError } from './errors.js';
import { FaultList } from './faults.js';
import * as ids from './ids.js';
import { resolveMerchants } from './merchants.js';
import { payNotificationXml, refundNotificationXml } from './notification-bodies.js';
import { Notifier, type NotifierEvents } from './notifier.js';
import { acceptRefund } from './refunds.js';
import { orderView, refreshExpiry, refundView, SimState, TRADE_STATE_DESC, type OrderRecord, type RefundRecord } from './state.js';
import type {
  RefundMode,
  SimCoupon,
  SimEnvironment,
  SimFault,
  SimFaultInput,
  SimNotification,
  SimNotificationFilter,
  SimOrder,
  SimPayOptions,
  SimRefund,
  SimForgeOptions,
  SimSettings,
  SimStartRefundOptions,
  SimTarget,
  SimulatorControl,
  SimulatorMerchant,
  SimulatorOptions,
} from './types.js';
import { handleV3, isV3Path, resolveV3Route } from './v3/handler.js';
import { WechatpayKeyring } from './v3/keys.js';
import { forgeV3Notification, v3PayNotification, v3RefundNotification } from './v3/notifications.js';
import { handleWire, resolveWireRoute, type ClientCert, type WireReply } from './wire.js';

/** A request as handed to {@link Simulator.handle}. */
export interface SimulatorRequest {
  readonly method: string;
  /** The request path, with or without a query string. */
  readonly path: string;
  /** The body bytes (XML for WeChat APIs, JSON for `/_sim/`). */
  readonly body?: Uint8Array | string;
  /** Same as `body`, so a core `WxPayRequest` can be passed as it is. Ignored when `body` is given. */
  readonly rawBody?: Uint8Array;
  /** Request headers (names in lower case); `/v3/` calls need `authorization`. */
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** What the transport verified of a TLS client certificate. Default `{ state: 'not-tls' }`. */
  readonly clientCert?: ClientCert;
}

/** The answer of {@link Simulator.handle}. */
export interface SimulatorResponse extends WireReply {
  /** A `drop` fault hit: the transport should close the connection without answering. */
  readonly drop?: boolean;
}

/** Events of {@link Simulator.on}. */
export type SimulatorEvents = NotifierEvents;

/**
 * A WeChat Pay simulator (API v2 and v3) that is not bound to a port: hand it requests through
 * {@link Simulator.listener} (any `node:http` or `node:https` server) or {@link Simulator.handle}.
 * It is also its own control client: `await sim.pay('T1')`.
 */
export interface Simulator extends SimulatorControl {
  /** The merchants served, with their keys. */
  readonly merchants: readonly SimulatorMerchant[];
  /** A `node:http` request listener serving the WeChat APIs and `/_sim/`. */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** Answers one request; never rejects. */
  handle(request: SimulatorRequest): Promise<SimulatorResponse>;
  on<K extends keyof SimulatorEvents>(event: K, listener: (...args: SimulatorEvents[K]) => void): this;
  off<K extends keyof SimulatorEvents>(event: K, listener: (...args: SimulatorEvents[K]) => void): this;
  /** Cancels notification retries and closes outgoing connections. */
  close(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Creates a simulator without a server. Use {@link startSimulator} for one that listens.
 *
 * @example
 * const sim = createSimulator({ timeFactor: 0.001 });
 * http.createServer(sim.listener).listen(0, '127.0.0.1');
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const merchants = resolveMerchants(options.merchants);
  const byId = new Map(merchants.map((m) => [m.mchId, m]));
  const clock: SimulatorClock = options.clock ?? systemClock;
  const logger: Logger = maskingLogger(options.logger ?? silentLogger);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const settings: { refunds: RefundMode; timeFactor: number } = {
    refunds: options.refunds ?? 'auto',
    timeFactor: options.timeFactor ?? 1,
  };
  checkSettings(settings);
  const state = new SimState();
  const faults = new FaultList();
  const notifier = new Notifier({
    clock,
    logger,
    timeFactor: () => settings.timeFactor,
    timeoutMs: options.notifyTimeoutMs ?? 5_000,
  });
  const tlsEnabled = options.tls !== undefined;
  const keyring = new WechatpayKeyring(options.v3 ?? {}, clock);
  const timestampWindowS = options.v3?.timestampWindowS ?? 300;
  if (typeof timestampWindowS !== 'number' || !(timestampWindowS >= 0)) throw new TypeError('v3.timestampWindowS must be a number >= 0');

  const keyFor = (environment: SimEnvironment, mchId: string): string => {
    const merchant = byId.get(mchId)!;
    return environment === 'sandbox' ? merchant.sandboxKey : merchant.apiKey;
  };

  /** What a pay notification is about and where it goes. */
  const payAddress = (order: OrderRecord) =>
    ({ kind: 'pay', environment: order.environment, mchId: order.mchId, outTradeNo: order.outTradeNo, url: order.notifyUrl }) as const;
  /** What a refund notification is about; `url` is the refund's notify URL, checked by the caller. */
  const refundAddress = (refund: RefundRecord, url: string) =>
    ({
      kind: 'refund',
      environment: refund.environment,
      mchId: refund.mchId,
      outTradeNo: refund.outTradeNo,
      outRefundNo: refund.outRefundNo,
      url,
    }) as const;

  const sendRefundNotification = (refund: RefundRecord): void => {
    const order = state.order(refund.environment, refund.mchId, refund.outTradeNo)!;
    if (!refund.notifyUrl) {
      logger.warn({ outRefundNo: refund.outRefundNo }, 'refund has no notify_url and its merchant no refundNotifyUrl; no notification sent');
      return;
    }
    const merchant = byId.get(refund.mchId)!;
    // Refunds started from the merchant console are notified in v2 XML even to v3 merchants.
    if (refund.apiVersion === 'v3' && refund.source === 'api' && merchant.v3) {
      notifier.send({
        ...refundAddress(refund, refund.notifyUrl),
        format: 'json',
        ...v3RefundNotification({ keyring, clock }, merchant, refund, order),
      });
      return;
    }
    notifier.send({
      ...refundAddress(refund, refund.notifyUrl),
      body: refundNotificationXml(refund, order, keyFor(refund.environment, refund.mchId)),
    });
  };

  const finishRefund = (refund: RefundRecord, status: 'SUCCESS' | 'CHANGE' | 'REFUNDCLOSE'): void => {
    const allowed = status === 'CHANGE' ? ['PROCESSING'] : ['PROCESSING', 'CHANGE'];
    if (!allowed.includes(refund.status)) {
      throw new SimulatorError('INVALID_STATE', `refund ${refund.outRefundNo} is ${refund.status}`);
    }
    refund.status = status;
    if (status === 'SUCCESS') refund.successTime = ids.readableTime(clock.now());
    if (status === 'REFUNDCLOSE') {
      const order = state.order(refund.environment, refund.mchId, refund.outTradeNo);
      if (order) order.refundedFee -= refund.refundFee;
    }
    logger.info({ outRefundNo: refund.outRefundNo, status }, 'refund finished');
    sendRefundNotification(refund);
  };

  const unpaidOrder = (outTradeNo: string, target: SimTarget | undefined, action: string): OrderRecord => {
    const order = state.pickOrder(outTradeNo, target);
    refreshExpiry(order, clock.now());
    if (order.tradeState !== 'NOTPAY' && order.tradeState !== 'PAYERROR') {
      throw new SimulatorError('INVALID_STATE', `cannot ${action} order ${outTradeNo}: it is ${order.tradeState}`);
    }
    return order;
  };

  const pay = (outTradeNo: string, opts: SimPayOptions = {}): SimOrder => {
    const order = unpaidOrder(outTradeNo, opts, 'pay');
    const coupons = toCoupons(opts.coupons, order.totalFee);
    const now = clock.now();
    const couponFee = coupons.reduce((sum, c) => sum + c.fee, 0);
    const noCash = coupons.filter((c) => c.type === 'NO_CASH').reduce((sum, c) => sum + c.fee, 0);
    order.tradeState = 'SUCCESS';
    order.tradeStateDesc = TRADE_STATE_DESC.SUCCESS;
    order.transactionId = ids.transactionId(now);
    order.paidAt = now;
    order.timeEnd = ids.compactTime(now);
    order.openId = opts.openId ?? order.openId ?? ids.openId();
    order.bankType = opts.bankType ?? 'OTHERS';
    order.isSubscribe = opts.isSubscribe ?? false;
    order.coupons = coupons;
    order.couponFee = couponFee;
    order.cashFee = order.totalFee - couponFee;
    order.settlementTotalFee = noCash > 0 ? order.totalFee - noCash : undefined;
    state.indexTransaction(order);
    logger.info({ mchId: order.mchId, outTradeNo, environment: order.environment }, 'order paid');
    const merchant = byId.get(order.mchId)!;
    if (opts.notify !== false && order.apiVersion === 'v3' && merchant.v3) {
      notifier.send({
        ...payAddress(order),
        format: 'json',
        ...v3PayNotification({ keyring, clock }, merchant, order),
      });
    } else if (opts.notify !== false) {
      notifier.send({
        ...payAddress(order),
        body: payNotificationXml(order, keyFor(order.environment, order.mchId)),
      });
    }
    return orderView(order);
  };

  const startRefund = (outTradeNo: string, opts: SimStartRefundOptions = {}): SimRefund => {
    const order = state.pickOrder(outTradeNo, opts);
    refreshExpiry(order, clock.now());
    if (order.tradeState !== 'SUCCESS' && order.tradeState !== 'REFUND') {
      throw new SimulatorError('INVALID_STATE', `cannot refund order ${outTradeNo}: it is ${order.tradeState}`);
    }
    const left = order.totalFee - order.refundedFee;
    const refundFee = opts.refundFee ?? left;
    if (!Number.isInteger(refundFee) || refundFee <= 0) throw new SimulatorError('BAD_REQUEST', 'refundFee must be a positive integer (fen)');
    if (refundFee > left) throw new SimulatorError('INVALID_STATE', `order ${outTradeNo} has only ${left} fen left to refund`);
    const source = opts.source ?? 'console';
    if (source !== 'console' && source !== 'api') throw new SimulatorError('BAD_REQUEST', 'source must be console or api');
    const outRefundNo = opts.outRefundNo ?? `${source === 'console' ? 'C' : 'R'}${ids.compactTime(clock.now())}${ids.randomString(8, '0123456789')}`;
    if (state.refund(order.environment, order.mchId, outRefundNo)) {
      throw new SimulatorError('INVALID_STATE', `refund ${outRefundNo} exists already`);
    }
    const merchant = byId.get(order.mchId)!;
    const record = acceptRefund(state, clock.now(), order, {
      outRefundNo,
      refundFee,
      refundFeeType: order.feeType,
      refundDesc: opts.reason,
      refundAccount: 'REFUND_SOURCE_UNSETTLED_FUNDS',
      notifyUrl: opts.notifyUrl ?? merchant.refundNotifyUrl,
      signType: order.signType,
      fingerprint: '',
      apiVersion: order.apiVersion,
      source,
    });
    logger.info({ mchId: order.mchId, outTradeNo, outRefundNo, refundFee, source }, 'refund started');
    if (settings.refunds === 'auto') finishRefund(record, 'SUCCESS');
    return refundView(record);
  };

  const FORGERIES = ['signtest', 'bad-signature', 'unknown-serial', 'stale-timestamp', 'bad-tag'];
  const forgeNotification = async (opts: SimForgeOptions): Promise<SimNotification> => {
    if (!FORGERIES.includes(opts?.forgery)) throw new SimulatorError('BAD_REQUEST', `forgery must be one of ${FORGERIES.join(', ')}`);
    const v3Merchant = (mchId: string): SimulatorMerchant => {
      const merchant = byId.get(mchId)!;
      if (!merchant.v3) throw new SimulatorError('INVALID_STATE', `merchant ${mchId} is not a v3 merchant`);
      return merchant;
    };
    const deps = { keyring, clock };
    if (opts.outRefundNo !== undefined) {
      const refund = state.pickRefund(opts.outRefundNo, opts);
      const order = state.order(refund.environment, refund.mchId, refund.outTradeNo)!;
      if (refund.status === 'PROCESSING') throw new SimulatorError('INVALID_STATE', `refund ${refund.outRefundNo} is still PROCESSING`);
      if (!refund.notifyUrl) throw new SimulatorError('INVALID_STATE', `refund ${refund.outRefundNo} has no notify URL`);
      const merchant = v3Merchant(refund.mchId);
      return notifier.sendAndSettle({
        ...refundAddress(refund, refund.notifyUrl),
        format: 'json',
        once: true,
        forgery: opts.forgery,
        ...forgeV3Notification(deps, merchant, v3RefundNotification(deps, merchant, refund, order), opts.forgery),
      });
    }
    if (opts.outTradeNo === undefined) throw new SimulatorError('BAD_REQUEST', 'give outTradeNo or outRefundNo');
    const order = state.pickOrder(opts.outTradeNo, opts);
    if (order.tradeState !== 'SUCCESS' && order.tradeState !== 'REFUND') {
      throw new SimulatorError('INVALID_STATE', `order ${order.outTradeNo} is ${order.tradeState}; only paid orders are notified`);
    }
    const merchant = v3Merchant(order.mchId);
    return notifier.sendAndSettle({
      ...payAddress(order),
      format: 'json',
      once: true,
      forgery: opts.forgery,
      ...forgeV3Notification(deps, merchant, v3PayNotification(deps, merchant, order), opts.forgery),
    });
  };

  const control: SimulatorControl = {
    listMerchants: async () => merchants,
    orders: async (filter) => state.allOrders(filter).map((o) => (refreshExpiry(o, clock.now()), orderView(o))),
    order: async (outTradeNo, target) => {
      const order = state.pickOrder(outTradeNo, target);
      refreshExpiry(order, clock.now());
      return orderView(order);
    },
    pay: async (outTradeNo, opts) => pay(outTradeNo, opts),
    failPayment: async (outTradeNo, target) => {
      const order = unpaidOrder(outTradeNo, target, 'fail');
      order.tradeState = 'PAYERROR';
      order.tradeStateDesc = TRADE_STATE_DESC.PAYERROR;
      return orderView(order);
    },
    expire: async (outTradeNo, target) => {
      const order = unpaidOrder(outTradeNo, target, 'expire');
      order.tradeState = 'CLOSED';
      order.tradeStateDesc = TRADE_STATE_DESC.CLOSED;
      order.expiresAt = Math.min(order.expiresAt ?? Infinity, clock.now());
      return orderView(order);
    },
    refunds: async (filter) => state.allRefunds(filter).map(refundView),
    refund: async (outRefundNo, target) => refundView(state.pickRefund(outRefundNo, target)),
    completeRefund: async (outRefundNo, target) => {
      const refund = state.pickRefund(outRefundNo, target);
      finishRefund(refund, 'SUCCESS');
      return refundView(refund);
    },
    failRefund: async (outRefundNo, target) => {
      const refund = state.pickRefund(outRefundNo, target);
      finishRefund(refund, 'CHANGE');
      return refundView(refund);
    },
    closeRefund: async (outRefundNo, target) => {
      const refund = state.pickRefund(outRefundNo, target);
      finishRefund(refund, 'REFUNDCLOSE');
      return refundView(refund);
    },
    notifications: async () => notifier.list(),
    waitForNotification: (filter?: SimNotificationFilter): Promise<SimNotification> => notifier.waitFor(filter),
    addFault: async (fault: SimFaultInput): Promise<SimFault> => faults.add(fault),
    faults: async () => faults.list(),
    clearFaults: async () => faults.clear(),
    settings: async (): Promise<SimSettings> => ({ ...settings }),
    updateSettings: async (patch) => {
      const next = { ...settings, ...pickSettings(patch) };
      checkSettings(next);
      Object.assign(settings, next);
      return { ...settings };
    },
    reset: async () => {
      state.clear();
      notifier.clear();
      faults.clear();
    },
    startRefund: async (outTradeNo, opts) => startRefund(outTradeNo, opts),
    wechatpayKeys: async () => keyring.view(),
    forgeNotification: (opts) => forgeNotification(opts),
    rotatePlatformCertificate: async (opts) => {
      const cert = keyring.rotate(opts?.retirePrevious === true);
      logger.info({ serialNo: cert.serialNo }, 'platform certificate rotated');
      return cert;
    },
  };

  const wireDeps = {
    state,
    merchants: byId,
    clock,
    logger,
    faults,
    bodyLimit,
    requireMchIdCommonName: options.tls?.requireMchIdCommonName ?? false,
    refundMode: () => settings.refunds,
    completeRefund: (refund: RefundRecord) => finishRefund(refund, 'SUCCESS'),
  };

  const v3Deps = { ...wireDeps, keyring, timestampWindowS };

  const notFound = (): SimulatorResponse => ({ status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Not Found' });

  const handle = async (request: SimulatorRequest): Promise<SimulatorResponse> => {
    try {
      const url = new URL(request.path, 'http://simulator.invalid');
      let path = url.pathname;
      if (basePath) {
        if (path !== basePath && !path.startsWith(`${basePath}/`)) return notFound();
        path = path.slice(basePath.length) || '/';
      }
      const given = request.body ?? request.rawBody;
      const body = typeof given === 'string' ? Buffer.from(given, 'utf8') : (given ?? new Uint8Array());
      if (path === '/_sim' || path.startsWith('/_sim/')) {
        return await handleControl(control, merchants, request.method.toUpperCase(), path, url.searchParams, body);
      }
      if (isV3Path(path)) {
        const method = request.method.toUpperCase();
        const v3Route = resolveV3Route(method, path);
        const canonical = v3Route?.canonicalPath ?? path;
        const delay = faults.take('delay', path, canonical).reduce((sum, f) => sum + (f.kind === 'delay' ? f.ms : 0), 0);
        if (delay > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
        if (faults.take('drop', path, canonical).length > 0) {
          logger.info({ path }, 'dropping the connection (injected fault)');
          return { status: 0, headers: {}, body: '', drop: true };
        }
        const asReceived = request.path.startsWith('/') ? request.path : `${url.pathname}${url.search}`;
        const relative = `${path}${url.search}`;
        const auth = request.headers?.['authorization'];
        return handleV3(v3Deps, v3Route, {
          method,
          path,
          targets: asReceived === relative ? [relative] : [asReceived, relative],
          query: url.searchParams,
          authorization: typeof auth === 'string' ? auth : auth?.[0],
          body,
        });
      }
      const route = resolveWireRoute(path);
      if (!route) return notFound();
      const delay = faults.take('delay', path, route.canonicalPath).reduce((sum, f) => sum + (f.kind === 'delay' ? f.ms : 0), 0);
      if (delay > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
      if (faults.take('drop', path, route.canonicalPath).length > 0) {
        logger.info({ path }, 'dropping the connection (injected fault)');
        return { status: 0, headers: {}, body: '', drop: true };
      }
      return handleWire(wireDeps, route, request.method.toUpperCase(), body, request.clientCert ?? { state: 'not-tls' }, path);
    } catch (cause) {
      logger.error({ path: request.path, err: cause instanceof Error ? cause.message : String(cause) }, 'simulator failed');
      return { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Internal Server Error' };
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void serveNode(req, res, handle, bodyLimit, tlsEnabled);
  };

  const sim: Simulator = {
    ...control,
    merchants,
    listener,
    handle,
    on(event, fn) {
      notifier.events.on(event, fn as never);
      return sim;
    },
    off(event, fn) {
      notifier.events.off(event, fn as never);
      return sim;
    },
    close: () => notifier.close(),
  };
  return sim;
}

function checkSettings(s: SimSettings): void {
  if (s.refunds !== 'auto' && s.refunds !== 'manual') throw new SimulatorError('BAD_REQUEST', 'refunds must be auto or manual');
  if (typeof s.timeFactor !== 'number' || !Number.isFinite(s.timeFactor) || s.timeFactor < 0) {
    throw new SimulatorError('BAD_REQUEST', 'timeFactor must be a finite number >= 0');
  }
}

function pickSettings(patch: Partial<SimSettings>): Partial<SimSettings> {
  const out: { refunds?: RefundMode; timeFactor?: number } = {};
  if (patch.refunds !== undefined) out.refunds = patch.refunds;
  if (patch.timeFactor !== undefined) out.timeFactor = patch.timeFactor;
  return out;
}

function toCoupons(input: SimPayOptions['coupons'], totalFee: number): SimCoupon[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) throw new SimulatorError('BAD_REQUEST', 'coupons must be an array');
  const coupons = input.map((c, n): SimCoupon => {
    if (!Number.isInteger(c?.fee) || c.fee <= 0) throw new SimulatorError('BAD_REQUEST', `coupons[${n}].fee must be a positive integer (fen)`);
    if (c.type !== undefined && c.type !== 'CASH' && c.type !== 'NO_CASH') {
      throw new SimulatorError('BAD_REQUEST', `coupons[${n}].type must be CASH or NO_CASH`);
    }
    return Object.freeze({ id: c.id ?? String(10000 + n), type: c.type ?? 'CASH', fee: c.fee });
  });
  if (coupons.reduce((s, c) => s + c.fee, 0) >= totalFee) {
    throw new SimulatorError('BAD_REQUEST', 'coupons must leave a cash amount above zero');
  }
  return coupons;
}

async function serveNode(
  req: IncomingMessage,
  res: ServerResponse,
  handle: (request: SimulatorRequest) => Promise<SimulatorResponse>,
  bodyLimit: number,
  tlsEnabled: boolean,
): Promise<void> {
  try {
    const { body, truncated } = await readBody(req, bodyLimit);
    const out = await handle({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      body,
      headers: req.headers,
      clientCert: clientCertOf(req, tlsEnabled),
    });
    if (out.drop) {
      req.socket.destroy();
      return;
    }
    const headers: Record<string, string> = { ...out.headers };
    if (truncated) headers['connection'] = 'close';
    res.writeHead(out.status, headers);
    res.end(out.body);
  } catch {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    res.end();
  }
}

/** Reads at most `limit + 1` bytes: enough to know the body is too large without holding it all. */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: Uint8Array; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.off('end', onEnd);
        req.pause();
        resolve({ body: Buffer.concat(chunks).subarray(0, limit + 1), truncated: true });
      }
    };
    const onEnd = (): void => resolve({ body: Buffer.concat(chunks), truncated: false });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

function clientCertOf(req: IncomingMessage, tlsEnabled: boolean): ClientCert {
  const socket = req.socket as Partial<TLSSocket>;
  if (!tlsEnabled || socket.encrypted !== true) return { state: 'not-tls' };
  // `authorized` alone is not enough: on a kept-alive TLS 1.3 connection Node may flip it to true
  // after the first request although no certificate was sent. The handshake's verdict stays in
  // `authorizationError`, and a missing certificate shows as an empty peer certificate.
  const peer = socket.getPeerCertificate?.() as { subject?: Record<string, string | string[]> } | undefined;
  const error = socket.authorizationError;
  if (error || !socket.authorized || !peer || !peer.subject) {
    return { state: 'rejected', reason: error ? String(error) : 'no client certificate' };
  }
  const cn = peer.subject['CN'];
  return { state: 'verified', commonName: Array.isArray(cn) ? cn[0] : cn };
}
