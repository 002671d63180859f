import { closeOrder } from '../../flow/order-calls.js';
import { okEnvelope } from '../respond.js';
import { parseBody, type JsonRoute } from '../route-context.js';
import { orderBody } from './query-order.js';

/**
 * `POST /close-order`: `{appId, payApp, orderId}` → `{code: 200, msg: 'OK'}`. WeChat closes an order
 * by the merchant's order number only, so a `transactionId` is refused with a 400 saying so. An order WeChat
 * already closed counts as closed; a paid one answers 409 with WeChat's `ORDERPAID`. The work is
 * `closeOrder` in `flow/order-calls.ts`, which `wxpay.closeOrder()` calls too.
 */
export const closeOrderRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/close-order',
  body: orderBody,
  async handle(ctx, raw) {
    const input = parseBody(orderBody, raw);
    await closeOrder(ctx, { ...input, app: input.payApp, appField: 'payApp' });
    return okEnvelope();
  },
};
