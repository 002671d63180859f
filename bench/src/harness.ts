/**
 * The round-robin micro harness: every case gets a time slice per round, the case order rotates
 * each round, the first round is a warm-up, and a case's result is its median ops/s over the
 * measured rounds. The orchestrator runs the whole thing in several processes and takes the
 * median of the process medians.
 */

/** A measured operation: synchronous, or one awaited call at a time. */
export interface MicroCase {
  readonly id: string;
  /** One operation. A returned promise is awaited before the next call. */
  readonly fn: () => unknown;
  /** Set when `fn` returns a promise. */
  readonly async?: boolean;
}

export interface RoundOptions {
  readonly rounds: number;
  readonly sliceMs: number;
}

/** Sink that keeps results alive so the optimizer cannot drop the work. */
let sink: unknown;
export function keep(value: unknown): void {
  sink = value;
}
export function sinkValue(): unknown {
  return sink;
}

function now(): number {
  return performance.now();
}

/** Runs `fn` in batches for about `ms` and returns ops/s. */
async function slice(c: MicroCase, ms: number, batch: number): Promise<number> {
  const fn = c.fn;
  let ops = 0;
  const start = now();
  let elapsed = 0;
  if (c.async) {
    do {
      for (let i = 0; i < batch; i++) keep(await fn());
      ops += batch;
      elapsed = now() - start;
    } while (elapsed < ms);
  } else {
    do {
      for (let i = 0; i < batch; i++) keep(fn());
      ops += batch;
      elapsed = now() - start;
    } while (elapsed < ms);
  }
  return (ops * 1000) / elapsed;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The rounds' ratios new/old, paired by round: their median and their lowest and highest.
 * A round whose either sample is not a number (a memory sample with a GC inside it) is left out.
 */
export function pairedRatios(newer: readonly number[], older: readonly number[]): { median: number; low: number; high: number } {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(newer.length, older.length); i++) {
    const r = newer[i]! / older[i]!;
    if (Number.isFinite(r)) ratios.push(r);
  }
  if (ratios.length === 0) return { median: Number.NaN, low: Number.NaN, high: Number.NaN };
  return { median: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
}

/** Value at quantile `q` (0–1) of `values`, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Runs every case round-robin and returns the median ops/s of each over the measured rounds. */
export async function roundRobin(cases: readonly MicroCase[], options: RoundOptions): Promise<Record<string, number>> {
  // Calibrate a batch to about 0.5 ms so the clock is read rarely.
  const batches = new Map<string, number>();
  for (const c of cases) {
    const rate = await slice(c, 20, 1);
    batches.set(c.id, Math.max(1, Math.floor(rate / 2000)));
  }
  const samples = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  for (let round = 0; round <= options.rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + round) % cases.length]!;
      const rate = await slice(c, options.sliceMs, batches.get(c.id)!);
      if (round > 0) samples.get(c.id)!.push(rate);
    }
  }
  const out: Record<string, number> = {};
  for (const [id, values] of samples) out[id] = median(values);
  return out;
}
