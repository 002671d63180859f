import { ANY_APP_ID, createWxPay, type SweepStats, type WxPay } from '@wxpay-kit/core';
import { createHmac } from 'node:crypto';
import {
  forwarder,
  openStore as openForwarderStore,
  type Forwarder,
  type ForwarderAppOptions,
  type ForwarderStore,
} from '@wxpay-kit/forwarder';
import { startSimulator, type SimulatorMerchantOptions } from '@wxpay-kit/simulator';
import { appsCheckNotifications } from './config/api-shape.js';
import { DEFAULT_RECONCILE_AT, type GatewayConfig } from './config/gateway-config.js';
import { merchantVariants, type GatewayWxPayOptions } from './config/to-options.js';
import type { PinoLogger } from './logger.js';
import { scheduleReconcile } from './reconcile.js';

/** How to start the embedded simulator for the config's sandbox merchants. */
export interface SimulatorSetup {
  /** Retry-schedule multiplier of its notifications (1 = WeChat's real schedule). */
  readonly timeFactor?: number;
}

/** What `/ready` reports. */
export interface Readiness {
  readonly ok: boolean;
  readonly reason?: string;
  /** The sweeper's state (`{ state: 'off' }` when `sweep-schedule` is false); present when the store answered. */
  readonly sweeper?: SweeperState;
}

/** The sweeper's state, as `/ready`'s details and the sweeper's log lines show it. */
export type SweeperState =
  | { readonly state: 'off' }
  | {
      readonly state: 'on';
      /** Orders and refunds waiting for a result (every instance's, on a shared store). */
      readonly pending: number;
      /** Age of the oldest of them, in whole seconds (0 when none). */
      readonly oldestUnresolvedSeconds: number;
      /** When this instance's last pass over the queue ended (ISO 8601), or null before the first. */
      readonly lastSweepAt: string | null;
      /** This instance's sweeps since it started, by outcome. */
      readonly sweeps: Readonly<Record<string, number>>;
      /** This instance's WeChat calls for sweeps since it started. */
      readonly calls: number;
    };

/** The sweeper's state from its stats. */
export function sweeperState(stats: SweepStats | undefined): SweeperState {
  if (stats === undefined) return { state: 'off' };
  return {
    state: 'on',
    pending: stats.pending,
    oldestUnresolvedSeconds: Math.floor(stats.oldestUnresolvedMs / 1000),
    lastSweepAt: stats.lastPassAt === undefined ? null : new Date(stats.lastPassAt).toISOString(),
    sweeps: { ...stats.outcomes },
    calls: stats.calls,
  };
}

/** The parts behind the HTTP server. */
export interface GatewayRuntime {
  readonly wxpay: WxPay;
  readonly store: ForwarderStore;
  readonly forwarder: Forwarder;
  readonly simulatorUrl: string | undefined;
  /** The embedded simulator's handle, when one runs (the demo shop pays through its control API). */
  readonly simulator: { readonly url: string; close(): Promise<void> } | undefined;
  ready(): Promise<Readiness>;
  close(): Promise<void>;
}

/** Inputs of {@link buildRuntime}. */
export interface BuildRuntimeInput {
  readonly config: GatewayConfig;
  readonly logger: PinoLogger;
  readonly forwarder: boolean;
  readonly simulator: SimulatorSetup | undefined;
  readonly wxpayOptions: (simulatorUrl: string | undefined) => GatewayWxPayOptions;
  /** The gateway's own base URL (for callbacks that point back at it). */
  readonly localBaseUrl: string;
  /** A simulator already running (default mode), used instead of starting one; closed with the runtime. */
  readonly attachSimulator?: { readonly url: string; close(): Promise<void> } | undefined;
  /** Run the daily reconciliation at the config's `reconcile-at`. Default true (the CLI's one-off runs pass false). */
  readonly reconcileSchedule?: boolean | undefined;
}

/** How long `/ready` waits for the store. */
const READY_TIMEOUT_MS = 2_000;

