import type { SimEnvironment } from '../types.js';

/** The WeChat Pay v2 APIs the simulator serves. */
export type Endpoint =
  | 'unifiedorder'
  | 'orderquery'
  | 'closeorder'
  | 'refund'
  | 'refundquery'
  | 'downloadbill'
  | 'getsignkey'
  | 'micropay'
  | 'reverse'
  | 'promotiontransfers'
  | 'gettransferinfo';

/** A request path resolved to an API. */
export interface WireRoute {
  readonly endpoint: Endpoint;
  readonly environment: SimEnvironment;
  /** The production path of the API, e.g. `/pay/unifiedorder` (fault filters may name either form). */
  readonly canonicalPath: string;
  /** `/secapi/...` and `/mmpaymkttransfers/...` paths need the merchant's client certificate (spec §1.3, v3-more §2.2). */
  readonly needsCert: boolean;
}

const PRODUCTION_PATHS: Readonly<Record<string, Endpoint>> = {
  '/pay/unifiedorder': 'unifiedorder',
  '/pay/orderquery': 'orderquery',
  '/pay/closeorder': 'closeorder',
  '/secapi/pay/refund': 'refund',
  '/pay/refundquery': 'refundquery',
  '/pay/downloadbill': 'downloadbill',
  '/pay/micropay': 'micropay',
  '/secapi/pay/reverse': 'reverse',
};

/** 企业付款 (spec v3-more §2.2): production only, WeChat documents no sandbox path for it. */
const TRANSFER_PATHS: Readonly<Record<string, Endpoint>> = {
  '/mmpaymkttransfers/promotion/transfers': 'promotiontransfers',
  '/mmpaymkttransfers/gettransferinfo': 'gettransferinfo',
};

/** The sandbox serves the same APIs under `/sandboxnew`, its refund also as `/pay/refund` (spec §3). */
const SANDBOX_PATHS: Readonly<Record<string, Endpoint>> = {
  ...PRODUCTION_PATHS,
  '/pay/refund': 'refund',
  '/pay/reverse': 'reverse',
  '/pay/getsignkey': 'getsignkey',
};

const CANONICAL: Readonly<Record<Endpoint, string>> = {
  unifiedorder: '/pay/unifiedorder',
  orderquery: '/pay/orderquery',
  closeorder: '/pay/closeorder',
  refund: '/secapi/pay/refund',
  refundquery: '/pay/refundquery',
  downloadbill: '/pay/downloadbill',
  getsignkey: '/sandboxnew/pay/getsignkey',
  micropay: '/pay/micropay',
  reverse: '/secapi/pay/reverse',
  promotiontransfers: '/mmpaymkttransfers/promotion/transfers',
  gettransferinfo: '/mmpaymkttransfers/gettransferinfo',
};

/** Resolves a path (relative to the simulator's base path, no query) to an API, or undefined. */
export function resolveWireRoute(path: string): WireRoute | undefined {
  const sandbox = path.startsWith('/sandboxnew/');
  const rest = sandbox ? path.slice('/sandboxnew'.length) : path;
  const table = sandbox ? SANDBOX_PATHS : Object.hasOwn(TRANSFER_PATHS, rest) ? TRANSFER_PATHS : PRODUCTION_PATHS;
  const endpoint = table[rest];
  if (endpoint === undefined || !Object.hasOwn(table, rest)) return undefined;
  return {
    endpoint,
    environment: sandbox ? 'sandbox' : 'production',
    canonicalPath: CANONICAL[endpoint],
    needsCert: rest.startsWith('/secapi/') || table === TRANSFER_PATHS,
  };
}
