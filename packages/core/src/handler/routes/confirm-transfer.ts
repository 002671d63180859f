import { confirmTransfer } from '../../flow/transfer-calls.js';
import { okEnvelope } from '../respond.js';
import { parseBody, type JsonRoute } from '../route-context.js';
import { outBillBody } from './cancel-transfer.js';
import { billResult, withWeChatErrors } from './transfer-common.js';

/**
 * `POST /confirm-transfer`: the front end calls it after `wx.requestMerchantTransfer` returned (or
 * at any time). `{appId, payApp, outBillNo}` → queries WeChat; when the bill is final (`SUCCESS`,
 * `FAIL`, `CANCELLED`) and its event has not fired yet, fires `transferred`, `transfer-failed` or
 * `transfer-cancelled` with `source: 'confirm'` through the same once-per-bill path as the
 * callback. Answers the bill as query-transfer does. A listener's rejection goes to the `error`
 * event and to the caller (calling again retries). The work is `confirmTransfer` in
 * `flow/transfer-calls.ts`, which `wxpay.confirmTransfer()` calls too.
 */
export const confirmTransferRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/confirm-transfer',
  body: outBillBody,
  async handle(ctx, raw) {
    const input = parseBody(outBillBody, raw);
    return withWeChatErrors(async () =>
      okEnvelope(billResult(await confirmTransfer(ctx, { ...input, app: input.payApp, appField: 'payApp' }, '/confirm-transfer'))),
    );
  },
};
