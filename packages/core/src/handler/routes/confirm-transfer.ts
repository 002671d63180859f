import { z } from 'zod';
import { InternalError, isWxPayKitError } from '../../errors.js';
import { isFinalTransferState } from '../../model/transfer.js';
import { okEnvelope } from '../respond.js';
import { parseBody, resolveTarget, type JsonRoute } from '../route-context.js';
import { fireTransfer, transferFacts } from '../../flow/transfer-flow.js';
import { targetFields, text } from './schemas.js';
import { billResult, withWeChatErrors } from './transfer-common.js';

const body = z.object({ ...targetFields, outBillNo: text });

/**
 * `POST /confirm-transfer`: the front end calls it after `wx.requestMerchantTransfer` returned (or
 * at any time). `{appId, payApp, outBillNo}` → queries WeChat; when the bill is final (`SUCCESS`,
 * `FAIL`, `CANCELLED`) and its event has not fired yet, fires `transferred`, `transfer-failed` or
 * `transfer-cancelled` with `source: 'confirm'` through the same once-per-bill path as the
 * callback. Answers the bill as query-transfer does. A listener's rejection goes to the `error`
 * event and to the caller (calling again retries).
 */
export const confirmTransferRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/confirm-transfer',
  async handle(ctx, raw) {
    const input = parseBody(body, raw);
    const { app, merchant, appId } = resolveTarget(ctx, input.payApp, input.appId);
    return withWeChatErrors(async () => {
      const bill = await ctx.client.queryTransfer({ merchant: merchant.name, appId, outBillNo: input.outBillNo });
      if (isFinalTransferState(bill.state)) {
        try {
          // The app id WeChat's reply names (the request's when it names none) stands in when no record has one.
          await fireTransfer(ctx, transferFacts(app.name, merchant.mchId, bill, bill.state, 'confirm', bill.raw), bill.appId);
        } catch (cause) {
          const error = isWxPayKitError(cause) ? cause : new InternalError('confirming the transfer failed', { cause });
          ctx.emitter.emitError({ error, route: confirmTransferRoute.path, app: app.name });
          throw error;
        }
      }
      return okEnvelope(billResult(bill));
    });
  },
};
