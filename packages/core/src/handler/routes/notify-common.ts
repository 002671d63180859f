/** What the two notification routes share: the app in the URL and the envelope's identity check. */
import type { ResolvedApp, ResolvedMerchant } from '../../config/types.js';
import { AppMismatchError } from '../../errors.js';
import type { PayNotification } from '../../model/payment.js';
import type { HandlerContext, RouteParams } from '../route-context.js';
import type { WxPayRequest } from '../types.js';
import { acceptsAppId } from '../../config/app-ids.js';
import { isV3Notification } from '../../protocol/v3/notify.js';

/**
 * {@link isV3Notification} for a request. A body whose first byte is `<` is XML whatever follows,
 * so then only the headers decide (the same two that `isV3Notification` looks at first), without
 * decoding the body's start.
 */
export function isV3Request(request: WxPayRequest): boolean {
  const body = request.rawBody;
  if (body.byteLength > 0 && body[0] === 0x3c) {
    return request.headers['wechatpay-signature'] !== undefined || request.headers['wechatpay-serial'] !== undefined;
  }
  return isV3Notification(request.headers, body);
}

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
