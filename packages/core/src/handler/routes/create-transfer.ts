import { z } from 'zod';
import { CREATE_TRANSFER_FIELDS, createTransfer } from '../../flow/transfer-calls.js';
import { okEnvelope } from '../respond.js';
import { parseBody, type JsonRoute } from '../route-context.js';
import { targetFields } from './schemas.js';
import { billResult, withWeChatErrors } from './transfer-common.js';

/** The body of `create-transfer`. */
export const createTransferBody = z.object({ ...targetFields, ...CREATE_TRANSFER_FIELDS });

/**
 * `POST /create-transfer` (商家转账, API v3 merchants): `{appId, payApp, outBillNo, openId, fee,
 * remark, sceneId, sceneReportInfos: [{infoType, infoContent}], userName?, userRecvPerception?,
 * notifyUrl?}` → `{code: 200, msg: 'OK', result}` with the bill and, while it waits for the payee,
 * `package_info` and `confirm_params` (`{mchId, appId, package}` for `wx.requestMerchantTransfer`).
 * The callback goes to `notifyUrl` when given, else to `notifyTransferUrl/<app>` when configured.
 * The bill is recorded in the dedup store to check its result against. WeChat's refusals answer
 * 502 with `err_code`. The work is `createTransfer` in `flow/transfer-calls.ts`, which
 * `wxpay.createTransfer()` calls too.
 */
export const createTransferRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/create-transfer',
  body: createTransferBody,
  async handle(ctx, raw) {
    const input = parseBody(createTransferBody, raw);
    return withWeChatErrors(async () =>
      okEnvelope(billResult(await createTransfer(ctx, { ...input, app: input.payApp, appField: 'payApp' }))),
    );
  },
};
