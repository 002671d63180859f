import type { IncomingMessage, ServerResponse } from 'node:http';
import { maskingLogger, silentLogger, type Logger } from '@wxpay-kit/core';
import { SimulatorError } from './errors.js';
import { createAdjustableClock, systemClock, type SimulatorClock } from './clock.js';
import { checkSettings, createControl, type MutableSettings } from './control-actions.js';
import { createDispatch, type SimulatorRequest, type SimulatorResponse } from './dispatch.js';
import { FaultList } from './faults.js';
import { Ledger } from './ledger.js';
import { resolveMerchants } from './merchants.js';
import { nodeListener } from './node-listener.js';
import { createNotices } from './notices.js';
import { Notifier, type NotifierEvents } from './notifier.js';
import { SimState } from './state.js';
import type { SimulatorControl, SimulatorMerchant, SimulatorOptions } from './types.js';
import { WechatpayKeyring } from './v3/keys.js';
import { BillFiles } from './v3/bills.js';

export type { SimulatorRequest, SimulatorResponse } from './dispatch.js';

/** Events of {@link Simulator.on}. */
export type SimulatorEvents = NotifierEvents;

/**
 * A WeChat Pay simulator (API v2 and v3) that is not bound to a port: hand it requests through
 * {@link Simulator.listener} (any `node:http` or `node:https` server) or {@link Simulator.handle}.
 * It is also its own control client: `await sim.pay('T1')`.
 */
export interface Simulator extends SimulatorControl {
  /** The merchants served, with their keys. */
  readonly merchants: readonly SimulatorMerchant[];
  /** A `node:http` request listener serving the WeChat APIs and `/_sim/`. */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** Answers one request; never rejects. */
  handle(request: SimulatorRequest): Promise<SimulatorResponse>;
  on<K extends keyof SimulatorEvents>(event: K, listener: (...args: SimulatorEvents[K]) => void): this;
  off<K extends keyof SimulatorEvents>(event: K, listener: (...args: SimulatorEvents[K]) => void): this;
  /**
   * Sets where `mchId`'s refunds without their own `notify_url` are notified (console refunds):
   * what a merchant configures in WeChat's merchant platform. For hosts that learn the URL only
   * after the simulator started (a server on a port picked at start).
   */
  setRefundNotifyUrl(mchId: string, url: string | undefined): void;
  /** Cancels notification retries and closes outgoing connections. */
  close(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Creates a simulator without a server. Use {@link startSimulator} for one that listens.
 *
 * @example
 * const sim = createSimulator({ timeFactor: 0.001 });
 * http.createServer(sim.listener).listen(0, '127.0.0.1');
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const merchants = [...resolveMerchants(options.merchants)];
  const byId = new Map(merchants.map((m) => [m.mchId, m]));
  // Without an injected clock, business time (order times, expiry, notification retries) runs on
  // a clock the control API can move ahead; signature timestamps stay on real time.
  const adjustable = options.clock === undefined ? createAdjustableClock(systemClock) : undefined;
  const clock: SimulatorClock = options.clock ?? adjustable!;
  const wireClock: SimulatorClock = options.clock ?? systemClock;
  const logger: Logger = maskingLogger(options.logger ?? silentLogger);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const settings: MutableSettings = {
    refunds: options.refunds ?? 'auto',
    timeFactor: options.timeFactor ?? 1,
    notifications: options.notifications ?? true,
  };
  checkSettings(settings);
  const state = new SimState();
  const faults = new FaultList();
  const notifier = new Notifier({
    clock,
    logger,
    timeFactor: () => settings.timeFactor,
    timeoutMs: options.notifyTimeoutMs ?? 5_000,
  });
  const keyring = new WechatpayKeyring(options.v3 ?? {}, wireClock);
  const timestampWindowS = options.v3?.timestampWindowS ?? 300;
  if (typeof timestampWindowS !== 'number' || !(timestampWindowS >= 0)) throw new TypeError('v3.timestampWindowS must be a number >= 0');

  const notices = createNotices({ state, merchants: byId, notifier, keyring, wireClock, logger });
  const ledger = new Ledger(state, clock, byId, {
    refundMode: () => settings.refunds,
    paid: (order) => {
      if (settings.notifications && !order.muted) notices.paid(order);
      else logger.info({ outTradeNo: order.outTradeNo }, 'notifications are off: no pay notification sent');
    },
    refundFinished: (refund) => {
      const order = state.order(refund.environment, refund.mchId, refund.outTradeNo);
      if (settings.notifications && order?.muted !== true) notices.refundFinished(refund);
      else logger.info({ outRefundNo: refund.outRefundNo }, 'notifications are off: no refund notification sent');
    },
    transferFinished: (bill) => {
      if (settings.notifications) notices.transferFinished(bill);
      else logger.info({ outBillNo: bill.outBillNo }, 'notifications are off: no transfer callback sent');
    },
    log: (fields, message) => logger.info(fields, message),
  });
  const control = createControl({ merchants, ledger, notices, notifier, faults, keyring, settings, logger, clock });
  const apiDeps = { ledger, merchants: byId, clock, logger, faults, bodyLimit };
  const handle = createDispatch({
    basePath,
    control,
    merchants,
    wire: { ...apiDeps, requireMchIdCommonName: options.tls?.requireMchIdCommonName ?? false },
    v3: { ...apiDeps, keyring, timestampWindowS, wireClock, bills: new BillFiles() },
  });

  const sim: Simulator = {
    ...control,
    merchants,
    setRefundNotifyUrl(mchId, url) {
      const index = merchants.findIndex((m) => m.mchId === mchId);
      if (index < 0) throw new SimulatorError('NOT_FOUND', `no merchant ${mchId}`);
      const next = Object.freeze({ ...merchants[index]!, refundNotifyUrl: url });
      merchants[index] = next;
      byId.set(mchId, next);
    },
    listener: nodeListener(handle, bodyLimit, options.tls !== undefined),
    handle,
    on(event, fn) {
      notifier.events.on(event, fn as never);
      return sim;
    },
    off(event, fn) {
      notifier.events.off(event, fn as never);
      return sim;
    },
    close: () => notifier.close(),
  };
  return sim;
}
