import { SimulatorError } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 });

/**
 * `"90s"`, `"30m"`, `"2h"`, `"1d"`, `"1h30m"`, `"500ms"` or a bare number of ms, as milliseconds.
 * Anything else is a `BAD_REQUEST` naming the accepted forms.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new SimulatorError('BAD_REQUEST', `"${text}" is not a duration: use forms such as 90s, 30m, 2h, 1d, 1h30m or 500ms`);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0));
}
