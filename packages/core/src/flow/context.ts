/**
 * What the payment flow needs of one `WxPay` instance: its configuration, client, store, emitter
 * and logger, the notification keys and the once-per-key runner. The HTTP routes get the same
 * object (`HandlerContext`).
 */
import type { WxPayClient } from '../client/types.js';
import type { ResolvedConfig } from '../config/types.js';
import type { WxPayEmitter } from '../events/emitter.js';
import type { Logger } from '../logger.js';
import type { DedupStore, SweepQueue } from '../stores/dedup-store.js';
import type { MaybePromise } from '../util/maybe-promise.js';
import type { OncePerKey } from './once-per-key.js';

/** The parts of one `WxPay` instance that flows and routes use. */
export interface FlowContext {
  readonly config: ResolvedConfig;
  readonly client: WxPayClient;
  readonly store: DedupStore;
  readonly emitter: WxPayEmitter;
  readonly logger: Logger;
  /** The key a merchant's v2 notifications are verified with (the client's `signKey`, kept once known). */
  signKey(merchant: string): MaybePromise<string>;
  /** Fires `paid` / `refunded` at most once per transaction or refund. */
  readonly once: OncePerKey;
  /** The queue create-pay and create-refund add to when the sweeper runs; undefined when it does not. */
  readonly sweeps?: SweepQueue | undefined;
  /** The sweeper's schedule (seconds after creation), when it runs. */
  readonly sweepSchedule?: readonly number[] | undefined;
}
