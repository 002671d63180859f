/** What the notification routes share: the app in the URL and the message's identity checks. */
import type { ResolvedApp, ResolvedMerchant } from '../../config/types.js';
import { AppMismatchError } from '../../errors.js';
import type { PayNotification } from '../../model/payment.js';
import type { HandlerContext, RouteParams } from '../route-context.js';
import { acceptsAppId } from '../../config/app-ids.js';

/** The app named by `:app` in the notify URL and its merchant. */
export function notifyTarget(ctx: HandlerContext, params: RouteParams): { app: ResolvedApp; merchant: ResolvedMerchant } {
  const name = params['app'] ?? '';
  const app = ctx.config.app(name);
  const merchant = app ? ctx.config.merchantOfApp(app.name) : undefined;
  if (!app || !merchant) throw new AppMismatchError(`no app named '${name}' is configured for this notify URL`);
  return { app, merchant };
}

/**
 * The app id (or, in service-provider mode, the sub-app id) must be one of the app's app ids and
 * the merchant id its merchant's; the sub-merchant id must match when the merchant acts for a
 * sub-merchant.
 */
export function assertBelongsToApp(
  ids: Pick<PayNotification, 'appId' | 'subAppId' | 'mchId' | 'subMchId'>,
  app: ResolvedApp,
  merchant: ResolvedMerchant,
): void {
  const appIdOk = acceptsAppId(app, ids.appId) || acceptsAppId(app, ids.subAppId);
  if (!appIdOk) throw new AppMismatchError(`the notification's appid is not an app id of app '${app.name}'`);
  if (ids.mchId !== merchant.mchId) {
    throw new AppMismatchError(`the notification's mch_id is not the merchant of app '${app.name}'`);
  }
  if (merchant.subMchId !== undefined && ids.subMchId !== merchant.subMchId) {
    throw new AppMismatchError(`the notification's sub_mch_id is not the sub-merchant of app '${app.name}'`);
  }
}

/**
 * The merchant id (and sub-merchant id, when the merchant acts for one) must be the app's
 * merchant's: the check for messages that name no app id (v3 refunds, transfers).
 */
export function assertBelongsToMerchant(
  ids: { readonly mchId: string; readonly subMchId?: string | undefined },
  app: ResolvedApp,
  merchant: ResolvedMerchant,
): void {
  if (ids.mchId !== merchant.mchId) {
    throw new AppMismatchError(`the notification's mchid is not the merchant of app '${app.name}'`);
  }
  if (merchant.subMchId !== undefined && ids.subMchId !== merchant.subMchId) {
    throw new AppMismatchError(`the notification's sub_mchid is not the sub-merchant of app '${app.name}'`);
  }
}
