import { request, type Dispatcher } from 'undici';
import { SimulatorError, type SimulatorErrorCode } from './errors.js';
import type {
  SimClockView,
  SimFault,
  SimFaultInput,
  SimNotification,
  SimNotificationFilter,
  SimOrder,
  SimPlatformCertificate,
  SimWechatpayKeys,
  SimPayOptions,
  SimRefund,
  SimSettings,
  SimTarget,
  SimulatorControl,
  SimulatorMerchant,
} from './types.js';

/** Options of {@link createSimulatorClient}. */
export interface SimulatorClientOptions {
  /** An undici dispatcher, e.g. an `Agent` trusting the simulator's CA when it serves HTTPS. */
  readonly dispatcher?: Dispatcher;
}

/**
 * A typed client of a running simulator's control API (`/_sim/`), for tests in another process
 * or when the simulator is embedded in a gateway.
 *
 * @example
 * const sim = createSimulatorClient('http://127.0.0.1:4010');
 * await sim.pay('T20240101000001', { openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
 * const n = await sim.waitForNotification({ outTradeNo: 'T20240101000001' });
 */
export function createSimulatorClient(baseUrl: string, options: SimulatorClientOptions = {}): SimulatorControl {
  const base = baseUrl.replace(/\/+$/, '');
  const call = async <T>(method: Dispatcher.HttpMethod, path: string, body?: unknown, query?: Record<string, unknown>): Promise<T> => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.size > 0 ? `?${params}` : '';
    const res = await request(`${base}/_sim${path}${qs}`, {
      method,
      ...(options.dispatcher && { dispatcher: options.dispatcher }),
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    const value = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (res.statusCode >= 400) {
      const error = (value as { error?: { code?: SimulatorErrorCode; message?: string } } | undefined)?.error;
      throw new SimulatorError(error?.code ?? 'BAD_REQUEST', error?.message ?? `control API answered ${res.statusCode}`);
    }
    return value as T;
  };
  const no = (value: string): string => encodeURIComponent(value);
  return {
    listMerchants: () => call<SimulatorMerchant[]>('GET', '/merchants'),
    orders: (filter?: SimTarget) => call<SimOrder[]>('GET', '/orders', undefined, { ...filter }),
    order: (outTradeNo, target) => call<SimOrder>('GET', `/orders/${no(outTradeNo)}`, undefined, { ...target }),
    pay: (outTradeNo, opts?: SimPayOptions) => call<SimOrder>('POST', `/orders/${no(outTradeNo)}/pay`, opts ?? {}),
    paySilently: (outTradeNo, opts) => call<SimOrder>('POST', `/orders/${no(outTradeNo)}/pay-silently`, opts ?? {}),
    muteNotifications: (outTradeNo, opts) => call<SimOrder>('POST', `/orders/${no(outTradeNo)}/mute`, opts ?? {}),
    failPayment: (outTradeNo, target) => call<SimOrder>('POST', `/orders/${no(outTradeNo)}/fail`, target ?? {}),
    expire: (outTradeNo, target) => call<SimOrder>('POST', `/orders/${no(outTradeNo)}/expire`, target ?? {}),
    refunds: (filter) => call<SimRefund[]>('GET', '/refunds', undefined, { ...filter }),
    refund: (outRefundNo, target) => call<SimRefund>('GET', `/refunds/${no(outRefundNo)}`, undefined, { ...target }),
    completeRefund: (outRefundNo, target) => call<SimRefund>('POST', `/refunds/${no(outRefundNo)}/complete`, target ?? {}),
    failRefund: (outRefundNo, target) => call<SimRefund>('POST', `/refunds/${no(outRefundNo)}/fail`, target ?? {}),
    closeRefund: (outRefundNo, target) => call<SimRefund>('POST', `/refunds/${no(outRefundNo)}/close`, target ?? {}),
    notifications: () => call<SimNotification[]>('GET', '/notifications'),
    waitForNotification: (filter?: SimNotificationFilter) => call<SimNotification>('GET', '/notifications/wait', undefined, { ...filter }),
    addFault: (fault: SimFaultInput) => call<SimFault>('POST', '/faults', fault),
    faults: () => call<SimFault[]>('GET', '/faults'),
    clearFaults: async () => {
      await call('DELETE', '/faults');
    },
    settings: () => call<SimSettings>('GET', '/settings'),
    updateSettings: (settings) => call<SimSettings>('PATCH', '/settings', settings),
    reset: async () => {
      await call('POST', '/reset', {});
    },
    startRefund: (outTradeNo, opts) => call<SimRefund>('POST', `/orders/${no(outTradeNo)}/refund`, opts ?? {}),
    wechatpayKeys: () => call<SimWechatpayKeys>('GET', '/v3/keys'),
    rotatePlatformCertificate: (opts) => call<SimPlatformCertificate>('POST', '/v3/rotate', opts ?? {}),
    resendNotification: (id) => call<SimNotification>('POST', `/notifications/${no(id)}/resend`, {}),
    clock: () => call<SimClockView>('GET', '/clock'),
    advanceClock: (ms) => call<SimClockView>('POST', '/clock/advance', { ms }),
    forgeNotification: (opts) => call<SimNotification>('POST', '/notifications/forge', opts),
  };
}
