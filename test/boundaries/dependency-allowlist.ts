import type { KnownCycle, KnownViolation } from './dependency-rules.js';

/*
 * Known import cycles and layer breaks that predate the rules in dependency-rules.ts. This list
 * only shrinks: the test fails on any cycle or break not listed here, and also on an entry that
 * no longer exists (delete it when the reshape removes it). Never add an entry to make a new
 * import pass; move the code instead. Paths are relative to packages/.
 */

/** Each entry: cycle[0] imports cycle[1], …, and the last imports cycle[0]. */
export const KNOWN_CYCLES: readonly KnownCycle[] = [];

/** Imports that break a rule of dependency-rules.ts (rule name as reported). */
export const KNOWN_VIOLATIONS: readonly KnownViolation[] = [];
