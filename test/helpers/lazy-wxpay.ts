import type { WxPay } from '@wxpay-kit/core';

/** A `WxPay` whose real instance is supplied later, with {@link LazyWxPay.set}. */
export interface LazyWxPay extends WxPay {
  set(instance: WxPay): void;
}

/**
 * Breaks the cycle between a host app and its instance in tests: the instance's notify URLs
 * name the app's port, known only once the app listens with the adapter already mounted.
 * Every member delegates to the instance given to `set()`.
 */
export function lazyWxPay(): LazyWxPay {
  let target: WxPay | undefined;
  const real = (): WxPay => {
    if (!target) throw new Error('lazyWxPay: set() the instance before serving requests');
    return target;
  };
  const lazy = {
    [Symbol.for('wxpay-kit.instance')]: true,
    set(instance: WxPay) {
      target = instance;
    },
    match: (method: string, path: string) => real().match(method, path),
    handle: (request: Parameters<WxPay['handle']>[0]) => real().handle(request),
    refuse: (...args: Parameters<WxPay['refuse']>) => real().refuse(...args),
    on: (event: never, listener: never) => (real().on(event, listener), lazy),
    once: (event: never, listener: never) => (real().once(event, listener), lazy),
    off: (event: never, listener: never) => (real().off(event, listener), lazy),
    use: (plugin: never) => (real().use(plugin), lazy),
    get client() {
      return real().client;
    },
    get config() {
      return real().config;
    },
    ready: () => real().ready(),
    close: () => (target ? target.close() : Promise.resolve()),
    warnIfUnprotected: (address: never) => (target ? target.warnIfUnprotected(address) : false),
  };
  return lazy as unknown as LazyWxPay;
}
