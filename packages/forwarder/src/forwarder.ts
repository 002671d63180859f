import { Agent, request, type Dispatcher } from 'undici';
import { ConfigError, silentLogger, type ConfigIssue, type EmitAndWait, type Logger, type PaidEvent, type PluginHost, type RefundedEvent, type RefundFailedEvent, type WxPayPlugin } from '@wxpay-kit/core';
import type { OutboxEventName, OutboxRecord, OutboxStats, OutboxStore, ListOptions } from './outbox.js';
import { payCallbackBody, refundCallbackBody } from './payload.js';
import { signWebhook, webhookIdFor } from './standard-webhooks.js';

/** Where one app receives its results, and the secret its deliveries are signed with. */
export interface ForwarderAppOptions {
  /** URL that receives `paid` results (the seed's `notify-pay-callback`). */
  readonly payCallback?: string | undefined;
  /** URL that receives `refunded` and `refund-failed` results (the seed's `notify-refund-callback`). */
  readonly refundCallback?: string | undefined;
  /** Signing secret: `whsec_<base64>` (Standard Webhooks) or any string. Never logged. */
  readonly secret: string | Uint8Array;
  /** Deliveries in flight to this app at most. Default `perAppConcurrency`. */
  readonly concurrency?: number | undefined;
}

/** Time source of the delivery engine; inject one to run the retry schedule on a compressed clock. */
export interface ForwarderClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link forwarder}. */
export interface ForwarderOptions {
  /** Apps by name (the `<app>` of the notify URLs). */
  readonly apps: Readonly<Record<string, ForwarderAppOptions>>;
  /** The outbox: `createFileStore(…)` or `createRedisStore(…)`. */
  readonly store: OutboxStore;
  /** Per-attempt timeout in ms. Default 10,000. */
  readonly timeoutMs?: number;
  /** First retry delay ceiling in ms; doubles per attempt, full jitter. Default 5,000. */
  readonly baseDelayMs?: number;
  /** Largest retry delay in ms. Default 1 hour. */
  readonly maxDelayMs?: number;
  /** How long a result is retried before it becomes a dead letter, in ms. Default 24 hours. */
  readonly horizonMs?: number;
  /** Deliveries in flight at most, over all apps. Default 32. */
  readonly concurrency?: number;
  /** Deliveries in flight per app at most. Default 8. */
  readonly perAppConcurrency?: number;
  /** A delivery not finished within this is handed out again (the worker died). Default 60,000. */
  readonly leaseMs?: number;
  /** How often the outbox is checked for due work (retries, other instances' results), in ms. Default 1,000. */
  readonly pollIntervalMs?: number;
  /** Start delivering as soon as the plugin is set up. Default true. Without a host, call `start()`. */
  readonly autoStart?: boolean;
  readonly clock?: ForwarderClock;
  /** Uniform random in [0, 1), for the jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** undici dispatcher for the deliveries. Default a private `Agent`, closed by `stop()`. */
  readonly dispatcher?: Dispatcher;
  /** Default the host's logger, else silent. */
  readonly logger?: Logger;
}

/** Payload of the `forward-delivered` event. Times are epoch ms. */
export interface ForwardDeliveredEvent {
  /** The `webhook-id`. */
  readonly id: string;
  readonly app: string;
  readonly event: OutboxEventName;
  /** Attempts it took, this one included. */
  readonly attempts: number;
  /** The app's HTTP status (2xx). */
  readonly status: number;
  readonly deliveredAt: number;
}

/** Payload of the `forward-dead` event: a result gave up on after the horizon. Times are epoch ms. */
export interface ForwardDeadEvent {
  readonly id: string;
  readonly app: string;
  readonly event: OutboxEventName;
  readonly attempts: number;
  readonly lastStatus: number | undefined;
  readonly lastError: string;
  readonly deadAt: number;
}

