import { confirmOrder } from '../../flow/order-calls.js';
import { jsonResponse } from '../respond.js';
import { parseBody, type JsonRoute } from '../route-context.js';
import { orderBody, orderStateOf } from './query-order.js';

/**
 * `POST /confirm`: the front end calls it after the user paid. `{appId, payApp}` and exactly one
 * of `orderId` and `transactionId` →
 * queries WeChat; when the order is paid and `paid` has not fired for it yet, fires `paid` with
 * `source: 'confirm'` through the same once-per-transaction path as the notification (so a
 * notification racing it still gives one `paid`). Answers the order state in query-order's shape.
 *
 * A payment-code order (recorded by `micropay`) that is not final yet is followed to its end here
 * (queried, and reversed once its deadline passed), as `micropay` would; the answer is then the
 * order's state after that (`SUCCESS` or `REVOKED`).
 *
 * When the recorded order disagrees with WeChat's answer, or a listener rejects, no `paid` counts
 * as delivered: the failure goes to the `error` event and the caller gets the error (calling
 * confirm again retries). The work is `confirmOrder` in `flow/order-calls.ts`, which
 * `wxpay.confirm()` calls too.
 */
export const confirmRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/confirm',
  body: orderBody,
  async handle(ctx, raw) {
    const input = parseBody(orderBody, raw);
    const result = await confirmOrder(ctx, { ...input, app: input.payApp, appField: 'payApp' }, '/confirm');
    return jsonResponse(200, orderStateOf(result));
  },
};
