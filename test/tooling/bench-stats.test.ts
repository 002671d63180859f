import { describe, expect, it } from 'vitest';
import { pairedRatios } from '../../bench/src/harness.js';

describe('the side-by-side ratio (bench --compare)', () => {
  it('pairs the builds round by round, not median against median', () => {
    // medians 4 and 3 would give 1.33; the rounds' own ratios are 2, 1 and 3
    expect(pairedRatios([2, 4, 9], [1, 4, 3])).toEqual({ median: 2, low: 1, high: 3 });
  });

  it('leaves out a round with a missing sample on either side, and has no ratio without rounds', () => {
    expect(pairedRatios([2, Number.NaN, 6], [1, 5, 2])).toEqual({ median: 2.5, low: 2, high: 3 });
    expect(pairedRatios([Number.NaN], [1])).toEqual({ median: Number.NaN, low: Number.NaN, high: Number.NaN });
    expect(pairedRatios([], [])).toEqual({ median: Number.NaN, low: Number.NaN, high: Number.NaN });
  });
});
