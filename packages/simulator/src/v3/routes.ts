/** The WeChat Pay v3 APIs the simulator serves (direct-merchant variants). */
export type V3Endpoint =
  | 'order'
  | 'query-by-out-trade-no'
  | 'query-by-id'
  | 'close'
  | 'refund'
  | 'refund-query'
  | 'certificates'
  | 'transfer-create'
  | 'transfer-cancel'
  | 'transfer-query-by-out-bill-no'
  | 'transfer-query-by-bill-no'
  | 'codepay'
  | 'reverse'
  | 'tradebill'
  | 'fundflowbill'
  | 'bill-download'
  | 'batch-create'
  | 'batch-by-out-batch-no'
  | 'batch-by-batch-id'
  | 'batch-detail-by-out-no'
  | 'batch-detail-by-id';

/** A `/v3/` request resolved to an API. */
export interface V3Route {
  readonly endpoint: V3Endpoint;
  /** The path with its parameter as a placeholder, e.g. `/v3/pay/transactions/id/{transaction_id}` (fault filters may name it). */
  readonly canonicalPath: string;
  /** The decoded path parameter (order, transaction or refund number), if the path has one. */
  readonly param: string | undefined;
  /** For `order`: `jsapi`, `app`, `h5` or `native`. */
  readonly kind: OrderKind | undefined;
  /** The second path parameter (a batch detail's number), if the path has one. */
  readonly detail?: string | undefined;
}

export type OrderKind = 'jsapi' | 'app' | 'h5' | 'native';

/** The v2 `trade_type` each order path stands for (orders of both versions share one ledger). */
export const TRADE_TYPE: Readonly<Record<OrderKind, string>> = { jsapi: 'JSAPI', app: 'APP', h5: 'MWEB', native: 'NATIVE' };

/** Where a bill applied for through `tradebill` / `fundflowbill` is downloaded (`?token=…`). */
export const BILL_DOWNLOAD_PATH = '/v3/billdownload/file';

/** True for paths the v3 side answers. */
export function isV3Path(path: string): boolean {
  return path === '/v3' || path.startsWith('/v3/');
}

/** Resolves method and path (relative to the base path, no query) to a v3 API; undefined when there is none. */
export function resolveV3Route(method: string, path: string): V3Route | undefined {
  const route = (endpoint: V3Endpoint, canonicalPath: string, param?: string, kind?: OrderKind): V3Route => ({
    endpoint,
    canonicalPath,
    param: param === undefined ? undefined : decodeURIComponent(param),
    kind,
  });
  let m: RegExpExecArray | null;
  if (method === 'POST' && (m = /^\/v3\/pay\/transactions\/(jsapi|app|h5|native)$/.exec(path))) {
    return route('order', path, undefined, m[1] as OrderKind);
  }
  if (method === 'GET' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/.exec(path))) {
    return route('query-by-out-trade-no', '/v3/pay/transactions/out-trade-no/{out_trade_no}', m[1]);
  }
  if (method === 'GET' && (m = /^\/v3\/pay\/transactions\/id\/([^/]+)$/.exec(path))) {
    return route('query-by-id', '/v3/pay/transactions/id/{transaction_id}', m[1]);
  }
  if (method === 'POST' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/.exec(path))) {
    return route('close', '/v3/pay/transactions/out-trade-no/{out_trade_no}/close', m[1]);
  }
  if (method === 'POST' && path === '/v3/pay/transactions/codepay') return route('codepay', path);
  if (method === 'POST' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/reverse$/.exec(path))) {
    return route('reverse', '/v3/pay/transactions/out-trade-no/{out_trade_no}/reverse', m[1]);
  }
  if (method === 'POST' && path === '/v3/refund/domestic/refunds') return route('refund', path);
  if (method === 'GET' && (m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(path))) {
    return route('refund-query', '/v3/refund/domestic/refunds/{out_refund_no}', m[1]);
  }
  if (method === 'GET' && path === '/v3/certificates') return route('certificates', path);
  if (method === 'GET' && path === '/v3/bill/tradebill') return route('tradebill', path);
  if (method === 'GET' && path === '/v3/bill/fundflowbill') return route('fundflowbill', path);
  if (method === 'GET' && path === BILL_DOWNLOAD_PATH) return route('bill-download', path);
  const bills = '/v3/fund-app/mch-transfer/transfer-bills';
  if (path.startsWith(bills)) {
    if (method === 'POST' && path === bills) return route('transfer-create', path);
    if (method === 'POST' && (m = /^\/out-bill-no\/([^/]+)\/cancel$/.exec(path.slice(bills.length)))) {
      return route('transfer-cancel', `${bills}/out-bill-no/{out_bill_no}/cancel`, m[1]);
    }
    if (method === 'GET' && (m = /^\/out-bill-no\/([^/]+)$/.exec(path.slice(bills.length)))) {
      return route('transfer-query-by-out-bill-no', `${bills}/out-bill-no/{out_bill_no}`, m[1]);
    }
    if (method === 'GET' && (m = /^\/transfer-bill-no\/([^/]+)$/.exec(path.slice(bills.length)))) {
      return route('transfer-query-by-bill-no', `${bills}/transfer-bill-no/{transfer_bill_no}`, m[1]);
    }
  }
  const batches = '/v3/transfer/batches';
  if (method === 'POST' && path === batches) return route('batch-create', path);
  if (method === 'GET' && path.startsWith(`${batches}/`)) {
    const rest = path.slice(batches.length);
    if ((m = /^\/out-batch-no\/([^/]+)$/.exec(rest))) return route('batch-by-out-batch-no', `${batches}/out-batch-no/{out_batch_no}`, m[1]);
    if ((m = /^\/batch-id\/([^/]+)$/.exec(rest))) return route('batch-by-batch-id', `${batches}/batch-id/{batch_id}`, m[1]);
    if ((m = /^\/out-batch-no\/([^/]+)\/details\/out-detail-no\/([^/]+)$/.exec(rest))) {
      return {
        ...route('batch-detail-by-out-no', `${batches}/out-batch-no/{out_batch_no}/details/out-detail-no/{out_detail_no}`, m[1]),
        detail: decodeURIComponent(m[2]!),
      };
    }
    if ((m = /^\/batch-id\/([^/]+)\/details\/detail-id\/([^/]+)$/.exec(rest))) {
      return {
        ...route('batch-detail-by-id', `${batches}/batch-id/{batch_id}/details/detail-id/{detail_id}`, m[1]),
        detail: decodeURIComponent(m[2]!),
      };
    }
  }
  return undefined;
}
