import { z } from 'zod';
import { TRANSFER_BILL_FIELDS, queryTransfer } from '../../flow/transfer-calls.js';
import { okEnvelope } from '../respond.js';
import { parseBody, type JsonRoute } from '../route-context.js';
import { targetFields } from './schemas.js';
import { billResult, withWeChatErrors } from './transfer-common.js';

/** The body of `query-transfer-bill`. */
export const queryTransferBody = z.object({ ...targetFields, ...TRANSFER_BILL_FIELDS });

/**
 * `POST /query-transfer-bill` (not `query-transfer`: the seed gateway's config names its v2 企业付款 query so): `{appId, payApp, outBillNo | transferBillNo}` → `{code: 200, msg: 'OK',
 * result}` with the bill as WeChat reports it now. Fires no event (`confirm-transfer` does). The work is `queryTransfer` in
 * `flow/transfer-calls.ts`, which `wxpay.queryTransfer()` calls too.
 */
export const queryTransferRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/query-transfer-bill',
  body: queryTransferBody,
  async handle(ctx, raw) {
    const input = parseBody(queryTransferBody, raw);
    return withWeChatErrors(async () =>
      okEnvelope(billResult(await queryTransfer(ctx, { ...input, app: input.payApp, appField: 'payApp' }))),
    );
  },
};
