import type { Logger } from '@wxpay-kit/core';
import type { SimulatorClock } from './clock.js';
import { SimulatorError } from './errors.js';
import type { FaultList } from './faults.js';
import type { Ledger } from './ledger.js';
import type { Notices } from './notices.js';
import type { Notifier } from './notifier.js';
import { orderView, refundView } from './state.js';
import type {
  SimClockView,
  RefundMode,
  SimFault,
  SimFaultInput,
  SimNotification,
  SimNotificationFilter,
  SimSettings,
  SimulatorControl,
  SimulatorMerchant,
} from './types.js';
import type { WechatpayKeyring } from './v3/keys.js';

/** The simulator's settings that the control API may change. */
export type MutableSettings = { refunds: RefundMode; timeFactor: number; notifications: boolean };

/** What the control actions act on. */
export interface ControlDeps {
  readonly merchants: readonly SimulatorMerchant[];
  readonly ledger: Ledger;
  readonly notices: Notices;
  readonly notifier: Notifier;
  readonly faults: FaultList;
  readonly keyring: WechatpayKeyring;
  readonly settings: MutableSettings;
  readonly logger: Logger;
  /** The business clock; `advance` when it can be moved (the default clock, a manual one). */
  readonly clock: SimulatorClock & { readonly advance?: (ms: number) => void; readonly offset?: () => number };
}

/**
 * The control actions ("the user pays", "the refund fails", faults, settings, keys): what a test
 * does from WeChat's side. Each answers a frozen public copy of what it changed.
 */
export function createControl(deps: ControlDeps): SimulatorControl {
  const { merchants, ledger, notices, notifier, faults, keyring, settings, logger, clock } = deps;
  const clockView = (): SimClockView => {
    const now = clock.now();
    return Object.freeze({ now, iso: new Date(now).toISOString(), offsetMs: clock.offset?.() ?? 0 });
  };
  const state = ledger.state;
  return {
    listMerchants: async () => merchants,
    orders: async (filter) => ledger.orders(filter).map(orderView),
    order: async (outTradeNo, target) => orderView(ledger.pickOrder(outTradeNo, target)),
    pay: async (outTradeNo, opts) => orderView(ledger.pay(outTradeNo, opts)),
    paySilently: async (outTradeNo, opts) => orderView(ledger.pay(outTradeNo, { ...opts, notify: false })),
    muteNotifications: async (outTradeNo, opts) => {
      const order = ledger.pickOrder(outTradeNo, opts);
      order.muted = opts?.muted ?? true;
      return orderView(order);
    },
    failPayment: async (outTradeNo, target) => orderView(ledger.failPayment(outTradeNo, target)),
    expire: async (outTradeNo, target) => orderView(ledger.expire(outTradeNo, target)),
    refunds: async (filter) => state.allRefunds(filter).map(refundView),
    refund: async (outRefundNo, target) => refundView(state.pickRefund(outRefundNo, target)),
    completeRefund: async (outRefundNo, target) => {
      const refund = state.pickRefund(outRefundNo, target);
      ledger.finishRefund(refund, 'SUCCESS');
      return refundView(refund);
    },
    failRefund: async (outRefundNo, target) => {
      const refund = state.pickRefund(outRefundNo, target);
      ledger.finishRefund(refund, 'CHANGE');
      return refundView(refund);
    },
    closeRefund: async (outRefundNo, target) => {
      const refund = state.pickRefund(outRefundNo, target);
      ledger.finishRefund(refund, 'REFUNDCLOSE');
      return refundView(refund);
    },
    notifications: async () => notifier.list(),
    waitForNotification: (filter?: SimNotificationFilter): Promise<SimNotification> => notifier.waitFor(filter),
    addFault: async (fault: SimFaultInput): Promise<SimFault> => faults.add(fault),
    faults: async () => faults.list(),
    clearFaults: async () => faults.clear(),
    settings: async (): Promise<SimSettings> => ({ ...settings }),
    updateSettings: async (patch) => {
      const next = { ...settings, ...pickSettings(patch) };
      checkSettings(next);
      Object.assign(settings, next);
      return { ...settings };
    },
    reset: async () => {
      state.clear();
      notifier.clear();
      faults.clear();
    },
    startRefund: async (outTradeNo, opts) => refundView(ledger.startRefund(outTradeNo, opts)),
    wechatpayKeys: async () => keyring.view(),
    forgeNotification: (opts) => notices.forge(opts),
    resendNotification: async (id) => {
      const sent = notifier.resend(id);
      if (sent === undefined) throw new SimulatorError('NOT_FOUND', `no notification ${id}`);
      logger.info({ notification: id, resent: sent.id }, 'notification sent again');
      return sent;
    },
    clock: async () => clockView(),
    advanceClock: async (ms) => {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new SimulatorError('BAD_REQUEST', 'ms must be a number of milliseconds >= 0');
      }
      if (clock.advance === undefined)
        throw new SimulatorError('BAD_REQUEST', 'this simulator runs on an injected clock that cannot be moved');
      clock.advance(ms);
      logger.info({ advancedMs: ms, now: new Date(clock.now()).toISOString() }, 'clock moved ahead');
      return clockView();
    },
    rotatePlatformCertificate: async (opts) => {
      const cert = keyring.rotate(opts?.retirePrevious === true);
      logger.info({ serialNo: cert.serialNo }, 'platform certificate rotated');
      return cert;
    },
  };
}

/** Throws `BAD_REQUEST` for a refund mode or time factor the simulator cannot run with. */
export function checkSettings(s: SimSettings): void {
  if (s.refunds !== 'auto' && s.refunds !== 'manual') throw new SimulatorError('BAD_REQUEST', 'refunds must be auto or manual');
  if (typeof s.timeFactor !== 'number' || !Number.isFinite(s.timeFactor) || s.timeFactor < 0) {
    throw new SimulatorError('BAD_REQUEST', 'timeFactor must be a finite number >= 0');
  }
  if (typeof s.notifications !== 'boolean') throw new SimulatorError('BAD_REQUEST', 'notifications must be a boolean');
}

function pickSettings(patch: Partial<SimSettings>): Partial<SimSettings> {
  const out: { refunds?: RefundMode; timeFactor?: number; notifications?: boolean } = {};
  if (patch.refunds !== undefined) out.refunds = patch.refunds;
  if (patch.notifications !== undefined) out.notifications = patch.notifications;
  if (patch.timeFactor !== undefined) out.timeFactor = patch.timeFactor;
  return out;
}
