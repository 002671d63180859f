import type { GatewayEndpoints } from '../endpoints.js';
import type { ApiShape, SeedConfig } from './seed-schema.js';

/** The reply shapes a config asks for, and the reason, for the start-up line. */
export interface ApiShapeChoice {
  readonly shape: ApiShape;
  readonly reason: string;
}

/**
 * `api-shape` when the file sets it; otherwise `current` for a file written for
 * go-wxpay-gateway's current version (a merchant's key named `mch-api-key`, or a
 * `verify-notify-*` endpoint), else `2019` (the first README's shapes).
 */
export function detectApiShape(seed: Pick<SeedConfig, 'api-shape' | 'merchants' | 'endpoints'>): ApiShapeChoice {
  const set = seed['api-shape'];
  if (set !== undefined) return { shape: set, reason: '"api-shape" in the config' };
  if (seed.merchants.some((m) => m['mch-api-key'] !== undefined)) {
    return { shape: 'current', reason: 'detected: a merchant names its key "mch-api-key" (go-wxpay-gateway since 2020)' };
  }
  const verify = ['verify-notify-pay', 'verify-notify-refund'].filter((k) => seed.endpoints?.[k] !== undefined);
  if (verify.length > 0)
    return { shape: 'current', reason: `detected: endpoints configure "${verify[0]}" (go-wxpay-gateway's current version)` };
  return {
    shape: '2019',
    reason: 'detected: nothing in the config is newer than go-wxpay-gateway\'s first README (set "api-shape" to choose)',
  };
}

/**
 * True when the apps of a config may learn their results without a callback: the file is written
 * for go-wxpay-gateway's current version (whose apps receive WeChat's notifications at their own
 * `notifyUrl` and ask `verify-notify-pay` to check them) and that endpoint is served.
 */
export function appsCheckNotifications(shape: ApiShape, endpoints: Pick<GatewayEndpoints, 'verifyNotifyPay'>): boolean {
  return shape === 'current' && endpoints.verifyNotifyPay !== '';
}
