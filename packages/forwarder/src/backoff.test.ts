import { describe, expect, it } from 'vitest';
import { pastHorizon, retryAt, type BackoffPolicy } from './backoff.js';

const policy: BackoffPolicy = { baseDelayMs: 5_000, maxDelayMs: 3_600_000, horizonMs: 86_400_000 };
const ALMOST_ONE = 1 - 2 ** -40;

describe('backoff', () => {
  it('draws the delay below a ceiling that doubles with each attempt (full jitter)', () => {
    const ceilings = [1, 2, 3, 4, 5].map((n) => retryAt(policy, n, 0, 1_000, ALMOST_ONE) - 1_000 + 1);
    expect(ceilings).toEqual([5_000, 10_000, 20_000, 40_000, 80_000]);
    expect(retryAt(policy, 3, 0, 1_000, 0)).toBe(1_000);
    expect(retryAt(policy, 3, 0, 1_000, 0.5)).toBe(11_000);
  });

  it('caps the delay at maxDelayMs, however many attempts failed', () => {
    expect(retryAt(policy, 11, 0, 0, ALMOST_ONE)).toBe(3_600_000 - 1);
    for (const n of [100, 1_000, 1e9]) {
      const at = retryAt(policy, n, 0, 0, ALMOST_ONE);
      expect(Number.isInteger(at), `attempt ${n}`).toBe(true);
      expect(at).toBe(3_600_000 - 1);
    }
  });

  it('never schedules a retry after the horizon', () => {
    const since = 10_000;
    const nearEnd = since + policy.horizonMs - 1_000;
    expect(retryAt(policy, 12, since, nearEnd, ALMOST_ONE)).toBe(since + policy.horizonMs);
    expect(retryAt(policy, 12, since, nearEnd, 0)).toBe(nearEnd);
  });

  it('dead-letters from the horizon on, measured from when the result was stored or replayed', () => {
    expect(pastHorizon(policy, 10_000, 10_000 + policy.horizonMs - 1)).toBe(false);
    expect(pastHorizon(policy, 10_000, 10_000 + policy.horizonMs)).toBe(true);
    expect(pastHorizon({ ...policy, horizonMs: 60_000 }, 0, 59_999)).toBe(false);
  });
});
