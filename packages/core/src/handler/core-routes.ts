import type { z } from 'zod';
import type { CoreRoute } from './route-context.js';
import { closeOrderRoute } from './routes/close-order.js';
import { confirmRoute } from './routes/confirm.js';
import { createPayRoute } from './routes/create-pay.js';
import { createRefundRoute } from './routes/create-refund.js';
import { micropayRoute } from './routes/micropay.js';
import { notifyPayRoute } from './routes/notify-pay.js';
import { notifyRefundRoute } from './routes/notify-refund.js';
import { queryOrderRoute } from './routes/query-order.js';
import { queryRefundRoute } from './routes/query-refund.js';
import { cancelTransferRoute } from './routes/cancel-transfer.js';
import { confirmTransferRoute } from './routes/confirm-transfer.js';
import { createTransferRoute } from './routes/create-transfer.js';
import { notifyTransferRoute } from './routes/notify-transfer.js';
import { queryTransferRoute } from './routes/query-transfer-bill.js';

/** @internal Every route of the core, in matching order. */
export const CORE_ROUTE_TABLE: readonly CoreRoute[] = Object.freeze([
  createPayRoute,
  queryOrderRoute,
  closeOrderRoute,
  createRefundRoute,
  queryRefundRoute,
  confirmRoute,
  micropayRoute,
  notifyPayRoute,
  notifyRefundRoute,
  createTransferRoute,
  queryTransferRoute,
  cancelTransferRoute,
  confirmTransferRoute,
  notifyTransferRoute,
]);

/** One core route as hosts see it, e.g. to register exact routes instead of a wildcard. */
export interface CoreRouteInfo {
  readonly method: 'POST';
  /** Relative to the mount point, with `:name` parameters. */
  readonly path: string;
  /** True for WeChat's notification routes: signed or encrypted XML, public (no bearer token). */
  readonly signed: boolean;
  /**
   * The zod schema a JSON route checks its body with (field names of the seed's API; undefined for
   * the notification routes). Documentation is generated from it, e.g. the gateway's
   * `/openapi.json` with `z.toJSONSchema(route.body, { io: 'input' })`.
   */
  readonly body: z.ZodType | undefined;
}

/**
 * The core's routes: `POST /create-pay/:type`, `/query-order`, `/close-order`, `/create-refund`,
 * `/query-refund`, `/confirm`, `/micropay`, `/create-transfer`, `/query-transfer-bill`, `/cancel-transfer`,
 * `/confirm-transfer` (internal, JSON) and `/notify-pay/:app`, `/notify-refund/:app`,
 * `/notify-transfer/:app` (WeChat's notifications).
 */
export const CORE_ROUTES: readonly CoreRouteInfo[] = Object.freeze(
  CORE_ROUTE_TABLE.map((r) =>
    Object.freeze({ method: r.method, path: r.path, signed: r.kind === 'notify', body: r.kind === 'json' ? r.body : undefined }),
  ),
);
