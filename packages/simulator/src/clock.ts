/** A handle returned by {@link SimulatorClock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Time as the simulator sees it: order timestamps, expiry, and the notification retry schedule.
 * Inject {@link createManualClock} in tests to step through WeChat's 24-hour schedule without
 * waiting.
 */
export interface SimulatorClock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `Date.now` and Node's timers (unref'd, so a pending retry never holds a process open). */
export const systemClock: SimulatorClock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, Math.max(0, ms));
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** A clock that only moves when told to. */
export interface ManualClock extends SimulatorClock {
  /** Moves time forward by `ms`, running every timer that falls due, in time order. */
  advance(ms: number): void;
  /** Moves time to the next pending timer and runs it (and any due at the same instant). False when none is pending. */
  runNext(): boolean;
  /** Epoch ms of the next pending timer, if any. */
  nextTimerAt(): number | undefined;
  /** Number of pending timers. */
  pending(): number;
}

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * Creates a {@link ManualClock} starting at `startMs` (default 2024-01-01T04:00:00Z, noon in Beijing).
 *
 * @example
 * const clock = createManualClock();
 * const sim = await startSimulator({ port: 0, clock });
 * clock.advance(15_000); // the first notification retry fires
 */
export function createManualClock(startMs = Date.UTC(2024, 0, 1, 4, 0, 0)): ManualClock {
  let now = startMs;
  let seq = 0;
  let timers: ManualTimer[] = [];

  const runDue = (until: number): void => {
    for (;;) {
      const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      timers = timers.filter((t) => t !== due);
      now = Math.max(now, due.at);
      due.callback();
    }
    now = Math.max(now, until);
  };

  return {
    now: () => now,
    setTimeout(callback, ms) {
      const timer: ManualTimer = { id: ++seq, at: now + Math.max(0, ms), callback };
      timers.push(timer);
      return timer.id;
    },
    clearTimeout(handle) {
      timers = timers.filter((t) => t.id !== handle);
    },
    advance(ms) {
      runDue(now + ms);
    },
    runNext() {
      const at = this.nextTimerAt();
      if (at === undefined) return false;
      runDue(at);
      return true;
    },
    nextTimerAt() {
      let min: number | undefined;
      for (const t of timers) if (min === undefined || t.at < min) min = t.at;
      return min;
    },
    pending: () => timers.length,
  };
}

/** The system clock with an offset that moves only forward when told to. */
export interface AdjustableClock extends SimulatorClock {
  /** Moves time forward by `ms`: timers that fall due run now (in time order), later ones keep their due time. */
  advance(ms: number): void;
  /** How far this clock is ahead of the system clock, in ms. */
  offset(): number;
}

interface AdjustableTimer {
  readonly at: number;
  readonly callback: () => void;
  handle: TimerHandle;
}

/**
 * A clock that reads the system time plus an offset that `advance()` grows, so a running
 * simulator can be moved through an order's expiry or WeChat's retry schedule from its control
 * API or CLI (`wxpay-simulator clock advance 2h`). Timers are kept by their due time on this
 * clock: after an advance, every timer now due runs at once, the others are re-armed for the rest
 * of their wait.
 */
export function createAdjustableClock(base: SimulatorClock = systemClock): AdjustableClock {
  let offset = 0;
  const timers = new Set<AdjustableTimer>();
  const now = (): number => base.now() + offset;
  const arm = (timer: AdjustableTimer): void => {
    timer.handle = base.setTimeout(() => {
      timers.delete(timer);
      timer.callback();
    }, timer.at - now());
  };
  return {
    now,
    setTimeout(callback, ms) {
      const timer: AdjustableTimer = { at: now() + Math.max(0, ms), callback, handle: undefined };
      timers.add(timer);
      arm(timer);
      return timer;
    },
    clearTimeout(handle) {
      const timer = handle as AdjustableTimer;
      if (!timers.delete(timer)) return;
      base.clearTimeout(timer.handle);
    },
    advance(ms) {
      if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError('the clock only moves forward by a finite number of ms');
      offset += ms;
      const t = now();
      const all = [...timers].sort((a, b) => a.at - b.at);
      for (const timer of all) base.clearTimeout(timer.handle);
      for (const timer of all) {
        if (timer.at <= t) {
          timers.delete(timer);
          timer.callback();
        } else {
          arm(timer);
        }
      }
    },
    offset: () => offset,
  };
}