/** Opens the store named by the config: the embedded file log, or Redis. */
export async function openStore(config: GatewayConfig, logger: PinoLogger, options: { readOnly?: boolean } = {}): Promise<ForwarderStore> {
  const location = config.store.kind === 'file' ? `file:${config.store.path}` : config.store.url;
  const store = await openForwarderStore(location, { logger: logger.child({ component: 'store' }), readOnly: options.readOnly ?? false });
  watchRedis(store, logger);
  return store;
}

/**
 * Logs a Redis store's connection trouble: one line when the connection is lost, one when it is
 * back (the client retries on its own; `/ready` answers 503 meanwhile).
 */
function watchRedis(store: ForwarderStore, logger: PinoLogger): void {
  const redis = (store as { redis?: { on(event: string, listener: (arg?: unknown) => void): unknown } }).redis;
  if (!redis || typeof redis.on !== 'function') return;
  let down = false;
  redis.on('error', (error) => {
    if (down) return;
    down = true;
    logger.error({ component: 'store', err: { message: (error as Error)?.message } }, 'redis connection lost; retrying');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ component: 'store' }, 'redis connection back');
  });
}

/**
 * The forwarder's per-app options. Callback paths starting with `/` are the gateway's own routes
 * (the demo shop's receiver) and resolve against `localBaseUrl`. An app without `callback-secret`
 * signs with a secret derived from its merchant's key (the API v2 key; the APIv3 key for a v3
 * merchant without one): stable across restarts and shared by the
 * gateway and `wxpay-gateway notify`, though only apps given the secret can check it.
 */
export function forwarderApps(config: GatewayConfig, localBaseUrl: string): Record<string, ForwarderAppOptions> {
  const abs = (url: string | undefined) => (url?.startsWith('/') ? `${localBaseUrl}${url}` : url);
  // A current-version config whose apps check notifications themselves (verify-notify-pay): an
  // app without notify-pay-callback gets its payment results that way, so the forwarder keeps the
  // others in the outbox without calling that a mistake (the start-up note says where they go).
  const verifiesPay = config.apiShape !== undefined && appsCheckNotifications(config.apiShape.shape, config.endpoints);
  const out: Record<string, ForwarderAppOptions> = {};
  for (const app of config.apps) {
    const merchant = config.merchants.find((m) => m.name === app.merchant);
    const secret =
      app.callbackSecret ??
      createHmac('sha256', merchant?.apiKey ?? merchant?.v3?.apiV3Key ?? '')
        .update(`wxpay-gateway callback secret\n${app.name}`)
        .digest('base64url');
    const payCallback = abs(app.payCallback);
    const refundCallback = abs(app.refundCallback);
    const transferCallback = abs(app.transferCallback);
    out[app.name] = {
      secret,
      ...(payCallback === undefined ? {} : { payCallback }),
      ...(refundCallback === undefined ? {} : { refundCallback }),
      ...(transferCallback === undefined ? {} : { transferCallback }),
      ...(payCallback === undefined && verifiesPay ? { noCallbackNeeded: ['payCallback'] as const } : {}),
    };
  }
  return out;
}

