import { EventEmitter } from 'node:events';
import type { Logger } from '@wxpay-kit/core';
import { parseXml } from '@wxpay-kit/core/protocol';
import { Agent, request } from 'undici';
import type { SimulatorClock, TimerHandle } from './clock.js';
import { SimulatorError } from './errors.js';
import type { SimEnvironment, SimForgery, SimNotification, SimNotificationAttempt, SimNotificationFilter } from './types.js';

/**
 * WeChat's retry intervals after a failed notification, in seconds (spec §7.3): 15s, 15s, 30s,
 * 3m, 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h. With the first delivery that makes 16
 * attempts over 24h4m.
 */
export const NOTIFY_RETRY_INTERVALS_S: readonly number[] = Object.freeze([
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
]);

/** Offsets of every attempt from the first one, in seconds: 0, 15, 30, 60, 240, … 86640. */
export const NOTIFY_SCHEDULE_S: readonly number[] = Object.freeze(
  NOTIFY_RETRY_INTERVALS_S.reduce<number[]>((acc, s) => [...acc, acc[acc.length - 1]! + s], [0]),
);

/** What a notification is about and where it goes. */
export interface NotificationInput {
  readonly kind: 'pay' | 'refund';
  readonly environment: SimEnvironment;
  readonly mchId: string;
  readonly outTradeNo: string;
  readonly outRefundNo?: string | undefined;
  readonly url: string;
  readonly body: string;
  /** `json` for v3 notifications: acknowledged by any 2xx status. Default `xml`. */
  readonly format?: 'xml' | 'json';
  /** Extra headers, made afresh for each attempt (v3 signs every attempt with the current time). */
  readonly headers?: () => Record<string, string>;
  /** Make one attempt only (forged notifications). */
  readonly once?: boolean;
  readonly forgery?: SimForgery;
}

interface NotificationRecord {
  readonly id: string;
  readonly input: NotificationInput;
  readonly createdAt: number;
  status: SimNotification['status'];
  nextAttemptAt: number | undefined;
  attempts: SimNotificationAttempt[];
  timer: TimerHandle | undefined;
}

/** Events of the notification log. */
export interface NotifierEvents {
  /** After every delivery attempt. */
  attempt: [notification: SimNotification, attempt: SimNotificationAttempt];
  /** When a notification is delivered or has used its last attempt. */
  settled: [notification: SimNotification];
}

/** What the notifier needs from the simulator. */
export interface NotifierOptions {
  readonly clock: SimulatorClock;
  readonly logger: Logger;
  /** Read at each scheduling, so a change applies to the next retry. */
  readonly timeFactor: () => number;
  readonly timeoutMs: number;
}

const REPLY_EXCERPT = 512;

/** Sends notifications and retries them on WeChat's schedule, keeping a log of every attempt. */
export class Notifier {
  readonly events = new EventEmitter<NotifierEvents>();
  private readonly records: NotificationRecord[] = [];
  private readonly inFlight = new Set<{ controller: AbortController; done: Promise<void> }>();
  private readonly agent = new Agent({ keepAliveTimeout: 1_000, connections: 32 });
  private seq = 0;
  private closed = false;

  constructor(private readonly options: NotifierOptions) {
    this.events.setMaxListeners(0);
  }

  /** Logs a notification and makes its first attempt now. */
  send(input: NotificationInput): SimNotification {
    const record: NotificationRecord = {
      id: `n${++this.seq}`,
      input,
      createdAt: this.options.clock.now(),
      status: 'pending',
      nextAttemptAt: this.options.clock.now(),
      attempts: [],
      timer: undefined,
    };
    this.records.push(record);
    if (this.closed) {
      record.status = 'failed';
      record.nextAttemptAt = undefined;
    } else {
      this.attempt(record, 0, record.createdAt);
    }
    return view(record);
  }

  /** Sends a notification and resolves once it is delivered or has failed. */
  sendAndSettle(input: NotificationInput): Promise<SimNotification> {
    let id: string | undefined;
    return new Promise((resolve) => {
      const onSettled = (n: SimNotification): void => {
        if (n.id !== id) return;
        this.events.off('settled', onSettled);
        resolve(n);
      };
      this.events.on('settled', onSettled);
      const sent = this.send(input);
      id = sent.id;
      if (sent.status !== 'pending') {
        this.events.off('settled', onSettled);
        resolve(sent);
      }
    });
  }

  /** Sends logged notification `id` again as a new notification; undefined when there is none. */
  resend(id: string): SimNotification | undefined {
    const record = this.records.find((r) => r.id === id);
    return record === undefined ? undefined : this.send(record.input);
  }

  list(): SimNotification[] {
    return this.records.map(view);
  }

