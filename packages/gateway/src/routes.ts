import { GATEWAY_ENDPOINTS, type GatewayEndpoints, type TransferBillsCall } from './endpoints.js';

/** Where one request path leads. */
export type GatewayRoute =
  /** A core route; `path` is relative to the core's mount point (`/create-pay/NATIVE`). */
  | { readonly kind: 'core'; readonly path: string }
  | { readonly kind: 'health' }
  | { readonly kind: 'ready' }
  | { readonly kind: 'verify-notify'; readonly notification: 'pay' | 'refund' }
  | { readonly kind: 'transfer-bills'; readonly call: TransferBillsCall }
  /** `app`: the path segment after the endpoint (go-wxpay-gateway's `:payApp`). */
  | { readonly kind: 'verify-transfer-bills'; readonly app: string }
  /** `op`: the path segment after the real-name root. */
  | { readonly kind: 'realname'; readonly op: string }
  | { readonly kind: 'metrics' }
  | { readonly kind: 'reconcile' }
  | { readonly kind: 'openapi' };

/**
 * Maps the seed's configured endpoint paths onto the core's relative routes: `/wxpay/queryorder`
 * → `/query-order`, `/wxpay/create-pay/NATIVE` → `/create-pay/NATIVE`, and so on. Returns
 * undefined for paths that are no endpoint. A disabled endpoint (`""`) matches nothing.
 */
export function createPathMapper(endpoints: GatewayEndpoints): (pathname: string) => GatewayRoute | undefined {
  const exact = new Map<string, GatewayRoute>();
  const prefixed: (readonly [prefix: string, route: (rest: string) => GatewayRoute])[] = [];
  for (const { key, target } of GATEWAY_ENDPOINTS) {
    const path = endpoints[key];
    if (!path) continue;
    if (target.kind === 'core') {
      if (target.param) prefixed.push([`${path}/`, (rest) => ({ kind: 'core', path: `${target.path}/${rest}` })]);
      else exact.set(path, { kind: 'core', path: target.path });
    } else if (target.kind === 'realname') prefixed.push([`${path}/`, (op) => ({ kind: 'realname', op })]);
    else if (target.kind === 'verify-transfer-bills') {
      prefixed.push([`${path}/`, (app) => ({ kind: 'verify-transfer-bills', app: decodeSegment(app) })]);
    } else if (target.kind === 'verify-notify' || target.kind === 'transfer-bills') exact.set(path, target);
    else exact.set(path, { kind: target.kind });
  }

  return (pathname) => {
    const hit = exact.get(pathname);
    if (hit) return hit;
    for (const [prefix, route] of prefixed) {
      if (!pathname.startsWith(prefix)) continue;
      const rest = pathname.slice(prefix.length);
      if (rest === '' || rest.includes('/')) continue;
      return route(rest);
    }
    return undefined;
  };
}

/** A path segment as sent (`%2D` → `-`); one that does not decode stays as it is (no app has that name). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
