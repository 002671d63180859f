import { EventEmitter } from 'eventemitter3';
import { ListenerError, causeMessage, hintFor, isWxPayKitError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isPromiseLike } from '../util/maybe-promise.js';
import type { WxPayErrorEvent, WxPayEventMap, WxPayEventName, WxPayListener } from './event-map.js';

/** Collects what each listener returned (or threw) during one emit. */
type Collector = unknown[];
type Wrapper = (collector: Collector, ...args: unknown[]) => void;

/**
 * A typed emitter over {@link WxPayEventMap} whose dispatch can be awaited.
 *
 * eventemitter3 ignores what listeners return, so each listener is wrapped when it is registered:
 * the wrapper pushes the listener's result (its promise, or a synchronous throw turned into a
 * rejection) into a collector handed over as a hidden first argument. eventemitter3 keeps doing
 * the ordering and the `once` bookkeeping.
 */
export interface WxPayEmitter {
  on<K extends WxPayEventName>(event: K, listener: WxPayListener<K>): void;
  once<K extends WxPayEventName>(event: K, listener: WxPayListener<K>): void;
  /** Removes every registration of `listener` for `event`. */
  off<K extends WxPayEventName>(event: K, listener: WxPayListener<K>): void;
  listenerCount(event: WxPayEventName): number;
  /**
   * Calls every listener of `event` and waits until all of them settled, sync or async.
   * Rejects with one {@link ListenerError} holding every failure when any listener threw or
   * rejected; the other listeners still run to the end.
   */
  emitAndWait<K extends WxPayEventName>(event: K, ...args: WxPayEventMap[K]): Promise<void>;
  /**
   * {@link emitAndWait}, except that it returns `undefined` at once when every listener returned
   * something other than a promise and none threw (listeners that finished synchronously, or
   * none at all). Otherwise it returns the same promise as `emitAndWait`.
   */
  emitSettling<K extends WxPayEventName>(event: K, ...args: WxPayEventMap[K]): Promise<void> | undefined;
  /**
   * Dispatches an `error` event without waiting. A failing `error` listener is logged and never
   * thrown. With no `error` listener the error is logged at `warn` the first time its code is seen
   * for its app, with the cause's message and a hint (the event's, else the code's), and at
   * `debug` afterwards; `logged` says the caller has already logged it at `error` (nothing more is).
   */
  emitError(event: WxPayErrorEvent, logged?: boolean): void;
  removeAllListeners(): void;
}

/** Options of {@link createEmitter}. */
export interface CreateEmitterOptions {
  /** Where failures of `error` listeners, and errors nobody listens to, are logged. */
  readonly logger: Logger;
  /** `this` inside listeners (the `WxPay` instance). */
  readonly context?: unknown;
}

/** Builds a {@link WxPayEmitter}. One per `WxPay` instance; no module-level state. */
export function createEmitter(options: CreateEmitterOptions): WxPayEmitter {
  const { logger, context } = options;
  const ee = new EventEmitter();
  /** event → original listener → its wrappers (a listener may be registered more than once). */
  const wrappers = new Map<string, Map<Function, Wrapper[]>>();
  /** `<code> <app>` of the errors already logged at warn for want of an `error` listener. */
  const unheard = new Set<string>();

  function forget(event: string, listener: Function, wrapper: Wrapper): void {
    const byListener = wrappers.get(event);
    const list = byListener?.get(listener);
    if (!byListener || !list) return;
    const i = list.indexOf(wrapper);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) byListener.delete(listener);
  }

  function register(event: string, listener: Function, once: boolean): void {
    if (typeof listener !== 'function') {
      throw new TypeError(`@wxpay-kit/core: the listener of '${event}' must be a function`);
    }
    const wrapper: Wrapper = (collector, ...args) => {
      if (once) forget(event, listener, wrapper);
      try {
        collector.push(listener.apply(context, args));
      } catch (error) {
        collector.push(Promise.reject(error));
      }
    };
    let byListener = wrappers.get(event);
    if (!byListener) wrappers.set(event, (byListener = new Map()));
    const list = byListener.get(listener);
    if (list) list.push(wrapper);
    else byListener.set(listener, [wrapper]);
    if (once) ee.once(event, wrapper);
    else ee.on(event, wrapper);
  }

  /** Calls the listeners of `event`; what each returned (a throw became a rejected promise). */
  function collect(event: string, args: readonly unknown[]): Collector {
    const collector: Collector = [];
    if (args.length === 1) ee.emit(event, collector, args[0]);
    else ee.emit(event, collector, ...args);
    return collector;
  }

  async function failuresOf(collector: Collector): Promise<unknown[]> {
    if (collector.length === 0) return [];
    const settled = await Promise.allSettled(collector);
    const failures: unknown[] = [];
    for (const result of settled) if (result.status === 'rejected') failures.push(result.reason);
    return failures;
  }

  function dispatch(event: string, args: readonly unknown[]): Promise<unknown[]> {
    return failuresOf(collect(event, args));
  }

  async function rejectFailures(event: WxPayEventName, collector: Collector): Promise<void> {
    const failures = await failuresOf(collector);
    if (failures.length > 0) throw new ListenerError(event, failures);
  }

  return {
    on(event, listener) {
      register(event, listener, false);
    },
    once(event, listener) {
      register(event, listener, true);
    },
    off(event, listener) {
      const list = wrappers.get(event)?.get(listener);
      if (!list) return;
      for (const wrapper of list) ee.off(event, wrapper);
      wrappers.get(event)?.delete(listener);
    },
    listenerCount(event) {
      return ee.listenerCount(event);
    },
    emitAndWait(event, ...args) {
      return rejectFailures(event, collect(event, args));
    },
    emitSettling(event, ...args) {
      if (ee.listenerCount(event) === 0) return undefined;
      const collector = collect(event, args);
      for (const result of collector) {
        if (isPromiseLike(result)) return rejectFailures(event, collector);
      }
      return undefined;
    },
    emitError(payload, logged = false) {
      if (ee.listenerCount('error') === 0) {
        if (logged) return;
        const code = isWxPayKitError(payload.error) ? payload.error.code : 'unknown';
        const key = `${code} ${payload.app ?? ''}`;
        if (unheard.has(key)) {
          logger.debug(describe(payload), 'wxpay-kit error with no error listener');
          return;
        }
        unheard.add(key);
        const where = [payload.route, payload.app === undefined ? undefined : `app '${payload.app}'`].filter(Boolean).join(' ');
        logger.warn(
          describe(payload),
          `${where === '' ? '' : `${where}: `}${payload.error.message}; hint: ${payload.hint ?? hintFor(payload.error)} ` +
            '(logged once per error code and app; add an error listener to see every one)',
        );
        return;
      }
      dispatch('error', [payload]).then(
        (failures) => {
          for (const failure of failures) logger.error({ err: failure }, 'an error listener failed');
        },
        /* c8 ignore next: dispatch itself never rejects */
        (failure: unknown) => logger.error({ err: failure }, 'an error listener failed'),
      );
    },
    removeAllListeners() {
      ee.removeAllListeners();
      wrappers.clear();
    },
  };
}

function describe(payload: WxPayErrorEvent): object {
  const { error } = payload;
  return {
    code: isWxPayKitError(error) ? error.code : undefined,
    route: payload.route,
    app: payload.app,
    ...(error instanceof ListenerError || (error as { cause?: unknown }).cause !== undefined ? { cause: causeMessage(error) } : {}),
  };
}