  /** Resolves with the first notification matching `filter`, logged already or yet to come. */
  waitFor(filter: SimNotificationFilter = {}): Promise<SimNotification> {
    const wanted = filter.status ?? 'delivered';
    const test = (n: SimNotification): boolean =>
      n.status === wanted &&
      (filter.kind === undefined || n.kind === filter.kind) &&
      (filter.outTradeNo === undefined || n.outTradeNo === filter.outTradeNo) &&
      (filter.outRefundNo === undefined || n.outRefundNo === filter.outRefundNo);
    const found = this.list().find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onChange = (n: SimNotification): void => {
        if (!test(n)) return;
        cleanup();
        resolve(n);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new SimulatorError('TIMEOUT', `no ${wanted} notification matched within ${filter.timeoutMs ?? 10_000} ms`));
      }, filter.timeoutMs ?? 10_000);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.events.off('attempt', onChange);
        this.events.off('settled', onChange);
      };
      this.events.on('attempt', onChange);
      this.events.on('settled', onChange);
    });
  }

  /** Cancels pending retries and forgets the log. */
  clear(): void {
    for (const r of this.records) if (r.timer !== undefined) this.options.clock.clearTimeout(r.timer);
    this.records.length = 0;
  }

  /** Cancels retries, aborts deliveries in flight and closes connections. */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.records) {
      if (r.timer !== undefined) this.options.clock.clearTimeout(r.timer);
      r.timer = undefined;
    }
    for (const f of this.inFlight) f.controller.abort();
    await Promise.allSettled([...this.inFlight].map((f) => f.done));
    await this.agent.close();
  }

  private attempt(record: NotificationRecord, index: number, scheduledAt: number): void {
    record.timer = undefined;
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new Error(`no reply within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    const entry = { controller, done: Promise.resolve() };
    entry.done = this.deliver(record, index, scheduledAt, controller.signal).finally(() => {
      clearTimeout(timeout);
      this.inFlight.delete(entry);
    });
    this.inFlight.add(entry);
  }

  private async deliver(record: NotificationRecord, index: number, scheduledAt: number, signal: AbortSignal): Promise<void> {
    const { clock, logger } = this.options;
    const startedAt = clock.now();
    let statusCode: number | undefined;
    let reply: string | undefined;
    let error: string | undefined;
    let ok = false;
    try {
      const json = record.input.format === 'json';
      const res = await request(record.input.url, {
        method: 'POST',
        headers: {
          'content-type': json ? 'application/json' : 'text/xml; charset=utf-8',
          'user-agent': 'Mozilla/4.0',
          ...record.input.headers?.(),
        },
        body: record.input.body,
        dispatcher: this.agent,
        signal,
      });
      statusCode = res.statusCode;
      const text = await res.body.text();
      reply = text.slice(0, REPLY_EXCERPT);
      ok = statusCode >= 200 && statusCode < 300 && (json || isSuccessReply(text));
    } catch (cause) {
      error = signal.aborted && signal.reason instanceof Error ? signal.reason.message : describe(cause);
    }
    if (this.closed && error !== undefined) return;
    const attempt: SimNotificationAttempt = Object.freeze({
      attempt: index + 1,
      scheduledAt,
      startedAt,
      finishedAt: clock.now(),
      ok,
      statusCode,
      reply,
      error,
    });
    record.attempts.push(attempt);
    const log = { notification: record.id, kind: record.input.kind, url: record.input.url, attempt: index + 1, statusCode, error };
    if (ok) {
      record.status = 'delivered';
      record.nextAttemptAt = undefined;
      logger.info(log, 'notification delivered');
    } else if (index + 1 < NOTIFY_SCHEDULE_S.length && !this.closed && !record.input.once) {
      const next = record.createdAt + NOTIFY_SCHEDULE_S[index + 1]! * 1000 * this.options.timeFactor();
      record.nextAttemptAt = next;
      logger.warn({ ...log, nextAttemptAt: next }, 'notification not acknowledged; will retry');
      record.timer = clock.setTimeout(() => this.attempt(record, index + 1, next), Math.max(0, next - clock.now()));
    } else {
      record.status = 'failed';
      record.nextAttemptAt = undefined;
      logger.warn(log, 'notification not acknowledged; no attempts left');
    }
    const snapshot = view(record);
    this.events.emit('attempt', snapshot, attempt);
    if (record.status !== 'pending') this.events.emit('settled', snapshot);
  }
}

/** A merchant acknowledges with `<xml><return_code>SUCCESS</return_code>…</xml>` (spec §7.3). */
function isSuccessReply(text: string): boolean {
  try {
    return parseXml(text)['return_code'] === 'SUCCESS';
  } catch {
    return false;
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

function view(r: NotificationRecord): SimNotification {
  return Object.freeze({
    id: r.id,
    kind: r.input.kind,
    environment: r.input.environment,
    mchId: r.input.mchId,
    outTradeNo: r.input.outTradeNo,
    outRefundNo: r.input.outRefundNo,
    url: r.input.url,
    format: r.input.format ?? 'xml',
    forgery: r.input.forgery,
    body: r.input.body,
    status: r.status,
    createdAt: r.createdAt,
    nextAttemptAt: r.nextAttemptAt,
    attempts: Object.freeze([...r.attempts]),
  });
}
