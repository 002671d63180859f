/**
 * What the handler needs to make `paid` and `refunded` fire once per transaction and refund, and
 * to check a notification's amount against the order it created. The memory store is the
 * default; the forwarder package adds a durable file store and a Redis store behind the same
 * interface and the same conformance suite.
 */

import type { MaybePromise } from '../util/maybe-promise.js';

/**
 * Store methods may answer with a value or a promise of it: an in-memory store answers at once,
 * and the handler then goes on without waiting for a later turn of the event loop; a store over a
 * file or a network answers with a promise, which the handler awaits.
 */
export type { MaybePromise };

/** Outcome of {@link DedupStore.claim}. */
export type ClaimResult =
  /** This caller now owns the key and must call `complete` or `release`. */
  | { readonly state: 'claimed'; readonly redelivery: boolean }
  /** The key was already handled; the event must not fire again. */
  | { readonly state: 'done' }
  /** Another caller (another request or instance) holds the key right now. */
  | { readonly state: 'busy' };

/**
 * What create-pay recorded about an order, or create-refund about a refund, to check notifications
 * against. A record is a check, never a condition: a verified notification whose record is missing
 * (placed elsewhere, or older than the store's retention) is still delivered, marked
 * `recordChecked: false`.
 */
export interface OrderRecord {
  readonly app: string;
  readonly appId: string;
  readonly mchId: string;
  /** Amount in fen: the order's, or for a refund record the refund's. */
  readonly totalFee: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /**
   * Order records only: epoch milliseconds of the order's `time_expire` (the last moment it can be
   * paid). Absent on records written by earlier versions and on refund records.
   */
  readonly expiresAt?: number | undefined;
  /**
   * Set by the sweeper once the order's (or refund's) result is known and fired: `paid`, `closed`,
   * or for a refund `refunded` / `refund-failed`. A store that rebuilds its sweep queue on start
   * (the file store) skips records that carry it.
   */
  readonly resolved?: 'paid' | 'closed' | 'refunded' | 'refund-failed' | undefined;
  /** Refund records only: the order refunded (`out_trade_no`). */
  readonly orderId?: string | undefined;
  /** Refund records only: that order's amount, in fen. */
  readonly orderTotalFee?: number | undefined;
  /**
   * `micropay`: a payment-code order, recorded before it was submitted (`createdAt` is the
   * submission), so a later call for the same number follows it up and never submits it again.
   */
  readonly kind?: 'micropay' | undefined;
  /** A payment-code order WeChat refused at submission: its `err_code` (nothing was paid). */
  readonly refused?: string | undefined;
}

/**
 * The store behind once-per-transaction events and recorded orders. Every method may return its
 * result directly or as a promise ({@link MaybePromise}); a method may also throw instead of
 * rejecting. The handler treats both alike.
 */
export interface DedupStore {
  /**
   * Takes ownership of `key` for `leaseMs`. A lease that expires without `complete` (the owner
   * died) can be claimed again, and that claim reports `redelivery: true`.
   */
  claim(key: string, leaseMs: number): MaybePromise<ClaimResult>;
  /** Marks `key` handled for good; later claims answer `done`. */
  complete(key: string): MaybePromise<void>;
  /** Gives `key` up after a failure so the next delivery can claim it (not a redelivery). */
  release(key: string): MaybePromise<void>;
  /**
   * Extends a claim this caller holds on `key` to `leaseMs` from now, while its listeners run.
   * Answers false when the caller no longer holds it (completed, released, or its lease ran out
   * and another caller claimed it). Optional: without it, a claim lasts one lease whatever its
   * listeners take.
   */
  renew?(key: string, leaseMs: number): MaybePromise<boolean>;
  /**
   * Remembers the order created under `key` (`<mchId>:<out_trade_no>`). Refunds accepted at
   * create-refund are kept here too, under `<mchId>:refund:<out_refund_no>` (`totalFee` holding the
   * refund fee, `orderId` and `orderTotalFee` the order). Records written by earlier versions tie a
   * refund to its order under a second key, `<mchId>:refund:<out_refund_no>:order:<out_trade_no>`.
   * A durable store keeps records at least as long as WeChat accepts refunds (a year).
   */
  putOrder(key: string, order: OrderRecord): MaybePromise<void>;
  getOrder(key: string): MaybePromise<OrderRecord | undefined>;
  close?(): Promise<void>;
  /**
   * The queue of orders and refunds that have no result yet, for the sweeper. Optional: a store
   * without it cannot sweep (createWxPay's `sweep` option then fails at start-up).
   */
  readonly sweeps?: SweepQueue | undefined;
}

/**
 * Orders (and refunds) the sweeper queries until their result is known, by record key
 * (`<mchId>:<out_trade_no>`, `<mchId>:refund:<out_refund_no>`), each with the time it is due.
 * Taking a key leases it: its due time moves `leaseMs` ahead, so no other sweeper (another
 * instance on a shared store) takes it meanwhile, and a sweeper that dies mid-sweep leaves it due
 * again one lease later. Nothing is lost and, since results fire once per transaction, nothing is
 * fired twice.
 */
export interface SweepQueue {
  /** Queues `key` (or moves it) to be swept at `dueAt` (epoch ms); `createdAt` is kept from the first call. */
  schedule(key: string, dueAt: number, createdAt: number): MaybePromise<void>;
  /** Takes up to `limit` keys due at `now`, earliest first, leasing each for `leaseMs`. */
  take(now: number, limit: number, leaseMs: number): MaybePromise<readonly string[]>;
  /** Forgets `key` (its result is known). Forgetting an unknown key does nothing. */
  remove(key: string): MaybePromise<void>;
  /** How many keys are queued, and the creation time of the oldest (undefined when none). */
  stats(): MaybePromise<SweepQueueStats>;
}

/** What {@link SweepQueue.stats} answers. */
export interface SweepQueueStats {
  readonly pending: number;
  /** Epoch ms of the oldest queued order's creation. */
  readonly oldestCreatedAt: number | undefined;
}
