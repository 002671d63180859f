import type { z } from 'zod';
import { CORE_ROUTES, type CoreRouteInfo } from '@wxpay-kit/core';

/** Request paths the gateway serves, from the config's `endpoints`. `''` disables a route. */
export interface GatewayEndpoints {
  /** `<createPay>/<type>` with type JSAPI, NATIVE, APP or H5. */
  readonly createPay: string;
  /** `<notifyPay>/<app>`: WeChat's pay notifications. */
  readonly notifyPay: string;
  readonly createRefund: string;
  /** `<notifyRefund>/<app>`: WeChat's refund notifications. */
  readonly notifyRefund: string;
  readonly queryOrder: string;
  readonly closeOrder: string;
  readonly queryRefund: string;
  readonly confirm: string;
  /** Transfer bills (商家转账): create, query, cancel, active query. */
  readonly createTransfer: string;
  readonly queryTransferBill: string;
  readonly cancelTransfer: string;
  readonly confirmTransfer: string;
  /** `<notifyTransfer>/<app>`: WeChat's transfer callbacks (`MCHTRANSFER.BILL.FINISHED`). */
  readonly notifyTransfer: string;
  /** Payment-code payments at a counter, run to their end (query, reverse). */
  readonly micropay: string;
  /** Liveness: answers 200 while the process runs. */
  readonly health: string;
  /** Readiness: answers 200 when the store is reachable, 503 otherwise. */
  readonly ready: string;
  /** `<verifyNotifyPay>?app=<app>`: a pay notification the app received itself, checked for it. */
  readonly verifyNotifyPay: string;
  /** `<verifyNotifyRefund>?app=<app>`: a refund notification the app received itself, checked for it. */
  readonly verifyNotifyRefund: string;
  /** go-wxpay-gateway's `v3-transfer-bills`: a transfer bill, in the seed's fields (`out_bill_no`, `transfer_amount`, …). */
  readonly v3TransferBills: string;
  /** go-wxpay-gateway's `v3-query-transfer-bills`: `{payApp, out_bills_no}` (sic); fires the bill's final event once. */
  readonly v3QueryTransferBills: string;
  /** go-wxpay-gateway's `v3-cancel-transfer-bills`: `{payApp, out_bills_no}` (sic). */
  readonly v3CancelTransferBills: string;
  /** `<v3VerifyTransferBills>/<app>`: a transfer callback the app received itself, checked for it (headers and body as received). */
  readonly v3VerifyTransferBills: string;
  /** `<realnameAuthRoot>/<op>`: go-wxpay-gateway's real-name calls, answered 501 here. Default `''` (off). */
  readonly realnameAuthRoot: string;
  /** Prometheus metrics (text format); behind the bearer token when one is configured. */
  readonly metrics: string;
  /** `POST`: reconcile a day's trade bills now (`wxpay-gateway reconcile` asks a running gateway here); behind the bearer token. */
  readonly reconcile: string;
  /** The OpenAPI 3.1 document of this gateway's endpoints (public). */
  readonly openapi: string;
}

/** Where requests to an endpoint lead. */
export type EndpointTarget =
  /** A core route: `path` relative to the core's mount point; `param`: one more path segment follows (the trade type or app name). */
  | { readonly kind: 'core'; readonly path: string; readonly param: boolean }
  | { readonly kind: 'health' }
  | { readonly kind: 'ready' }
  /** go-wxpay-gateway's `verify-notify-*`: the app posts what WeChat sent it, `?app=<name>`. */
  | { readonly kind: 'verify-notify'; readonly notification: 'pay' | 'refund' }
  /** go-wxpay-gateway's transfer-bill calls (商家转账), in its field names, run by the core's transfer routes. */
  | { readonly kind: 'transfer-bills'; readonly call: TransferBillsCall }
  /** go-wxpay-gateway's `v3-verify-transfer-bills/:payApp`: the app posts WeChat's transfer callback, headers included. */
  | { readonly kind: 'verify-transfer-bills' }
  /** go-wxpay-gateway's real-name calls, `<root>/:op`. */
  | { readonly kind: 'realname' }
  | { readonly kind: 'metrics' }
  | { readonly kind: 'reconcile' }
  | { readonly kind: 'openapi' };

/** go-wxpay-gateway's transfer-bill calls: create (`v3-transfer-bills`), query and cancel by `out_bills_no`. */
export type TransferBillsCall = 'create' | 'query' | 'cancel';

/** One endpoint of the gateway. */
export interface GatewayEndpoint {
  /** Its key in {@link GatewayEndpoints}. */
  readonly key: keyof GatewayEndpoints;
  /** Its key under the config file's `endpoints` (the seed's kebab-case name). */
  readonly configKey: string;
  /** Its path when the config names none. */
  readonly defaultPath: string;
  readonly target: EndpointTarget;
  /** The zod schema the endpoint checks its JSON body with (the OpenAPI document's request body is made from it). */
  readonly request?: z.ZodType | undefined;
  /** True for WeChat's notification endpoints (signed bodies, public). */
  readonly signed?: boolean | undefined;
  /** The name of the path segment that follows the endpoint's path (`type` of `create-pay/:type`), when one does. */
  readonly paramName?: string | undefined;
}

