import type { PaidEvent, PluginHost, RefundedEvent, RefundFailedEvent, WxPayEventMap, WxPayEventName } from '@wxpay-kit/core';
import { silentLogger } from '@wxpay-kit/core';

let seq = 0;

/** A `paid` event as the core emits it; every call is a new transaction unless overridden. */
export function paidEvent(overrides: Partial<PaidEvent> = {}): PaidEvent {
  const n = ++seq;
  return {
    app: 'shop',
    appId: 'wxd930ea5d5a258f4f',
    mchId: '1900000109',
    orderId: `o${n}`,
    transactionId: `42000000002024010100000${String(n).padStart(5, '0')}`,
    totalFee: 101,
    cashFee: 101,
    feeType: 'CNY',
    openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    tradeType: 'JSAPI',
    bankType: 'CMC',
    timeEnd: '20240101120000',
    attach: 'any',
    isSubscribe: true,
    deviceInfo: 'WEB',
    coupons: [],
    source: 'notify',
    redelivery: false,
    recordChecked: true,
    raw: { result_code: 'SUCCESS', cash_fee_type: 'CNY' },
    ...overrides,
  };
}

/** A `refunded` event as the core emits it. */
export function refundedEvent(overrides: Partial<RefundedEvent> = {}): RefundedEvent {
  const n = ++seq;
  return {
    app: 'shop',
    appId: 'wxd930ea5d5a258f4f',
    mchId: '1900000109',
    orderId: `o${n}`,
    transactionId: `42000000002024010100000${String(n).padStart(5, '0')}`,
    refundId: `r${n}`,
    wxRefundId: `5000040894202401010000${String(n).padStart(7, '0')}`,
    totalFee: 101,
    refundFee: 101,
    settlementRefundFee: 101,
    refundRecvAccount: '支付用户零钱',
    refundAccount: 'REFUND_SOURCE_RECHARGE_FUNDS',
    refundRequestSource: 'API',
    refundStatus: 'SUCCESS',
    successTime: '2024-01-01 12:00:00',
    source: 'notify',
    redelivery: false,
    recordChecked: true,
    raw: {},
    ...overrides,
  };
}

/** A `refund-failed` event. */
export function refundFailedEvent(overrides: Partial<RefundFailedEvent> = {}): RefundFailedEvent {
  const { successTime: _s, ...base } = refundedEvent();
  return { ...base, refundStatus: 'REFUNDCLOSE', ...overrides };
}

type Listener = (...args: never[]) => void | Promise<void>;

/** A plugin host like the core's: awaited listeners, recorded emits, teardown on close. */
export function fakeHost() {
  const listeners = new Map<string, Listener[]>();
  const emitted: { event: string; payload: unknown }[] = [];
  const teardowns: (() => void | Promise<void>)[] = [];
  const waiters: (() => void)[] = [];
  const host: PluginHost = {
    config: {} as PluginHost['config'],
    client: {} as PluginHost['client'],
    logger: silentLogger,
    on(event, listener) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener as unknown as Listener]);
    },
    async emit(event, ...args) {
      emitted.push({ event, payload: args[0] });
      for (const w of waiters.splice(0)) w();
    },
    addRoute() {},
    onClose(teardown) {
      teardowns.push(teardown);
    },
  };
  return {
    host,
    emitted,
    /** Dispatches like the core: resolves when every listener resolved, rejects if one rejected. */
    async dispatch<K extends WxPayEventName>(event: K, ...args: WxPayEventMap[K]): Promise<void> {
      for (const l of listeners.get(event) ?? []) await (l as (...a: unknown[]) => unknown)(...args);
    },
    /** Resolves once `count` events named `event` were emitted. */
    async waitForEmits(event: string, count: number): Promise<void> {
      while (emitted.filter((e) => e.event === event).length < count) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    async close(): Promise<void> {
      for (const t of teardowns) await t();
    },
  };
}
