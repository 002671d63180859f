import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import { okEnvelope } from '../respond.js';
import { parseBody, resolveTarget, type JsonRoute } from '../route-context.js';
import { optionalText, targetFields } from './schemas.js';
import { billResult, withWeChatErrors } from './transfer-common.js';

const body = z.object({ ...targetFields, outBillNo: optionalText, transferBillNo: optionalText });

/**
 * `POST /query-transfer-bill` (not `query-transfer`: the seed gateway's config names its v2 企业付款 query so): `{appId, payApp, outBillNo | transferBillNo}` → `{code: 200, msg: 'OK',
 * result}` with the bill as WeChat reports it now. Fires no event (`confirm-transfer` does).
 */
export const queryTransferRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/query-transfer-bill',
  async handle(ctx, raw) {
    const input = parseBody(body, raw);
    if ((input.outBillNo === undefined) === (input.transferBillNo === undefined)) {
      throw new ValidationError('outBillNo: give outBillNo or transferBillNo (one of them)', { field: 'outBillNo' });
    }
    const { merchant, appId } = resolveTarget(ctx, input.payApp, input.appId);
    return withWeChatErrors(async () => {
      const bill = await ctx.client.queryTransfer({
        merchant: merchant.name,
        appId,
        outBillNo: input.outBillNo,
        transferBillNo: input.transferBillNo,
      });
      return okEnvelope(billResult(bill));
    });
  },
};
