import type { ResolvedApp } from './types.js';

/**
 * An app whose `appIds` is `['*']` accepts any app id of its merchant: the app id a request names
 * is sent to WeChat as is, and a notification's `appid` is not checked against a list (its
 * `mch_id` and signature still are). This is how go-wxpay-gateway configurations behave; list the
 * ids where you can.
 */
export const ANY_APP_ID = '*';

/** Whether `app` may use `appId` (its list holds it, or the list is the wildcard). */
export function acceptsAppId(app: Pick<ResolvedApp, 'appIds'>, appId: string | undefined): boolean {
  return appId !== undefined && appId !== '' && (app.appIds.includes(appId) || app.appIds.includes(ANY_APP_ID));
}
