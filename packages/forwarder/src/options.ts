import type { Dispatcher } from 'undici';
import { ConfigError, type ConfigIssue, type Logger } from '@wxpay-kit/core';
import type { OutboxEventName, OutboxStore } from './outbox.js';

/** The app options naming where results go, one per kind. */
export const CALLBACK_FIELDS = ['payCallback', 'refundCallback', 'transferCallback'] as const;
export type CallbackField = (typeof CALLBACK_FIELDS)[number];

/** The app option naming where an event's results go. */
export function callbackField(event: OutboxEventName): CallbackField {
  return event === 'paid' ? 'payCallback' : event === 'refunded' || event === 'refund-failed' ? 'refundCallback' : 'transferCallback';
}

/** Where one app receives its results, and the secret its deliveries are signed with. */
export interface ForwarderAppOptions {
  /** URL that receives `paid` results (the seed's `notify-pay-callback`). */
  readonly payCallback?: string | undefined;
  /** URL that receives `refunded` and `refund-failed` results (the seed's `notify-refund-callback`). */
  readonly refundCallback?: string | undefined;
  /** URL that receives `transferred`, `transfer-failed` and `transfer-cancelled` results (the gateway's `notify-transfer-callback`). */
  readonly transferCallback?: string | undefined;
  /** Signing secret: `whsec_<base64>` (Standard Webhooks) or any string. Never logged. */
  readonly secret: string | Uint8Array;
  /** Deliveries in flight to this app at most. Default `perAppConcurrency`. */
  readonly concurrency?: number | undefined;
  /**
   * Callbacks this app lacks on purpose, because it learns those results another way (the
   * gateway's verify-notify endpoints). A result of such a kind waits in the outbox, logged once at
   * `info`. For any other missing callback the result waits too, but as a mistake in the
   * configuration: logged once per kind as an error and reported as an `error` event.
   */
  readonly noCallbackNeeded?: readonly CallbackField[] | undefined;
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
  /**
   * Default the host's logger; without a host (standalone), warnings and errors on stderr (see
   * `createStderrLogger` in `@wxpay-kit/core`). `false` silences it. Each delivery is logged at
   * `info` (`callback delivered`, with URL and status); a record's failed attempts at `warn` on
   * the first and every `warnEvery`-th (with URL and HTTP status), the others at `debug`.
   */
  readonly logger?: Logger | false;
  /** A record's failed deliveries are logged at `warn` on the first attempt and then every this many. Default 5. */
  readonly warnEvery?: number;
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

/** Throws a {@link ConfigError} listing every option that is wrong. */
export function validate(options: ForwarderOptions): void {
  const issues: ConfigIssue[] = [];
  const apps = options.apps as Record<string, ForwarderAppOptions> | undefined;
  if (typeof apps !== 'object' || apps === null) issues.push({ path: 'apps', message: 'must be an object of apps by name' });
  for (const [name, app] of Object.entries(apps ?? {})) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) issues.push({ path: `apps.${name}`, message: 'name may hold letters, digits, _, - and . only' });
    for (const field of CALLBACK_FIELDS) {
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
    const quiet = app.noCallbackNeeded as unknown;
    if (quiet !== undefined && !(Array.isArray(quiet) && quiet.every((f) => (CALLBACK_FIELDS as readonly unknown[]).includes(f)))) {
      issues.push({ path: `apps.${name}.noCallbackNeeded`, message: `must be a list of ${CALLBACK_FIELDS.join(', ')}` });
    }
    const secret = app.secret as unknown;
    if (!(typeof secret === 'string' && secret.length > 0) && !(secret instanceof Uint8Array && secret.length > 0)) {
      issues.push({ path: `apps.${name}.secret`, message: 'is required (a whsec_… string or bytes)' });
    }
  }
  if (typeof options.store?.append !== 'function')
    issues.push({ path: 'store', message: 'must be an outbox store (createFileStore or createRedisStore)' });
  for (const key of [
    'timeoutMs',
    'baseDelayMs',
    'maxDelayMs',
    'horizonMs',
    'concurrency',
    'perAppConcurrency',
    'leaseMs',
    'pollIntervalMs',
    'warnEvery',
  ] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) issues.push({ path: key, message: 'must be a positive number' });
  }
  if (issues.length > 0) throw new ConfigError(issues, { prefix: '@wxpay-kit/forwarder: invalid options' });
}
