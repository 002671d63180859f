import {
  ConfigError,
  loggerOrDefault,
  type EmitAndWait,
  type PaidEvent,
  type PluginHost,
  type RefundedEvent,
  type RefundFailedEvent,
  type TransferEvent,
  type WxPayPlugin,
} from '@wxpay-kit/core';
import { createDelivery } from './delivery.js';
import { callbackField, validate, type ForwarderAppOptions, type ForwarderClock, type ForwarderOptions } from './options.js';
import type { OutboxEventName, OutboxRecord, OutboxStats, ListOptions } from './outbox.js';
import { payCallbackBody, refundCallbackBody, transferCallbackBody } from './payload.js';
import { createScheduler } from './scheduler.js';
import { webhookIdFor } from './standard-webhooks.js';

export type { ForwardDeadEvent, ForwardDeliveredEvent, ForwarderAppOptions, ForwarderClock, ForwarderOptions } from './options.js';

/** The forwarder: a plugin for `wxpay.use(…)`, plus the operations on its outbox. */
export interface Forwarder extends WxPayPlugin {
  /** Stores one result durably; resolves once it is safe to acknowledge WeChat. */
  enqueue(event: 'paid', payload: PaidEvent): Promise<void>;
  enqueue(event: 'refunded' | 'refund-failed', payload: RefundedEvent | RefundFailedEvent): Promise<void>;
  enqueue(event: 'transferred' | 'transfer-failed' | 'transfer-cancelled', payload: TransferEvent): Promise<void>;
  /** Starts delivering (resumes every pending record). */
  start(): void;
  /** Stops delivering and waits for attempts in flight. Records stay in the outbox. */
  stop(): Promise<void>;
  /** Runs one round of leasing due records now. Resolves when the attempts it started settled. */
  pump(): Promise<void>;
  /** Resolves when no attempt is in flight. */
  idle(): Promise<void>;
  stats(): Promise<OutboxStats>;
  /** Sends a delivered or dead record again, under the same `webhook-id`. */
  replay(id: string): Promise<boolean>;
  /** Sends every dead letter again; resolves how many. */
  replayDead(): Promise<number>;
  list(options?: ListOptions): Promise<OutboxRecord[]>;
}

const realClock: ForwarderClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The forwarder plugin: every `paid`, `refunded` and `refund-failed` result is written to the
 * outbox before WeChat is answered (a failed write answers FAIL, so WeChat sends it again), then
 * POSTed to its app's callback URL as the go-wxpay-gateway JSON, signed with Standard Webhooks
 * headers, at least once: retried on timeouts, refusals and non-2xx answers with exponential
 * backoff and full jitter until the horizon, then dead-lettered (`forward-dead`) for replay.
 * Concurrency is bounded overall and per app, so a slow or dead app does not hold up the others.
 *
 * @example
 * const store = await createFileStore({ dir: './var/wxpay' });
 * const wxpay = createWxPay({ ...options, store });
 * wxpay.use(forwarder({
 *   store,
 *   apps: { shop: { payCallback: 'http://shop.internal/wxpay/paid', refundCallback: 'http://shop.internal/wxpay/refunded', secret: process.env.SHOP_WEBHOOK_SECRET! } },
 * }));
 */
