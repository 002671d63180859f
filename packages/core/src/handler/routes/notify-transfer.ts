import { ANY_APP_ID } from '../../config/app-ids.js';
import type { ResolvedApp, ResolvedMerchant } from '../../config/types.js';
import { AppMismatchError } from '../../errors.js';
import { isFinalTransferState } from '../../model/transfer.js';
import { toTransferNotification } from '../../protocol/v3/transfer.js';
import type { FlowContext } from '../../flow/context.js';
import { fireTransfer, transferFacts, type TransferFacts } from '../../flow/transfer-flow.js';
import type { NotifyRoute } from '../route-context.js';
import type { WxPayRequest } from '../types.js';
import { notifyTarget } from './notify-common.js';
import { V3_CODEC, verifyV3 } from '../notify-codec.js';

/** What a verified transfer callback asks for: nothing (`ignored`, with why), or its bill's event. */
export type TransferStep =
  | { readonly ignored: string; readonly detail: Readonly<Record<string, unknown>> }
  | { readonly facts: TransferFacts; readonly fallbackAppId: string };

/**
 * Verifies and decrypts a transfer callback for `app` and checks it is its merchant's: a callback
 * of another kind or of an unfinished bill is `ignored` (acknowledged, nothing fires). Shared by
 * the route and `verifyNotification`. Throws what the route answers FAIL for.
 */
export async function transferStep(
  ctx: FlowContext,
  request: WxPayRequest,
  app: ResolvedApp,
  merchant: ResolvedMerchant,
): Promise<TransferStep> {
  const notification = await verifyV3(ctx, request, merchant);
  if (notification.eventType !== 'MCHTRANSFER.BILL.FINISHED') {
    return { ignored: 'transfer callback of another kind acknowledged', detail: { eventType: notification.eventType } };
  }
  const bill = toTransferNotification(notification.resource);
  if (bill.mchId !== merchant.mchId) throw new AppMismatchError(`the callback's mch_id is not the merchant of app '${app.name}'`);
  if (!isFinalTransferState(bill.state)) {
    return { ignored: 'transfer callback of an unfinished bill acknowledged', detail: { state: bill.state } };
  }
  return {
    facts: transferFacts(app.name, merchant.mchId, bill, bill.state, 'notify', notification.resource),
    fallbackAppId: app.appIds.find((id) => id !== ANY_APP_ID) ?? '',
  };
}

/**
 * `POST /notify-transfer/:app`: WeChat's `MCHTRANSFER.BILL.FINISHED` callback (API v3 only). The
 * `Wechatpay-*` signature is verified over the exact body with the merchant's WeChat Pay public key
 * or platform certificate (a timestamp more than 5 minutes away is refused as a replay), the
 * resource is decrypted with the APIv3 key, and its `mch_id` must be the app's merchant. Then
 * `transferred` (`SUCCESS`), `transfer-failed` (`FAIL`) or `transfer-cancelled` (`CANCELLED`)
 * fires once per bill, every listener awaited. A forgery, a replay or a listener's rejection
 * answers FAIL (4xx/5xx) with nothing emitted but `error`, so WeChat delivers again; WeChat's
 * genuine redeliveries are acknowledged and change nothing.
 */
export const notifyTransferRoute: NotifyRoute = {
  kind: 'notify',
  method: 'POST',
  path: '/notify-transfer/:app',
  async handle(ctx, request, params) {
    const { app, merchant } = notifyTarget(ctx, params);
    const step = await transferStep(ctx, request, app, merchant);
    if ('ignored' in step) {
      ctx.logger.info({ route: notifyTransferRoute.path, app: app.name, ...step.detail }, step.ignored);
      return V3_CODEC.ack();
    }
    await fireTransfer(ctx, step.facts, step.fallbackAppId);
    return V3_CODEC.ack();
  },
};
