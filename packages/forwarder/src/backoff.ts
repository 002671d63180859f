/** The retry policy of a delivery: exponential backoff with full jitter, up to a horizon. */
export interface BackoffPolicy {
  /** Ceiling of the first retry delay, in ms; it doubles per attempt. */
  readonly baseDelayMs: number;
  /** Largest retry delay, in ms. */
  readonly maxDelayMs: number;
  /** How long after it was stored (or replayed) a result is retried, in ms, before it is dead-lettered. */
  readonly horizonMs: number;
}

/** True when a result retried since `since` has reached its horizon at `at`: it is dead-lettered, not retried. */
export function pastHorizon(policy: BackoffPolicy, since: number, at: number): boolean {
  return at >= since + policy.horizonMs;
}

/**
 * When to try again after failed attempt number `attempt` (1 for the first), which ended at `at`,
 * of a result retried since `since`: after a delay drawn uniformly below
 * `min(maxDelayMs, baseDelayMs * 2^(attempt-1))` (full jitter, from `random` in [0, 1)), but
 * never after the horizon.
 */
export function retryAt(policy: BackoffPolicy, attempt: number, since: number, at: number, random: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 40));
  return Math.min(at + Math.floor(random * ceiling), since + policy.horizonMs);
}
