import { z } from 'zod';
import { recordTransfer } from '../../flow/transfer-flow.js';
import { okEnvelope } from '../respond.js';
import { notifyUrlFor, parseBody, resolveTarget, type JsonRoute } from '../route-context.js';
import { fen, optionalText, targetFields, text } from './schemas.js';
import { billResult, withWeChatErrors } from './transfer-common.js';

const body = z.object({
  ...targetFields,
  outBillNo: text,
  openId: text,
  fee: fen,
  remark: text,
  sceneId: text,
  sceneReportInfos: z.array(z.object({ infoType: text, infoContent: text }), { message: 'must be a list of {infoType, infoContent}' }),
  userName: optionalText,
  userRecvPerception: optionalText,
  notifyUrl: optionalText,
});

/**
 * `POST /create-transfer` (商家转账, API v3 merchants): `{appId, payApp, outBillNo, openId, fee,
 * remark, sceneId, sceneReportInfos: [{infoType, infoContent}], userName?, userRecvPerception?,
 * notifyUrl?}` → `{code: 200, msg: 'OK', result}` with the bill and, while it waits for the payee,
 * `package_info` and `confirm_params` (`{mchId, appId, package}` for `wx.requestMerchantTransfer`).
 * The callback goes to `notifyUrl` when given, else to `notifyTransferUrl/<app>` when configured.
 * The bill is recorded in the dedup store to check its result against. WeChat's refusals answer
 * 502 with `err_code`.
 */
export const createTransferRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/create-transfer',
  async handle(ctx, raw) {
    const input = parseBody(body, raw);
    const { app, merchant, appId } = resolveTarget(ctx, input.payApp, input.appId);
    const base = ctx.config.notifyTransferUrl;
    const notifyUrl = input.notifyUrl ?? (base === undefined ? undefined : notifyUrlFor(base, app.name));
    return withWeChatErrors(async () => {
      const bill = await ctx.client.createTransfer({
        merchant: merchant.name,
        appId,
        outBillNo: input.outBillNo,
        transferSceneId: input.sceneId,
        openId: input.openId,
        transferAmount: input.fee,
        transferRemark: input.remark,
        userName: input.userName,
        userRecvPerception: input.userRecvPerception,
        notifyUrl,
        sceneReportInfos: input.sceneReportInfos,
      });
      await recordTransfer(ctx, { app: app.name, appId, mchId: merchant.mchId, outBillNo: bill.outBillNo, transferAmount: input.fee });
      return okEnvelope(billResult(bill));
    });
  },
};
