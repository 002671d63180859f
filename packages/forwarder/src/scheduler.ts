import type { Logger } from '@wxpay-kit/core';
import type { ForwarderAppOptions, ForwarderClock } from './options.js';
import type { OutboxEventName, OutboxRecord, OutboxStore } from './outbox.js';
import { callbackField } from './options.js';

/** What the scheduler needs; `logger` is read at each use (the host sets it up later). */
export interface SchedulerDeps {
  readonly store: OutboxStore;
  readonly apps: ReadonlyMap<string, ForwarderAppOptions>;
  readonly clock: ForwarderClock;
  /** Deliveries in flight at most, over all apps. */
  readonly concurrency: number;
  /** Deliveries in flight per app at most, where the app sets none. */
  readonly perAppConcurrency: number;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly logger: () => Logger;
  /** Where an app receives results of this kind; undefined when nowhere. */
  readonly urlFor: (app: ForwarderAppOptions | undefined, event: OutboxEventName) => string | undefined;
  /** Says, once per app and kind, that results have nowhere to go. */
  readonly reportUnroutable: (app: string, event: OutboxEventName) => void;
  /** Makes one attempt and records its outcome. */
  readonly deliver: (r: OutboxRecord, url: string) => Promise<void>;
}

/** Decides when to lease due records from the outbox and how many attempts run at once. */
export interface Scheduler {
  readonly running: boolean;
  start(): void;
  /** Stops the timer and waits for the round under way; attempts in flight go on (see {@link idle}). */
  stop(): Promise<void>;
  /** Runs one round of leasing due records now. Resolves when the attempts it started settled. */
  pump(): Promise<void>;
  /** Looks at the outbox again at `at` (a retry's due time) instead of only at the next poll. */
  schedule(at: number): void;
  /** Resolves when no attempt is in flight. */
  idle(): Promise<void>;
}

/**
 * The delivery scheduler: one timer armed for the earliest known retry or the next poll; each
 * round leases, per app, as many due records as its and the overall concurrency allow, and starts
 * an attempt for each. A finished attempt starts another round, so a backlog drains at the
 * concurrency limit. Rounds do not overlap: a round asked for while one runs runs after it.
 */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { store, apps, clock, concurrency, leaseMs, pollIntervalMs } = deps;
  const perApp = deps.perAppConcurrency;
  let running = false;
  let timer: unknown;
  let timerAt = Infinity;
  let pumping: Promise<void> | undefined;
  let again = false;
  let total = 0;
  const inFlight = new Map<string, number>();
  const attempts = new Set<Promise<void>>();
  const wakeups = new Set<number>();

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

  function begin(r: OutboxRecord, url: string): Promise<void> {
    total++;
    inFlight.set(r.app, (inFlight.get(r.app) ?? 0) + 1);
    const task = deps
      .deliver(r, url)
      .catch((error: unknown) => deps.logger().error({ id: r.id, app: r.app, error }, '@wxpay-kit/forwarder: delivery bookkeeping failed'))
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
        deps.logger().error({ app: name, error }, '@wxpay-kit/forwarder: reading the outbox failed');
        continue;
      }
      for (const r of leased) {
        const url = deps.urlFor(app, r.event);
        if (url !== undefined) {
          started.push(begin(r, url));
          continue;
        }
        // Nowhere to send it: it waits (never dead-lettered) and is looked at again after a lease.
        deps.reportUnroutable(r.app, r.event);
        const next = now + leaseMs;
        try {
          await store.retry(r.id, {
            at: now,
            error: `no ${callbackField(r.event)} configured`,
            nextAttemptAt: next,
          });
          schedule(next);
        } catch (error) {
          deps.logger().error({ id: r.id, app: name, error }, '@wxpay-kit/forwarder: writing to the outbox failed');
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
          deps.logger().error({ error }, '@wxpay-kit/forwarder: a delivery round failed');
        }
      } while (again);
    })().finally(() => {
      pumping = undefined;
      arm();
    });
    await pumping;
    await Promise.all(started);
  }

  return {
    get running() {
      return running;
    },
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
    },
    pump,
    schedule,
    async idle() {
      while (attempts.size > 0) await Promise.allSettled([...attempts]);
    },
  };
}