declare module '@wxpay-kit/core' {
  interface WxPayEventMap {
    /** A result reached its app (fire-and-forget). */
    'forward-delivered': [event: ForwardDeliveredEvent];
    /** A result was dead-lettered after the horizon (fire-and-forget); `replay` sends it again. */
    'forward-dead': [event: ForwardDeadEvent];
  }
}

/** The forwarder: a plugin for `wxpay.use(…)`, plus the operations on its outbox. */
export interface Forwarder extends WxPayPlugin {
  /** Stores one result durably; resolves once it is safe to acknowledge WeChat. */
  enqueue(event: 'paid', payload: PaidEvent): Promise<void>;
  enqueue(event: 'refunded' | 'refund-failed', payload: RefundedEvent | RefundFailedEvent): Promise<void>;
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

function validate(options: ForwarderOptions): void {
  const issues: ConfigIssue[] = [];
  const apps = options.apps as Record<string, ForwarderAppOptions> | undefined;
  if (typeof apps !== 'object' || apps === null) issues.push({ path: 'apps', message: 'must be an object of apps by name' });
  for (const [name, app] of Object.entries(apps ?? {})) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) issues.push({ path: `apps.${name}`, message: 'name may hold letters, digits, _, - and . only' });
    for (const field of ['payCallback', 'refundCallback'] as const) {
      const url = app[field];
      if (url === undefined) continue;
      let ok = false;
      try {
        const parsed = new URL(url);
        ok = parsed.protocol === 'http:' || parsed.protocol === 'https:';
      } catch {
        ok = false;
      }
      if (!ok) issues.push({ path: `apps.${name}.${field}`, message: 'must be an http(s) URL' });
    }
    const secret = app.secret as unknown;
    if (!(typeof secret === 'string' && secret.length > 0) && !(secret instanceof Uint8Array && secret.length > 0)) {
      issues.push({ path: `apps.${name}.secret`, message: 'is required (a whsec_… string or bytes)' });
    }
  }
  if (typeof options.store?.append !== 'function') issues.push({ path: 'store', message: 'must be an outbox store (createFileStore or createRedisStore)' });
  for (const key of ['timeoutMs', 'baseDelayMs', 'maxDelayMs', 'horizonMs', 'concurrency', 'perAppConcurrency', 'leaseMs', 'pollIntervalMs'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) issues.push({ path: key, message: 'must be a positive number' });
  }
  if (issues.length > 0) throw new ConfigError(issues, { prefix: '@wxpay-kit/forwarder: invalid options' });
}

