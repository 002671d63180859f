/**
 * API v3 notifications on the same routes and with the same events as v2: `notify-pay/:app`
 * takes `TRANSACTION.*`, `notify-refund/:app` takes `REFUND.*`. The signature headers are verified
 * over the exact body, the `resource` is decrypted with the APIv3 key, and the decrypted object is
 * mapped to the model, so `paid`, `refunded` and `refund-failed` carry the same fields as for v2
 * (their `raw` is the decrypted resource).
 * Answers are v3's: 200 `{"code":"SUCCESS"}`, or 4xx/5xx `{"code":"FAIL"}` so WeChat delivers again.
 */
import { ANY_APP_ID } from '../../config/app-ids.js';
import type { ResolvedApp, ResolvedMerchant } from '../../config/types.js';
import { AppMismatchError, SignatureError } from '../../errors.js';
import type { HeaderBag } from '../../protocol/v3/verify.js';
import { v3NotifyReply, v3PayNotification, v3RefundNotification, type VerifiedV3Notification } from '../../protocol/v3/notify.js';
import { paidFromNotification, refundFromNotification } from '../event-payloads.js';
import { assertRecordedTotal, firePaid, fireRefund, recordedOrder, recordedRefund } from '../paid-flow.js';
import { JSON_CONTENT_TYPE, publicMessage, statusFor } from '../respond.js';
import type { HandlerContext } from '../route-context.js';
import type { WxPayRequest, WxPayResponse } from '../types.js';
import { assertBelongsToApp } from './notify-common.js';

/** v3's acknowledgement as a response. */
export function v3NotifyResponse(ok: boolean, message?: string, status?: number): WxPayResponse {
  const reply = v3NotifyReply(ok, message);
  return { status: status ?? reply.status, headers: { 'content-type': JSON_CONTENT_TYPE }, body: reply.body };
}

/** A FAIL acknowledgement in v3 form for `error`, with the error's HTTP status (never 2xx). */
export function v3NotifyFailure(error: unknown): WxPayResponse {
  const status = statusFor(error);
  return v3NotifyResponse(false, publicMessage(error), status >= 400 ? status : 500);
}

async function verify(ctx: HandlerContext, request: WxPayRequest, merchant: ResolvedMerchant): Promise<VerifiedV3Notification> {
  if (merchant.apiVersion !== 'v3' || ctx.client.verifyV3Notification === undefined) {
    throw new SignatureError('unsupported-type', 'a v3 notification arrived for a merchant configured for API v2');
  }
  return ctx.client.verifyV3Notification(merchant.name, request.headers as HeaderBag, request.rawBody);
}

/** `notify-pay/:app` for a v3 notification. */
export async function handleV3PayNotification(
  ctx: HandlerContext,
  request: WxPayRequest,
  app: ResolvedApp,
  merchant: ResolvedMerchant,
  route: string,
): Promise<WxPayResponse> {
  const notification = await verify(ctx, request, merchant);
  if (notification.eventType !== 'TRANSACTION.SUCCESS') {
    ctx.logger.info({ route, app: app.name, eventType: notification.eventType }, 'v3 pay notification reporting no payment acknowledged');
    return v3NotifyResponse(true);
  }
  const verified = v3PayNotification(notification);
  assertBelongsToApp(verified.payment, app, merchant);
  const tradeState = verified.raw['trade_state'];
  if (tradeState !== undefined && tradeState !== 'SUCCESS') {
    ctx.logger.info({ route, app: app.name, tradeState }, 'v3 pay notification reporting no payment acknowledged');
    return v3NotifyResponse(true);
  }
  const payment = verified.payment;
  const facts = {
    app: app.name,
    mchId: merchant.mchId,
    outTradeNo: payment.outTradeNo,
    totalFee: payment.totalFee,
    transactionId: payment.transactionId,
  };
  await firePaid(ctx, facts, (redelivery, checked) => paidFromNotification(verified, app.name, redelivery, checked));
  return v3NotifyResponse(true);
}

/** `notify-refund/:app` for a v3 notification. */
export async function handleV3RefundNotification(
  ctx: HandlerContext,
  request: WxPayRequest,
  app: ResolvedApp,
  merchant: ResolvedMerchant,
  route: string,
): Promise<WxPayResponse> {
  const notification = await verify(ctx, request, merchant);
  if (!notification.eventType.startsWith('REFUND.')) {
    ctx.logger.info({ route, app: app.name, eventType: notification.eventType }, 'v3 refund notification of another kind acknowledged');
    return v3NotifyResponse(true);
  }
  const text = (name: string): string => {
    const value = notification.resource[name];
    return typeof value === 'string' ? value : '';
  };
  const outTradeNo = text('out_trade_no');
  // v3 refund resources name no app id and no app: the app is the one in the notify URL, the
  // merchant is the mchid checked below, and the signature vouches for both. The app id the event
  // carries is the one create-refund recorded, else the one create-pay recorded, else the app's
  // first listed id, else '' (the app lists none and nothing was recorded).
  const [recorded, order] = await Promise.all([
    recordedRefund(ctx, app.name, merchant.mchId, text('out_refund_no')),
    recordedOrder(ctx, app.name, merchant.mchId, outTradeNo),
  ]);
  const appId = recorded?.appId ?? order?.appId ?? app.appIds.find((id) => id !== ANY_APP_ID) ?? '';
  const decrypted = v3RefundNotification(notification, appId);
  if (decrypted.refund.mchId !== merchant.mchId) {
    throw new AppMismatchError(`the notification's mchid is not the merchant of app '${app.name}'`);
  }
  if (merchant.subMchId !== undefined && decrypted.refund.subMchId !== merchant.subMchId) {
    throw new AppMismatchError(`the notification's sub_mchid is not the sub-merchant of app '${app.name}'`);
  }
  const refund = decrypted.refund;
  assertRecordedTotal(order, refund.outTradeNo, refund.totalFee, 'the refund notification');
  await fireRefund(ctx, { app: app.name, mchId: merchant.mchId, refund, recorded }, (redelivery, checked) =>
    refundFromNotification(decrypted, app.name, redelivery, checked),
  );
  return v3NotifyResponse(true);
}
