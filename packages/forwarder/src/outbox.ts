import type { DedupStore } from '@wxpay-kit/core';

/** Which result a record carries; picks the app's pay or refund callback. */
export type OutboxEventName = 'paid' | 'refunded' | 'refund-failed' | 'transferred' | 'transfer-failed' | 'transfer-cancelled';

/** Where a record is in its life. */
export type OutboxState = 'pending' | 'delivered' | 'dead';

/** What the forwarder hands to {@link OutboxStore.append}. */
export interface NewOutboxRecord {
  /** The `webhook-id`: stable across retries and replays; appending the same id twice is a no-op. */
  readonly id: string;
  /** The app name from the configuration. */
  readonly app: string;
  readonly event: OutboxEventName;
  /** The exact JSON body POSTed to the app. */
  readonly body: string;
  /** Epoch ms. */
  readonly createdAt: number;
}

/** One result in the outbox. Times are epoch ms. */
export interface OutboxRecord extends NewOutboxRecord {
  readonly state: OutboxState;
  /** Attempts made since the record was created or last replayed. */
  readonly attempts: number;
  /** When the current delivery cycle began (creation or last replay); the horizon counts from here. */
  readonly since: number;
  /** When the next attempt is due (pending records only). */
  readonly nextAttemptAt: number;
  /** When it was delivered or dead-lettered. */
  readonly finishedAt?: number | undefined;
  /** HTTP status of the last attempt, when there was an answer. */
  readonly lastStatus?: number | undefined;
  /** Short description of the last failure (never the body). */
  readonly lastError?: string | undefined;
}

/** Counts from {@link OutboxStore.stats}. */
export interface OutboxStats {
  /** Waiting for an attempt (due now or scheduled for a retry), not in flight. */
  readonly pending: number;
  /** Leased by a delivery worker right now. */
  readonly inFlight: number;
  readonly delivered: number;
  readonly dead: number;
  /** Age in ms of the oldest record not yet delivered nor dead; 0 when there is none. */
  readonly oldestPendingAgeMs: number;
}

/** Options of {@link OutboxStore.lease}. */
export interface LeaseOptions {
  /** Only records of this app. */
  readonly app: string;
  /** At most this many records. */
  readonly limit: number;
  /** Epoch ms: records due at or before it are handed out. */
  readonly now: number;
  /**
   * The lease: if neither `ack`, `retry` nor `dead` follows within it, the record is handed out
   * again. Use the same length on every call: the Redis store measures a record's idle time
   * against the length given by the call that finds it.
   */
  readonly leaseMs: number;
}

/** Outcome of a failed attempt, for {@link OutboxStore.retry} and {@link OutboxStore.dead}. */
export interface AttemptFailure {
  /** Epoch ms of the attempt's end. */
  readonly at: number;
  readonly status?: number | undefined;
  readonly error: string;
}

/** Options of {@link OutboxStore.list}. */
export interface ListOptions {
  readonly state?: OutboxState | undefined;
  /** Default 100. */
  readonly limit?: number | undefined;
}

/**
 * The durable queue of results waiting for delivery to the apps. Every method that changes
 * state resolves only once the change is durable (fsynced, or acknowledged by Redis).
 */
export interface OutboxStore {
  /** Stores a record; resolves `false` when a record with the same id already exists. */
  append(record: NewOutboxRecord): Promise<boolean>;
  /** Hands out due pending records of one app, leased for `leaseMs`. */
  lease(options: LeaseOptions): Promise<OutboxRecord[]>;
  /** The attempt succeeded: the record is delivered. */
  ack(id: string, info: { readonly at: number; readonly status: number }): Promise<void>;
  /** The attempt failed: counts it and schedules the next one at `nextAttemptAt`. */
  retry(id: string, failure: AttemptFailure & { readonly nextAttemptAt: number }): Promise<void>;
  /** The attempt failed and the horizon is reached: the record becomes a dead letter. */
  dead(id: string, failure: AttemptFailure): Promise<void>;
  /** Makes a delivered or dead record pending again, due at `now`; resolves false when unknown or pending. */
  replay(id: string, now: number): Promise<boolean>;
  /** Replays every dead letter; resolves how many. */
  replayDead(now: number): Promise<number>;
  get(id: string): Promise<OutboxRecord | undefined>;
  /** Records in creation order (newest last). */
  list(options?: ListOptions): Promise<OutboxRecord[]>;
  stats(now: number): Promise<OutboxStats>;
  close(): Promise<void>;
}

/** A store that is both the core's dedup store and the forwarder's outbox. */
export interface ForwarderStore extends DedupStore, OutboxStore {
  close(): Promise<void>;
}
