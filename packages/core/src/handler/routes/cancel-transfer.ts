import { z } from 'zod';
import { okEnvelope } from '../respond.js';
import { parseBody, resolveTarget, type JsonRoute } from '../route-context.js';
import { targetFields, text } from './schemas.js';
import { billResult, withWeChatErrors } from './transfer-common.js';

const body = z.object({ ...targetFields, outBillNo: text });

/**
 * `POST /cancel-transfer`: `{appId, payApp, outBillNo}` → `{code: 200, msg: 'OK', result}` with the
 * bill `CANCELING` (or `CANCELLED`). The cancel completes asynchronously: `transfer-cancelled`
 * fires when the callback (or `confirm-transfer`) reports `CANCELLED`.
 */
export const cancelTransferRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/cancel-transfer',
  async handle(ctx, raw) {
    const input = parseBody(body, raw);
    const { merchant, appId } = resolveTarget(ctx, input.payApp, input.appId);
    return withWeChatErrors(async () =>
      okEnvelope(billResult(await ctx.client.cancelTransfer({ merchant: merchant.name, appId, outBillNo: input.outBillNo }))),
    );
  },
};