function describe(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timeout';
  return (e?.code ?? e?.name ?? 'error') + (e?.message ? `: ${e.message.slice(0, 200)}` : '');
}

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
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const baseDelayMs = options.baseDelayMs ?? 5_000;
  const maxDelayMs = options.maxDelayMs ?? 3_600_000;
  const horizonMs = options.horizonMs ?? 86_400_000;
  const concurrency = options.concurrency ?? 32;
  const perApp = options.perAppConcurrency ?? 8;
  const leaseMs = options.leaseMs ?? Math.max(60_000, timeoutMs * 3);
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const apps = new Map(Object.entries(options.apps));

  let logger = options.logger ?? silentLogger;
  let emit: EmitAndWait | undefined;
  let running = false;
  let timer: unknown;
  let timerAt = Infinity;
  let pumping: Promise<void> | undefined;
  let again = false;
  let total = 0;
  const inFlight = new Map<string, number>();
  const attempts = new Set<Promise<void>>();
  const warned = new Set<string>();
  const wakeups = new Set<number>();
  const agents = new Map<string, Agent>();

  /** One connection pool per app, so an app that hangs cannot take the sockets of another on the same host. */
  function dispatcher(app: string): Dispatcher {
    if (options.dispatcher) return options.dispatcher;
    let agent = agents.get(app);
    if (!agent) {
      agent = new Agent({ connections: apps.get(app)?.concurrency ?? perApp, keepAliveTimeout: 4_000 });
      agents.set(app, agent);
    }
    return agent;
  }

  function fire(event: 'forward-delivered' | 'forward-dead' | 'error', payload: unknown): void {
    if (!emit) return;
    (emit as (e: string, p: unknown) => Promise<void>)(event, payload).catch((error: unknown) =>
      logger.warn({ event, error }, '@wxpay-kit/forwarder: a listener failed'),
    );
  }

  function urlFor(app: ForwarderAppOptions | undefined, event: OutboxEventName): string | undefined {
    if (!app) return undefined;
    return event === 'paid' ? app.payCallback : app.refundCallback;
  }

  function reportUnroutable(app: string, event: OutboxEventName): void {
    const field = event === 'paid' ? 'payCallback' : 'refundCallback';
    const known = apps.has(app);
    const error = new ConfigError(
      [{ path: known ? `apps.${app}.${field}` : `apps.${app}`, message: known ? 'is not configured; results wait in the outbox' : 'is not configured; its results wait in the outbox' }],
      { prefix: '@wxpay-kit/forwarder: a result has nowhere to go' },
    );
    const key = `${app}\u0000${field}`;
    if (!warned.has(key)) {
      warned.add(key);
      logger.error({ app, event }, error.message);
    }
    fire('error', { error, app });
  }

  /** Arms the one timer for the earliest of: a known retry time, the next poll. */
  function arm(): void {
    if (!running) return;
    const now = clock.now();
    let at = now + pollIntervalMs;
    for (const w of wakeups) {
      if (w <= now) wakeups.delete(w);
      else if (w < at) at = w;
    }
    if (timer !== undefined) {
      if (timerAt === at) return;
      clock.clearTimeout(timer);
    }
    timerAt = at;
    timer = clock.setTimeout(() => {
      timer = undefined;
      timerAt = Infinity;
      void pump();
    }, at - now);
  }

  function schedule(at: number): void {
    wakeups.add(at);
    arm();
  }

  async function deliver(r: OutboxRecord, url: string): Promise<void> {
    const secret = apps.get(r.app)!.secret;
    const started = clock.now();
    const headers = signWebhook({ id: r.id, timestamp: Math.floor(started / 1000), body: r.body, secret });
    let status: number | undefined;
    let failure: string | undefined;
    try {
      const res = await request(url, {
        method: 'POST',
        body: r.body,
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': '@wxpay-kit/forwarder' },
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher: dispatcher(r.app),
      });
      status = res.statusCode;
      await res.body.dump().catch(() => undefined);
      if (status < 200 || status >= 300) failure = `HTTP ${status}`;
    } catch (error) {
      failure = describe(error);
    }
    const at = clock.now();
    const n = r.attempts + 1;
    if (failure === undefined && status !== undefined) {
      await store.ack(r.id, { at, status });
      fire('forward-delivered', { id: r.id, app: r.app, event: r.event, attempts: n, status, deliveredAt: at } satisfies ForwardDeliveredEvent);
      return;
    }
    const error = failure ?? 'error';
    const deadline = r.since + horizonMs;
    if (at >= deadline) {
      await store.dead(r.id, { at, status, error });
      logger.warn({ id: r.id, app: r.app, attempts: n, status, error }, '@wxpay-kit/forwarder: result dead-lettered after the horizon');
      fire('forward-dead', { id: r.id, app: r.app, event: r.event, attempts: n, lastStatus: status, lastError: error, deadAt: at } satisfies ForwardDeadEvent);
      return;
    }
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(n - 1, 40));
    const next = Math.min(at + Math.floor(random() * ceiling), deadline);
    await store.retry(r.id, { at, status, error, nextAttemptAt: next });
    logger.debug({ id: r.id, app: r.app, attempts: n, status, error, nextAttemptAt: next }, '@wxpay-kit/forwarder: attempt failed');
    schedule(next);
  }

  function start(r: OutboxRecord, url: string): Promise<void> {
    total++;
    inFlight.set(r.app, (inFlight.get(r.app) ?? 0) + 1);
    const task = deliver(r, url)
      .catch((error: unknown) => logger.error({ id: r.id, app: r.app, error }, '@wxpay-kit/forwarder: delivery bookkeeping failed'))
      .finally(() => {
        total--;
        inFlight.set(r.app, (inFlight.get(r.app) ?? 1) - 1);
        attempts.delete(task);
        if (running) void pump();
      });
    attempts.add(task);
    return task;
  }

  async function round(): Promise<Promise<void>[]> {
    const started: Promise<void>[] = [];
    const now = clock.now();
    for (const [name, app] of apps) {
      const limit = Math.min((app.concurrency ?? perApp) - (inFlight.get(name) ?? 0), concurrency - total);
      if (limit <= 0) continue;
      let leased: OutboxRecord[];
      try {
        leased = await store.lease({ app: name, limit, now, leaseMs });
      } catch (error) {
        logger.error({ app: name, error }, '@wxpay-kit/forwarder: reading the outbox failed');
        continue;
      }
      for (const r of leased) {
        const url = urlFor(app, r.event);
        if (url !== undefined) {
          started.push(start(r, url));
          continue;
        }
        // Nowhere to send it: it waits (never dead-lettered) and is looked at again after a lease.
        reportUnroutable(r.app, r.event);
        const next = now + leaseMs;
        try {
          await store.retry(r.id, { at: now, error: `no ${r.event === 'paid' ? 'payCallback' : 'refundCallback'} configured`, nextAttemptAt: next });
          schedule(next);
        } catch (error) {
          logger.error({ id: r.id, app: name, error }, '@wxpay-kit/forwarder: writing to the outbox failed');
        }
      }
    }
    return started;
  }

  async function pump(): Promise<void> {
    if (pumping) {
      again = true;
      return pumping;
    }
    let started: Promise<void>[] = [];
    pumping = (async () => {
      do {
        again = false;
        try {
          started = started.concat(await round());
        } catch (error) {
          logger.error({ error }, '@wxpay-kit/forwarder: a delivery round failed');
        }
      } while (again);
    })().finally(() => {
      pumping = undefined;
      arm();
    });
    await pumping;
    await Promise.all(started);
  }

  async function enqueue(event: OutboxEventName, payload: PaidEvent | RefundedEvent | RefundFailedEvent): Promise<void> {
    let id: string;
    let body: string;
    if (event === 'paid') {
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
    else if (running) void pump();
  }

  const self: Forwarder = {
    name: '@wxpay-kit/forwarder',
    setup(host: PluginHost) {
      logger = options.logger ?? host.logger;
      emit = host.emit;
      host.on('paid', (e) => enqueue('paid', e));
      host.on('refunded', (e) => enqueue('refunded', e));
      host.on('refund-failed', (e) => enqueue('refund-failed', e));
      host.onClose(() => self.stop());
      if (options.autoStart ?? true) self.start();
    },
    enqueue: enqueue as Forwarder['enqueue'],
    start() {
      if (running) return;
      running = true;
      void pump();
    },
    async stop() {
      running = false;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
      wakeups.clear();
      if (pumping) await pumping.catch(() => undefined);
      await self.idle();
      const pools = [...agents.values()];
      agents.clear();
      await Promise.all(pools.map((a) => a.close()));
    },
    pump,
    async idle() {
      while (attempts.size > 0) await Promise.allSettled([...attempts]);
    },
    stats: () => store.stats(clock.now()),
    async replay(id) {
      const ok = await store.replay(id, clock.now());
      if (ok && running) void pump();
      return ok;
    },
    async replayDead() {
      const n = await store.replayDead(clock.now());
      if (n > 0 && running) void pump();
      return n;
    },
    list: (o) => store.list(o),
  };
  return self;
}
