import type { GatewayEndpoints } from './config/gateway-config.js';

/** Where one request path leads. */
export type GatewayRoute =
  /** A core route; `path` is relative to the core's mount point (`/create-pay/NATIVE`). */
  | { readonly kind: 'core'; readonly path: string }
  | { readonly kind: 'health' }
  | { readonly kind: 'ready' };

/** Endpoints whose configured path is the whole route. */
const EXACT: ReadonlyArray<readonly [keyof GatewayEndpoints, string]> = [
  ['queryOrder', '/query-order'],
  ['closeOrder', '/close-order'],
  ['createRefund', '/create-refund'],
  ['queryRefund', '/query-refund'],
  ['confirm', '/confirm'],
];

/** Endpoints followed by one more segment: the trade type or the app name. */
const WITH_PARAM: ReadonlyArray<readonly [keyof GatewayEndpoints, string]> = [
  ['createPay', '/create-pay'],
  ['notifyPay', '/notify-pay'],
  ['notifyRefund', '/notify-refund'],
];

/**
 * Maps the seed's configured endpoint paths onto the core's relative routes: `/wxpay/queryorder`
 * → `/query-order`, `/wxpay/create-pay/NATIVE` → `/create-pay/NATIVE`, and so on. Returns
 * undefined for paths that are no endpoint. A disabled endpoint (`""`) matches nothing.
 */
export function createPathMapper(endpoints: GatewayEndpoints): (pathname: string) => GatewayRoute | undefined {
  const exact = new Map<string, GatewayRoute>();
  for (const [key, core] of EXACT) if (endpoints[key]) exact.set(endpoints[key], { kind: 'core', path: core });
  if (endpoints.health) exact.set(endpoints.health, { kind: 'health' });
  if (endpoints.ready) exact.set(endpoints.ready, { kind: 'ready' });
  const prefixed = WITH_PARAM.filter(([key]) => endpoints[key]).map(([key, core]) => [`${endpoints[key]}/`, core] as const);

  return (pathname) => {
    const hit = exact.get(pathname);
    if (hit) return hit;
    for (const [prefix, core] of prefixed) {
      if (!pathname.startsWith(prefix)) continue;
      const rest = pathname.slice(prefix.length);
      if (rest === '' || rest.includes('/')) continue;
      return { kind: 'core', path: `${core}/${rest}` };
    }
    return undefined;
  };
}
