import { z } from 'zod';
import { cancelTransfer } from '../../flow/transfer-calls.js';
import { okEnvelope } from '../respond.js';
import { parseBody, type JsonRoute } from '../route-context.js';
import { targetFields, text } from './schemas.js';
import { billResult, withWeChatErrors } from './transfer-common.js';

/** The body of `cancel-transfer` and `confirm-transfer`. */
export const outBillBody = z.object({ ...targetFields, outBillNo: text });

/**
 * `POST /cancel-transfer`: `{appId, payApp, outBillNo}` → `{code: 200, msg: 'OK', result}` with the
 * bill `CANCELING` (or `CANCELLED`). The cancel completes asynchronously: `transfer-cancelled`
 * fires when the callback (or `confirm-transfer`) reports `CANCELLED`. The work is
 * `cancelTransfer` in `flow/transfer-calls.ts`, which `wxpay.cancelTransfer()` calls too.
 */
export const cancelTransferRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/cancel-transfer',
  body: outBillBody,
  async handle(ctx, raw) {
    const input = parseBody(outBillBody, raw);
    return withWeChatErrors(async () =>
      okEnvelope(billResult(await cancelTransfer(ctx, { ...input, app: input.payApp, appField: 'payApp' }))),
    );
  },
};