export function forwarder(options: ForwarderOptions): Forwarder {
  validate(options);
  const store = options.store;
  const clock = options.clock ?? realClock;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const perApp = options.perAppConcurrency ?? 8;
  const leaseMs = options.leaseMs ?? Math.max(60_000, timeoutMs * 3);
  const apps = new Map(Object.entries(options.apps));

  let logger = loggerOrDefault(options.logger);
  let emit: EmitAndWait | undefined;
  const warned = new Set<string>();

  function fire(event: 'forward-delivered' | 'forward-dead' | 'error', payload: unknown): void {
    if (!emit) return;
    (emit as (e: string, p: unknown) => Promise<void>)(event, payload).catch((error: unknown) =>
      logger.warn({ event, error }, '@wxpay-kit/forwarder: a listener failed'),
    );
  }

  function urlFor(app: ForwarderAppOptions | undefined, event: OutboxEventName): string | undefined {
    if (!app) return undefined;
    return app[callbackField(event)];
  }

  function reportUnroutable(app: string, event: OutboxEventName): void {
    const field = callbackField(event);
    const key = `${app}\u0000${field}`;
    if (apps.get(app)?.noCallbackNeeded?.includes(field)) {
      if (!warned.has(key)) {
        warned.add(key);
        logger.info({ app, event }, `@wxpay-kit/forwarder: app ${app} has no ${field}; its results wait in the outbox until one is set`);
      }
      return;
    }
    const known = apps.has(app);
    const error = new ConfigError(
      [
        {
          path: known ? `apps.${app}.${field}` : `apps.${app}`,
          message: known ? 'is not configured; results wait in the outbox' : 'is not configured; its results wait in the outbox',
        },
      ],
      { prefix: '@wxpay-kit/forwarder: a result has nowhere to go' },
    );
    if (!warned.has(key)) {
      warned.add(key);
      logger.error({ app, event }, error.message);
    }
    fire('error', { error, app });
  }

  const delivery = createDelivery({
    store,
    apps,
    clock,
    random: options.random ?? Math.random,
    timeoutMs,
    policy: {
      baseDelayMs: options.baseDelayMs ?? 5_000,
      maxDelayMs: options.maxDelayMs ?? 3_600_000,
      horizonMs: options.horizonMs ?? 86_400_000,
    },
    perAppConcurrency: perApp,
    dispatcher: options.dispatcher,
    logger: () => logger,
    warnEvery: options.warnEvery ?? 5,
    fire,
    schedule: (at) => scheduler.schedule(at),
  });
  const scheduler = createScheduler({
    store,
    apps,
    clock,
    concurrency: options.concurrency ?? 32,
    perAppConcurrency: perApp,
    leaseMs,
    pollIntervalMs: options.pollIntervalMs ?? 1_000,
    logger: () => logger,
    urlFor,
    reportUnroutable,
    deliver: delivery.deliver,
  });

  async function enqueue(event: OutboxEventName, payload: PaidEvent | RefundedEvent | RefundFailedEvent | TransferEvent): Promise<void> {
    let id: string;
    let body: string;
    if (event === 'transferred' || event === 'transfer-failed' || event === 'transfer-cancelled') {
      const e = payload as TransferEvent;
      id = webhookIdFor([event, e.mchId, e.transferBillNo]);
      body = JSON.stringify(transferCallbackBody(e));
    } else if (event === 'paid') {
      const e = payload as PaidEvent;
      id = webhookIdFor(['paid', e.mchId, e.transactionId]);
      body = JSON.stringify(payCallbackBody(e));
    } else {
      const e = payload as RefundedEvent | RefundFailedEvent;
      id = webhookIdFor([event, e.mchId, e.wxRefundId || e.refundId]);
      body = JSON.stringify(refundCallbackBody(e));
    }
    await store.append({ id, app: payload.app, event, body, createdAt: clock.now() });
    if (urlFor(apps.get(payload.app), event) === undefined) reportUnroutable(payload.app, event);
    else if (scheduler.running) void scheduler.pump();
  }

  const self: Forwarder = {
    name: '@wxpay-kit/forwarder',
    setup(host: PluginHost) {
      logger = options.logger === undefined ? host.logger : loggerOrDefault(options.logger);
      emit = host.emit;
      host.on('paid', (e) => enqueue('paid', e));
      host.on('refunded', (e) => enqueue('refunded', e));
      host.on('refund-failed', (e) => enqueue('refund-failed', e));
      host.on('transferred', (e) => enqueue('transferred', e));
      host.on('transfer-failed', (e) => enqueue('transfer-failed', e));
      host.on('transfer-cancelled', (e) => enqueue('transfer-cancelled', e));
      host.onClose(() => self.stop());
      if (options.autoStart ?? true) self.start();
    },
    enqueue: enqueue as Forwarder['enqueue'],
    start: () => scheduler.start(),
    async stop() {
      await scheduler.stop();
      await scheduler.idle();
      await delivery.close();
    },
    pump: () => scheduler.pump(),
    idle: () => scheduler.idle(),
    stats: () => store.stats(clock.now()),
    async replay(id) {
      const ok = await store.replay(id, clock.now());
      if (ok && scheduler.running) void scheduler.pump();
      return ok;
    },
    async replayDead() {
      const n = await store.replayDead(clock.now());
      if (n > 0 && scheduler.running) void scheduler.pump();
      return n;
    },
    list: (o) => store.list(o),
  };
  return self;
}
