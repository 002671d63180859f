import { z } from 'zod';
import { okEnvelope } from '../respond.js';
import { parseBody, resolveTarget, type JsonRoute } from '../route-context.js';
import { ValidationError } from '../../errors.js';
import { orderIdFields, orderRef, targetFields } from './schemas.js';

const body = z.object({ ...targetFields, ...orderIdFields });

/**
 * `POST /close-order`: `{appId, payApp, orderId}` → `{code: 200, msg: 'OK'}`. WeChat closes an order
 * by the merchant's order number only, so a `transactionId` is refused with a 400 saying so. An order WeChat
 * already closed counts as closed; a paid one answers 502 with WeChat's `ORDERPAID`.
 */
export const closeOrderRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/close-order',
  async handle(ctx, raw) {
    const input = parseBody(body, raw);
    const { merchant, appId } = resolveTarget(ctx, input.payApp, input.appId);
    const ref = orderRef(input);
    if (ref.outTradeNo === undefined) {
      throw new ValidationError('transactionId: WeChat closes an order by its orderId only (closeorder takes out_trade_no); give orderId', {
        field: 'transactionId',
      });
    }
    await ctx.client.closeOrder({ merchant: merchant.name, appId, outTradeNo: ref.outTradeNo });
    return okEnvelope();
  },
};
