import { Agent, request, type Dispatcher } from 'undici';
import type { Logger } from '@wxpay-kit/core';
import { pastHorizon, retryAt, type BackoffPolicy } from './backoff.js';
import type { ForwardDeadEvent, ForwardDeliveredEvent, ForwarderAppOptions, ForwarderClock } from './options.js';
import type { OutboxRecord, OutboxStore } from './outbox.js';
import { signWebhook } from './standard-webhooks.js';

/** What a delivery needs; `logger` and `fire` are read at each use (the host sets them up later). */
export interface DeliveryDeps {
  readonly store: OutboxStore;
  readonly apps: ReadonlyMap<string, ForwarderAppOptions>;
  readonly clock: ForwarderClock;
  readonly random: () => number;
  readonly timeoutMs: number;
  readonly policy: BackoffPolicy;
  /** Deliveries in flight per app at most, where the app sets none: the size of its connection pool. */
  readonly perAppConcurrency: number;
  /** The caller's dispatcher for every app; default one private pool per app. */
  readonly dispatcher: Dispatcher | undefined;
  readonly logger: () => Logger;
  /** A record's failed attempts are logged at `warn` on the first and then on every this many-th; the others at `debug`. */
  readonly warnEvery: number;
  /** Emits a forwarder event to the host's listeners, fire-and-forget. */
  readonly fire: (event: 'forward-delivered' | 'forward-dead', payload: ForwardDeliveredEvent | ForwardDeadEvent) => void;
  /** Asks the scheduler to look at the outbox again at `at` (a retry comes due). */
  readonly schedule: (at: number) => void;
}

/** Sends records to their apps and writes each attempt's outcome to the outbox. */
export interface Delivery {
  /** POSTs one leased record, signed, to `url`, then acks it, schedules a retry, or dead-letters it. */
  deliver(r: OutboxRecord, url: string): Promise<void>;
  /** Closes the private connection pools. */
  close(): Promise<void>;
}

export function createDelivery(deps: DeliveryDeps): Delivery {
  const { store, apps, clock, timeoutMs, policy } = deps;
  const agents = new Map<string, Agent>();

  /** One connection pool per app, so an app that hangs cannot take the sockets of another on the same host. */
  function dispatcher(app: string): Dispatcher {
    if (deps.dispatcher) return deps.dispatcher;
    let agent = agents.get(app);
    if (!agent) {
      agent = new Agent({ connections: apps.get(app)?.concurrency ?? deps.perAppConcurrency, keepAliveTimeout: 4_000 });
      agents.set(app, agent);
    }
    return agent;
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
      failure = describeFailure(error);
    }
    const at = clock.now();
    const n = r.attempts + 1;
    if (failure === undefined && status !== undefined) {
      await store.ack(r.id, { at, status });
      deps.logger().info({ id: r.id, app: r.app, event: r.event, url: safeUrl(url), status, attempts: n }, 'callback delivered');
      deps.fire('forward-delivered', { id: r.id, app: r.app, event: r.event, attempts: n, status, deliveredAt: at });
      return;
    }
    const error = failure ?? 'error';
    if (pastHorizon(policy, r.since, at)) {
      await store.dead(r.id, { at, status, error });
      deps
        .logger()
        .warn({ id: r.id, app: r.app, attempts: n, status, error }, '@wxpay-kit/forwarder: result dead-lettered after the horizon');
      deps.fire('forward-dead', { id: r.id, app: r.app, event: r.event, attempts: n, lastStatus: status, lastError: error, deadAt: at });
      return;
    }
    const next = retryAt(policy, n, r.since, at, deps.random());
    await store.retry(r.id, { at, status, error, nextAttemptAt: next });
    const fields = {
      id: r.id,
      app: r.app,
      event: r.event,
      url: safeUrl(url),
      status,
      error,
      attempts: n,
      nextAttemptAt: new Date(next).toISOString(),
    };
    if (n === 1 || n % deps.warnEvery === 0) {
      deps
        .logger()
        .warn(
          fields,
          `@wxpay-kit/forwarder: callback delivery to ${safeUrl(url)} failed (${status === undefined ? error : `HTTP ${status}`}), attempt ${n}; ` +
            `retrying until it is ${Math.round(policy.horizonMs / 3_600_000)} h old (warned on the first and every ${deps.warnEvery}th failure)`,
        );
    } else {
      deps.logger().debug(fields, '@wxpay-kit/forwarder: attempt failed');
    }
    deps.schedule(next);
  }

  return {
    deliver,
    async close() {
      const pools = [...agents.values()];
      agents.clear();
      await Promise.all(pools.map((a) => a.close()));
    },
  };
}

/** A callback URL as logged: without credentials or query string (they may carry tokens). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '[invalid url]';
  }
}

/** One line on why an attempt failed: `timeout`, or the error's code or name and message. */
export function describeFailure(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timeout';
  return (e?.code ?? e?.name ?? 'error') + (e?.message ? `: ${e.message.slice(0, 200)}` : '');
}
