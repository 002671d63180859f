import type { NotificationCheck, WxPay } from '@wxpay-kit/core';
import { payCallbackBody, refundCallbackBody, transferCallbackBody } from '@wxpay-kit/forwarder';

/**
 * go-wxpay-gateway's `verify-notify-pay` / `verify-notify-refund` answer: the app received WeChat's
 * notification itself (it passed its own `notifyUrl`), posts the body here (`?app=<name>`, with
 * WeChat's `Wechatpay-*` headers for an API v3 one), and answers WeChat with `msgForWxpay`.
 */
export interface VerifyNotifyReply {
  /** 200: verified (act on `params`); 406: refused (forged, not this app's, contradicts a record); 500: failed here, WeChat should deliver again. */
  readonly code: 200 | 406 | 500;
  /** `OK`, what the notification reports when it reports no result, or why it was refused. */
  readonly msg: string;
  /** The verified result, in the fields the app's callback would get; null unless code is 200 and there is a result. */
  readonly params: Record<string, unknown> | null;
  /** What to answer WeChat: v2 XML, or v3 JSON. SUCCESS only when code is 200. */
  readonly msgForWxpay: string;
  /** The HTTP status to answer WeChat with (v3 wants a non-2xx status for FAIL; v2 takes 200 and the XML). */
  readonly statusForWxpay: number;
  /** True when this transaction's (refund's) result was delivered before: `paid` / `refunded` did not fire again. */
  readonly redelivery: boolean;
}

const text = (body: string | Uint8Array): string => (typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));

/** The reply for what {@link WxPay.verifyNotification} made of a notification. */
export function verifyNotifyReply(check: NotificationCheck): VerifyNotifyReply {
  const reply = { msgForWxpay: text(check.reply.body), statusForWxpay: check.reply.status };
  switch (check.status) {
    case 'delivered': {
      const event = check.event;
      const params =
        event.kind === 'paid'
          ? payCallbackBody(event.payload)
          : event.kind === 'refunded' || event.kind === 'refund-failed'
            ? refundCallbackBody(event.payload)
            : transferCallbackBody(event.payload);
      return { code: 200, msg: 'OK', params: { ...params }, ...reply, redelivery: check.redelivery };
    }
    case 'acknowledged':
      return { code: 200, msg: check.reason, params: null, ...reply, redelivery: false };
    case 'refused':
      return { code: check.reply.status >= 500 ? 500 : 406, msg: check.error.message, params: null, ...reply, redelivery: false };
  }
}

/** Runs the check for `app` and builds the reply; an unknown or missing app is refused like a forgery. */
export async function verifyNotify(
  wxpay: WxPay,
  kind: 'pay' | 'refund',
  app: string | null,
  headers: Readonly<Record<string, string>>,
  rawBody: Uint8Array,
): Promise<VerifyNotifyReply> {
  return verifyNotifyReply(await wxpay.verifyNotification({ kind, app: app ?? '', headers, rawBody }));
}
