/**
 * The notification path runs synchronously as far as it can: a step that got a plain value (an
 * in-memory store, listeners that returned nothing) goes on at once, and only a step that got a
 * promise waits for it. Each avoided `await` saves a promise and a turn of the microtask queue
 * per notification. This module is the one place that knows how; it imports nothing.
 */

/** A value, or a promise of it: what a store or a listener may answer with. */
export type MaybePromise<T> = T | Promise<T>;

/** True for a promise or any other thenable. */
export function isPromiseLike<T>(value: MaybePromise<T> | PromiseLike<T>): value is Promise<T> {
  return (
    (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/** `next(value)` at once for a plain value, after it settles for a promise. */
export function after<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromiseLike(value) ? Promise.resolve(value).then(next) : next(value);
}