/** Builds the store, the embedded simulator (when asked), the core instance and the forwarder. */
export async function buildRuntime(input: BuildRuntimeInput): Promise<GatewayRuntime> {
  const { config, logger } = input;
  const cleanup: Array<() => Promise<void>> = [];
  try {
    let simulator: GatewayRuntime['simulator'] = input.attachSimulator;
    if (simulator) {
      const attached = simulator;
      cleanup.push(() => attached.close());
    }
    const sandboxMerchants = simulatorMerchantsOf(config);
    if (!simulator && input.simulator) {
      const sim = await startSimulator({
        port: 0,
        merchants: sandboxMerchants,
        ...(input.simulator.timeFactor === undefined ? {} : { timeFactor: input.simulator.timeFactor }),
        logger: logger.child({ component: 'simulator' }),
      });
      simulator = sim;
      cleanup.push(() => sim.close());
    }
    const store = await openStore(config, logger);
    cleanup.push(() => store.close());

    // Sandbox merchants sign with the configured sandbox key, or one the core fetches with getsignkey.
    const options = input.wxpayOptions(simulator?.url);
    const wxpay = createWxPay({ ...options, store, logger: logger.child({ component: 'core' }) });
    cleanup.push(() => wxpay.close());
    const relay = forwarder({
      store,
      autoStart: input.forwarder,
      apps: forwarderApps(config, input.localBaseUrl),
      logger: logger.child({ component: 'forwarder' }),
    });
    wxpay.use(relay);
    logEvents(wxpay, logger);
    await wxpay.ready();
    const stopSweepLog = logSweeperState(wxpay, logger);
    cleanup.push(async () => stopSweepLog());
    const reconcileAt = config.reconcileAt === undefined ? DEFAULT_RECONCILE_AT : config.reconcileAt;
    if (reconcileAt !== false && input.reconcileSchedule !== false) {
      const stop = scheduleReconcile({ wxpay, store, logger, at: reconcileAt });
      cleanup.push(async () => stop());
    }

    let closed: Promise<void> | undefined;
    return {
      wxpay,
      store,
      forwarder: relay,
      simulator,
      simulatorUrl: simulator?.url,
      async ready() {
        // A store that does not answer (Redis reconnecting) must not hang the probe.
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
        });
        try {
          await Promise.race([store.stats(Date.now()), timeout]);
          const sweeper = wxpay.sweeper;
          const stats = sweeper === undefined ? undefined : await Promise.race([sweeper.stats(), timeout]);
          return { ok: true, sweeper: sweeperState(stats) };
        } catch (error) {
          return { ok: false, reason: `store unreachable: ${(error as Error).message}` };
        } finally {
          clearTimeout(timer);
        }
      },
      close() {
        closed ??= (async () => {
          // wxpay.close() runs the forwarder's teardown, which lets in-flight deliveries finish.
          for (const step of cleanup.reverse()) {
            try {
              await step();
            } catch (error) {
              logger.warn({ err: { message: (error as Error).message } }, 'error while shutting down');
            }
          }
        })();
        return closed;
      },
    };
  } catch (error) {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    throw error;
  }
}

/** The simulator merchants for the config's sandbox merchants that have no `api-base-url`. */
export function simulatorMerchantsOf(config: GatewayConfig): SimulatorMerchantOptions[] {
  const out = new Map<string, SimulatorMerchantOptions>();
  for (const [appName, variant] of merchantVariants(config)) {
    if (!variant.sandbox || variant.merchant.baseUrl !== undefined) continue;
    const app = config.apps.find((a) => a.name === appName);
    const previous = out.get(variant.merchant.mchId);
    let appIds = [...new Set([...(previous?.appIds ?? []), ...(app?.appIds ?? [])])];
    // An app without "app-ids" takes any appId, so the simulator must accept any too.
    if (appIds.includes(ANY_APP_ID)) appIds = [ANY_APP_ID];
    // A seed sandbox merchant's key is the sandbox key: the simulator checks /sandboxnew calls with it.
    const sandboxKey = variant.configuredSandboxKey ? variant.merchant.apiKey : previous?.sandboxKey;
    out.set(variant.merchant.mchId, {
      mchId: variant.merchant.mchId,
      // Sandbox merchants are API v2 ones, whose mch-app-key the config requires.
      apiKey: variant.merchant.apiKey ?? '',
      appIds,
      ...(sandboxKey === undefined ? {} : { sandboxKey }),
    });
  }
  return [...out.values()];
}

/** How often the sweeper's state is logged (only when its sweeps changed since the last line). */
export const SWEEP_LOG_MS = 60_000;

/**
 * Logs the sweeper's state (pending orders, the oldest unresolved age, sweeps by outcome) once a
 * minute, when this instance swept something since the last line. Returns the function that stops it.
 */