/** `/create-pay/:type` → `create-pay`, a parameter follows; `/query-order` → `query-order`. */
function fromCoreRoute(route: CoreRouteInfo): GatewayEndpoint {
  const match = /^\/([a-z][a-z-]*)(\/:[A-Za-z]+)?$/.exec(route.path);
  if (!match) throw new Error(`wxpay-gateway: the core route ${route.path} has no endpoint shape the gateway knows`);
  const name = match[1]!;
  return {
    key: name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof GatewayEndpoints,
    configKey: name,
    defaultPath: `/wxpay/${name}`,
    target: { kind: 'core', path: `/${name}`, param: match[2] !== undefined },
    request: route.body,
    signed: route.signed,
    paramName: match[2]?.slice(2),
  };
}

/**
 * Every endpoint of the gateway: the core's routes, each under the seed's name for it
 * (`create-pay` at `/wxpay/create-pay`, configured as `endpoints["create-pay"]`), then the
 * gateway's own health and readiness checks, then go-wxpay-gateway's current-version endpoints that
 * are not core routes (`verify-notify-*`, the `v3-*-transfer-bills` family, `realname-auth-root`),
 * the metrics and the OpenAPI document. The config schema, the defaults and the path mapper
 * are all built from this list.
 */
export const GATEWAY_ENDPOINTS: readonly GatewayEndpoint[] = Object.freeze([
  ...CORE_ROUTES.map(fromCoreRoute),
  { key: 'health', configKey: 'health', defaultPath: '/health', target: { kind: 'health' } },
  { key: 'ready', configKey: 'ready', defaultPath: '/ready', target: { kind: 'ready' } },
  {
    key: 'verifyNotifyPay',
    configKey: 'verify-notify-pay',
    defaultPath: '/wxpay/verify-notify-pay',
    target: { kind: 'verify-notify', notification: 'pay' },
  },
  {
    key: 'verifyNotifyRefund',
    configKey: 'verify-notify-refund',
    defaultPath: '/wxpay/verify-notify-refund',
    target: { kind: 'verify-notify', notification: 'refund' },
  },
  // go-wxpay-gateway's transfer bills (2025), at the paths its README gives them.
  {
    key: 'v3TransferBills',
    configKey: 'v3-transfer-bills',
    defaultPath: '/v3/transfer-bills',
    target: { kind: 'transfer-bills', call: 'create' },
  },
  {
    key: 'v3QueryTransferBills',
    configKey: 'v3-query-transfer-bills',
    defaultPath: '/v3/query-transfer-bills',
    target: { kind: 'transfer-bills', call: 'query' },
  },
  {
    key: 'v3CancelTransferBills',
    configKey: 'v3-cancel-transfer-bills',
    defaultPath: '/v3/cancel-transfer-bills',
    target: { kind: 'transfer-bills', call: 'cancel' },
  },
  {
    key: 'v3VerifyTransferBills',
    configKey: 'v3-verify-transfer-bills',
    defaultPath: '/v3/verify-transfer-bills',
    target: { kind: 'verify-transfer-bills' },
  },
  { key: 'realnameAuthRoot', configKey: 'realname-auth-root', defaultPath: '', target: { kind: 'realname' } },
  { key: 'metrics', configKey: 'metrics', defaultPath: '/metrics', target: { kind: 'metrics' } },
  { key: 'reconcile', configKey: 'reconcile', defaultPath: '/wxpay/reconcile', target: { kind: 'reconcile' } },
  { key: 'openapi', configKey: 'openapi', defaultPath: '/openapi.json', target: { kind: 'openapi' } },
]);

/** The seed's endpoint paths, plus ours, used when `endpoints` leaves one out. */
export const DEFAULT_ENDPOINTS: GatewayEndpoints = Object.freeze(
  Object.fromEntries(GATEWAY_ENDPOINTS.map((e) => [e.key, e.defaultPath])) as unknown as GatewayEndpoints,
);

/** True when one more path segment follows the endpoint's path (the trade type, the app name, the op). */
export function takesParam(target: EndpointTarget): boolean {
  return (target.kind === 'core' && target.param) || target.kind === 'realname' || target.kind === 'verify-transfer-bills';
}

/**
 * The endpoint paths of a config's `endpoints` (seed keys), defaults filled in, trailing slashes
 * dropped. An endpoint followed by a segment may name it as go-wxpay-gateway's router does
 * (`"/v3/verify-transfer-bills/:payApp"`): the `/:name` is dropped, the segment still follows.
 */
export function resolveEndpoints(seed: Readonly<Record<string, string | undefined>> | undefined): GatewayEndpoints {
  const out: Record<string, string> = {};
  for (const e of GATEWAY_ENDPOINTS) {
    const v = seed?.[e.configKey];
    let path = v === undefined ? e.defaultPath : v.replace(/\/+$/, '');
    if (takesParam(e.target)) path = path.replace(/\/:[A-Za-z_][A-Za-z0-9_]*$/, '');
    out[e.key] = path;
  }
  return out as unknown as GatewayEndpoints;
}
