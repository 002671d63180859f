/**
 * A WeChat notification that did not come to a notify route: the host's server received it (it
 * gave WeChat its own `notifyUrl`) and hands over the body and WeChat's headers. The same codec
 * verifies it and the same flow acts on it as on the notify routes, so `paid` / `refunded` fire
 * once per transaction (refund) whichever path, and however often, it arrives.
 */
import type { PaidEvent, RefundFailedEvent, RefundedEvent } from '../events/event-map.js';
import type { TransferCancelledEvent, TransferFailedEvent, TransferredEvent } from '../model/transfer.js';
import { fireTransfer, TRANSFER_EVENTS } from '../flow/transfer-flow.js';
import { paidFromNotification, refundFromNotification } from '../flow/event-payloads.js';
import { checkRecordedOrder, checkRecordedRefund, firePaid, fireRefund } from '../flow/paid-flow.js';
import type { WxPayKitError } from '../errors.js';
import type { NotifyCodec } from './notify-codec.js';
import type { HandlerContext } from './route-context.js';
import { notifyTarget } from './routes/notify-common.js';
import { paymentStep } from './routes/notify-pay.js';
import { refundStep } from './routes/notify-refund.js';
import { transferStep } from './routes/notify-transfer.js';
import type { WxPayRequest, WxPayResponse } from './types.js';

/** Input of `WxPay.verifyNotification`. */
export interface NotificationInput {
  /**
   * A payment notification (what `notify-pay` takes), a refund notification (`notify-refund`) or a
   * transfer bill's callback (`notify-transfer`: API v3 only, `MCHTRANSFER.BILL.FINISHED`).
   */
  readonly kind: 'pay' | 'refund' | 'transfer';
  /** The app it is for: the app whose order or refund named the URL WeChat posted to. */
  readonly app: string;
  /** WeChat's request headers as received (names in any case); v3 needs its `Wechatpay-*` headers. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received. */
  readonly rawBody: Uint8Array;
}

/** The result event a verified notification carries (its payload as listeners get it). */
export type NotificationEvent =
  | { readonly kind: 'paid'; readonly payload: PaidEvent }
  | { readonly kind: 'refunded'; readonly payload: RefundedEvent }
  | { readonly kind: 'refund-failed'; readonly payload: RefundFailedEvent }
  | { readonly kind: 'transferred'; readonly payload: TransferredEvent }
  | { readonly kind: 'transfer-failed'; readonly payload: TransferFailedEvent }
  | { readonly kind: 'transfer-cancelled'; readonly payload: TransferCancelledEvent };

/** What `WxPay.verifyNotification` made of a notification; `reply` is what to answer WeChat. */
export type NotificationCheck =
  /**
   * Verified, and its result went through the once-per-key flow: `paid` / `refunded` /
   * `refund-failed` (or, for a transfer, `transferred` / `transfer-failed` / `transfer-cancelled`)
   * fired now (`redelivery` false), or had fired for this transaction (bill) before and did not
   * fire again (`redelivery` true). `reply` acknowledges it.
   */
  | {
      readonly status: 'delivered';
      readonly version: 'v2' | 'v3';
      readonly event: NotificationEvent;
      readonly redelivery: boolean;
      readonly reply: WxPayResponse;
    }
  /** Verified, but it reports no result to act on (a failed payment, another event type): `reply` acknowledges it. */
  | { readonly status: 'acknowledged'; readonly version: 'v2' | 'v3'; readonly reason: string; readonly reply: WxPayResponse }
  /**
   * Not acted on: forged or unreadable, not this app's, contradicting a record (4xx), or a
   * failure here such as a listener rejecting or the store being unreachable (5xx: WeChat should
   * deliver again). `reply` is a FAIL acknowledgement; `error` has already been emitted.
   */
  | { readonly status: 'refused'; readonly version: 'v2' | 'v3'; readonly error: WxPayKitError; readonly reply: WxPayResponse };

/** Header names in lower case, as the codecs read them. */
function lowerCaseHeaders(headers: NotificationInput['headers']): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name.toLowerCase()] = value;
  return out;
}

/** The request a notify route would have seen for `input`. */
export function notificationRequest(input: NotificationInput): WxPayRequest {
  return {
    method: 'POST',
    path: `/notify-${input.kind}/${encodeURIComponent(input.app)}`,
    headers: lowerCaseHeaders(input.headers),
    rawBody: input.rawBody,
  };
}

/**
 * Verifies `request` with its codec and runs the flow, as the notify routes do (without the
 * content-type check: the host forwards the body, not WeChat). Throws what the routes throw; the
 * caller turns it into a `refused` check.
 */
export async function checkNotification(
  ctx: HandlerContext,
  kind: 'pay' | 'refund' | 'transfer',
  appName: string,
  request: WxPayRequest,
  codec: NotifyCodec,
): Promise<Exclude<NotificationCheck, { status: 'refused' }>> {
  const { app, merchant } = notifyTarget(ctx, { app: appName });
  const version = codec.version;
  if (kind === 'transfer') {
    const step = await transferStep(ctx, request, app, merchant);
    if ('ignored' in step) return { status: 'acknowledged', version, reason: step.ignored, reply: codec.ack() };
    const { outcome, event } = await fireTransfer(ctx, step.facts, step.fallbackAppId);
    return {
      status: 'delivered',
      version,
      event: { kind: TRANSFER_EVENTS[step.facts.state], payload: event } as NotificationEvent,
      redelivery: outcome === 'duplicate',
      reply: codec.ack(),
    };
  }
  if (kind === 'pay') {
    const step = paymentStep(await codec.payment(ctx, request, merchant), app, merchant);
    if ('ignored' in step) return { status: 'acknowledged', version, reason: step.ignored, reply: codec.ack() };
    let payload: PaidEvent | undefined;
    const outcome = await firePaid(ctx, step.facts, (redelivery, checked) => {
      payload = paidFromNotification(step.verified, app.name, redelivery, checked);
      return payload;
    });
    // A result delivered before fires nothing: build what it carried, for the caller.
    payload ??= paidFromNotification(step.verified, app.name, true, await checkRecordedOrder(ctx, step.facts));
    return { status: 'delivered', version, event: { kind: 'paid', payload }, redelivery: outcome === 'duplicate', reply: codec.ack() };
  }
  const step = await refundStep(ctx, await codec.refund(ctx, request, merchant), app, merchant);
  if ('ignored' in step) return { status: 'acknowledged', version, reason: step.ignored, reply: codec.ack() };
  let payload: RefundedEvent | RefundFailedEvent | undefined;
  const outcome = await fireRefund(ctx, step.facts, (redelivery, checked) => {
    payload = refundFromNotification(step.verified, app.name, redelivery, checked);
    return payload;
  });
  payload ??= refundFromNotification(step.verified, app.name, true, await checkRecordedRefund(ctx, step.facts));
  const event: NotificationEvent =
    payload.refundStatus === 'SUCCESS'
      ? { kind: 'refunded', payload: payload as RefundedEvent }
      : { kind: 'refund-failed', payload: payload as RefundFailedEvent };
  return { status: 'delivered', version, event, redelivery: outcome === 'duplicate', reply: codec.ack() };
}