function logSweeperState(wxpay: WxPay, logger: PinoLogger): () => void {
  const sweeper = wxpay.sweeper;
  if (sweeper === undefined) return () => undefined;
  let last = '';
  const timer = setInterval(() => {
    sweeper.stats().then(
      (stats) => {
        const key = JSON.stringify(stats.outcomes);
        if (key === last) return;
        last = key;
        logger.info({ component: 'sweeper', ...sweeperState(stats) }, 'sweeper');
      },
      (error: unknown) => logger.warn({ component: 'sweeper', err: { message: (error as Error).message } }, 'sweeper state unavailable'),
    );
  }, SWEEP_LOG_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * One log line per result: paid (a paid order the sweeper found says so: its notification had not
 * arrived), closed, refunded, refund-failed, the transfer results, reconciliation mismatches,
 * errors, and dead letters (the forwarder logs each delivery itself).
 */
function logEvents(wxpay: WxPay, logger: PinoLogger): void {
  wxpay.on('paid', (e) => {
    logger.info(
      { event: 'paid', app: e.app, orderId: e.orderId, transactionId: e.transactionId, totalFee: e.totalFee, source: e.source },
      e.source === 'sweep' ? "paid (found by the sweeper: WeChat's notification had not arrived)" : 'paid',
    );
  });
  wxpay.on('closed', (e) => {
    logger.info(
      {
        event: 'closed',
        app: e.app,
        orderId: e.orderId,
        totalFee: e.totalFee,
        reason: e.reason,
        tradeState: e.tradeState,
        source: e.source,
      },
      e.reason === 'expired' ? 'order closed at WeChat: expired unpaid' : 'order found closed at WeChat',
    );
  });
  wxpay.on('refunded', (e) => {
    logger.info(
      { event: 'refunded', app: e.app, orderId: e.orderId, refundId: e.refundId, refundFee: e.refundFee, source: e.source },
      'refunded',
    );
  });
  wxpay.on('refund-failed', (e) => {
    logger.warn(
      { event: 'refund-failed', app: e.app, orderId: e.orderId, refundId: e.refundId, refundStatus: e.refundStatus },
      'refund failed',
    );
  });
  wxpay.on('transferred', (e) => {
    logger.info(
      {
        event: 'transferred',
        app: e.app,
        outBillNo: e.outBillNo,
        transferBillNo: e.transferBillNo,
        transferAmount: e.transferAmount,
        source: e.source,
      },
      'transferred',
    );
  });
  wxpay.on('transfer-failed', (e) => {
    logger.warn(
      {
        event: 'transfer-failed',
        app: e.app,
        outBillNo: e.outBillNo,
        transferBillNo: e.transferBillNo,
        failReason: e.failReason,
        source: e.source,
      },
      'transfer failed',
    );
  });
  wxpay.on('transfer-cancelled', (e) => {
    logger.info(
      { event: 'transfer-cancelled', app: e.app, outBillNo: e.outBillNo, transferBillNo: e.transferBillNo, source: e.source },
      'transfer cancelled',
    );
  });
  wxpay.on('reconcile-mismatch', (e) => {
    logger.warn(
      {
        event: 'reconcile-mismatch',
        kind: e.kind,
        date: e.date,
        merchant: e.merchant,
        orderId: e.orderId,
        transactionId: e.transactionId,
        ...(e.refundId === undefined ? {} : { refundId: e.refundId }),
        ...(e.fired === undefined ? {} : { fired: e.fired }),
        ours: e.ours,
        wechat: e.wechat,
      },
      'reconcile mismatch',
    );
  });
  wxpay.on('forward-dead', (e) => {
    logger.error(
      {
        event: 'forward-dead',
        id: e.id,
        app: e.app,
        result: e.event,
        attempts: e.attempts,
        lastStatus: e.lastStatus,
        lastError: e.lastError,
      },
      'callback dead-lettered',
    );
  });
  wxpay.on('error', (e) => {
    logger.warn(
      { event: 'error', route: e.route, app: e.app, code: e.error.code, message: e.error.message, hint: e.hint },
      'notification rejected',
    );
  });
}
