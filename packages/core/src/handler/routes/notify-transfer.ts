import { ANY_APP_ID } from '../../config/app-ids.js';
import { AppMismatchError } from '../../errors.js';
import { isFinalTransferState } from '../../model/transfer.js';
import { toTransferNotification } from '../../protocol/v3/transfer.js';
import type { NotifyRoute } from '../route-context.js';
import { fireTransfer, transferFacts } from '../../flow/transfer-flow.js';
import { notifyTarget } from './notify-common.js';
import { V3_CODEC, verifyV3 } from '../notify-codec.js';

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
    const notification = await verifyV3(ctx, request, merchant);
    if (notification.eventType !== 'MCHTRANSFER.BILL.FINISHED') {
      ctx.logger.info(
        { route: notifyTransferRoute.path, app: app.name, eventType: notification.eventType },
        'transfer callback of another kind acknowledged',
      );
      return V3_CODEC.ack();
    }
    const bill = toTransferNotification(notification.resource);
    if (bill.mchId !== merchant.mchId) throw new AppMismatchError(`the callback's mch_id is not the merchant of app '${app.name}'`);
    if (!isFinalTransferState(bill.state)) {
      ctx.logger.info(
        { route: notifyTransferRoute.path, app: app.name, state: bill.state },
        'transfer callback of an unfinished bill acknowledged',
      );
      return V3_CODEC.ack();
    }
    await fireTransfer(
      ctx,
      transferFacts(app.name, merchant.mchId, bill, bill.state, 'notify', notification.resource),
      app.appIds.find((id) => id !== ANY_APP_ID) ?? '',
    );
    return V3_CODEC.ack();
  },
};
