import { z } from 'zod';
import { okEnvelope } from '../respond.js';
import { parseBody, resolveTarget, type JsonRoute } from '../route-context.js';
import { targetFields, text } from './schemas.js';

const body = z.object({ ...targetFields, orderId: text });

/**
 * `POST /close-order`: `{appId, payApp, orderId}` → `{code: 200, msg: 'OK'}`. An order WeChat
 * already closed counts as closed; a paid one answers 502 with WeChat's `ORDERPAID`.
 */
export const closeOrderRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/close-order',
  async handle(ctx, raw) {
    const input = parseBody(body, raw);
    const { merchant, appId } = resolveTarget(ctx, input.payApp, input.appId);
    await ctx.client.closeOrder({ merchant: merchant.name, appId, outTradeNo: input.orderId });
    return okEnvelope();
  },
};
