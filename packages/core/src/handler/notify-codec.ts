/**
 * One codec per API version for WeChat's notifications: how a request is recognised, verified,
 * decrypted and mapped to the model, and how WeChat is answered. The handler picks the codec once
 * per request ({@link notifyCodecFor}); the pay and refund routes then run one flow for both
 * versions.
 *
 * - v2: XML. A pay notification carries `sign` (the merchant's API key, MD5 or HMAC-SHA256); a
 *   refund notification carries `req_info`, encrypted with the same key. Answered in XML.
 * - v3: JSON with `Wechatpay-*` headers, signed by WeChat's key (±5 minutes) over the exact body;
 *   the `resource` is encrypted with the merchant's APIv3 key. Answered in JSON.
 */
import type { ResolvedMerchant } from '../config/types.js';
import { SignatureError, WxPayError } from '../errors.js';
import type { VerifiedPayment, VerifiedRefund } from '../flow/event-payloads.js';
import type { FlowContext } from '../flow/context.js';
import { parsePayNotification, parseRefundNotification } from '../protocol/v2/notify.js';
import {
  isV3Notification,
  parseV3NotificationRefreshing,
  v3NotifyReply,
  v3PayNotification,
  v3RefundNotification,
  type VerifiedV3Notification,
} from '../protocol/v3/notify.js';
import type { HeaderBag } from '../protocol/v3/verify.js';
import { isPromiseLike, type MaybePromise } from '../util/maybe-promise.js';
import { assertXmlContentType } from './guard.js';
import { JSON_CONTENT_TYPE, notifyFailure, notifySuccess, publicMessage, statusFor } from './respond.js';
import type { WxPayRequest, WxPayResponse } from './types.js';

/**
 * What a codec made of a notification: a verified result, or a verified message that reports
 * nothing to act on (acknowledged, and logged at info with `ignored` as the message).
 */
export type Decoded<T> =
  | {
      readonly verified: T;
      /** False when the message is verified but reports no final result (v3 `trade_state` not SUCCESS). */
      readonly final: boolean;
      /** True when the message names the app id (v2); v3 refund messages name none. */
      readonly namesAppId: boolean;
    }
  | { readonly ignored: string; readonly detail?: Readonly<Record<string, unknown>> };

export interface NotifyCodec {
  readonly version: 'v2' | 'v3';
  /** Throws the 415 when the body's content type cannot be this version's. */
  assertContentType(request: WxPayRequest): void;
  /** Verifies a payment notification and maps it to the model. */
  payment(ctx: FlowContext, request: WxPayRequest, merchant: ResolvedMerchant): MaybePromise<Decoded<VerifiedPayment>>;
  /** Verifies and decrypts a refund notification and maps it to the model (v3: `appId` is ''). */
  refund(ctx: FlowContext, request: WxPayRequest, merchant: ResolvedMerchant): Promise<Decoded<VerifiedRefund>>;
  /** The acknowledgement: WeChat stops delivering. */
  ack(): WxPayResponse;
  /** A FAIL acknowledgement for `error` (never 2xx): WeChat delivers again later. */
  failure(error: unknown): WxPayResponse;
}

/** {@link isV3Notification} for a request; a body starting with `<` is XML, so only headers decide then. */
export function isV3Request(request: WxPayRequest): boolean {
  const body = request.rawBody;
  if (body.byteLength > 0 && body[0] === 0x3c) {
    return request.headers['wechatpay-signature'] !== undefined || request.headers['wechatpay-serial'] !== undefined;
  }
  return isV3Notification(request.headers, body);
}

/** The codec for `request`: v3 for JSON or `Wechatpay-*` headers, v2 otherwise. */
export function notifyCodecFor(request: WxPayRequest): NotifyCodec {
  return isV3Request(request) ? V3_CODEC : V2_CODEC;
}

function v2Payment(ctx: FlowContext, request: WxPayRequest, apiKey: string): Decoded<VerifiedPayment> {
  try {
    return { verified: parsePayNotification(request.rawBody, { apiKey, maxBytes: ctx.config.bodyLimit }), final: true, namesAppId: true };
  } catch (error) {
    // Verified, but `return_code` / `result_code` say it reports no payment.
    if (!(error instanceof WxPayError)) throw error;
    return { ignored: 'pay notification reporting no payment acknowledged', detail: { errCode: error.errCode } };
  }
}

export const V2_CODEC: NotifyCodec = Object.freeze({
  version: 'v2',
  assertContentType: assertXmlContentType,
  payment(ctx: FlowContext, request: WxPayRequest, merchant: ResolvedMerchant) {
    const apiKey = ctx.signKey(merchant.name);
    return isPromiseLike(apiKey) ? apiKey.then((key) => v2Payment(ctx, request, key)) : v2Payment(ctx, request, apiKey);
  },
  async refund(ctx: FlowContext, request: WxPayRequest, merchant: ResolvedMerchant): Promise<Decoded<VerifiedRefund>> {
    const apiKey = await ctx.signKey(merchant.name);
    try {
      const decrypted = parseRefundNotification(request.rawBody, apiKey, { maxBytes: ctx.config.bodyLimit });
      return { verified: { raw: decrypted.info, refund: decrypted.refund }, final: true, namesAppId: true };
    } catch (error) {
      if (!(error instanceof WxPayError)) throw error;
      return { ignored: 'refund notification without return_code SUCCESS acknowledged' };
    }
  },
  ack: notifySuccess,
  failure: notifyFailure,
});

/** v3's acknowledgement as a response. */
function v3Response(ok: boolean, message?: string, status?: number): WxPayResponse {
  const reply = v3NotifyReply(ok, message);
  return { status: status ?? reply.status, headers: { 'content-type': JSON_CONTENT_TYPE }, body: reply.body };
}

/**
 * Verifies a v3 notification for `merchant` with the keys the client keeps for it (the WeChat Pay
 * public key, platform certificates downloaded when due) and decrypts its `resource`. A v2
 * merchant holding v3 keys (for transfers) has its transfer callbacks verified with them.
 */
export function verifyV3(ctx: FlowContext, request: WxPayRequest, merchant: ResolvedMerchant): Promise<VerifiedV3Notification> {
  const keyring = ctx.client.v3Keyring;
  if (merchant.v3 === undefined || keyring === undefined) {
    return Promise.reject(new SignatureError('unsupported-type', 'a v3 notification arrived for a merchant without API v3 keys'));
  }
  return parseV3NotificationRefreshing(request.headers as HeaderBag, request.rawBody, (refresh) => keyring(merchant.name, { refresh }), {
    apiV3Key: merchant.v3.apiV3Key,
    now: ctx.config.now(),
    maxBytes: ctx.config.bodyLimit,
  });
}

export const V3_CODEC: NotifyCodec = Object.freeze({
  version: 'v3',
  assertContentType() {},
  async payment(ctx: FlowContext, request: WxPayRequest, merchant: ResolvedMerchant): Promise<Decoded<VerifiedPayment>> {
    const notification = await verifyV3(ctx, request, merchant);
    if (notification.eventType !== 'TRANSACTION.SUCCESS') {
      return { ignored: 'v3 pay notification reporting no payment acknowledged', detail: { eventType: notification.eventType } };
    }
    const verified = v3PayNotification(notification);
    const tradeState = verified.raw['trade_state'];
    return { verified, final: tradeState === undefined || tradeState === 'SUCCESS', namesAppId: true };
  },
  async refund(ctx: FlowContext, request: WxPayRequest, merchant: ResolvedMerchant): Promise<Decoded<VerifiedRefund>> {
    const notification = await verifyV3(ctx, request, merchant);
    if (!notification.eventType.startsWith('REFUND.')) {
      return { ignored: 'v3 refund notification of another kind acknowledged', detail: { eventType: notification.eventType } };
    }
    // v3 refund resources name no app id: the route fills it in from its records.
    return { verified: v3RefundNotification(notification, ''), final: true, namesAppId: false };
  },
  ack: () => v3Response(true),
  failure(error: unknown) {
    const status = statusFor(error);
    return v3Response(false, publicMessage(error), status >= 400 ? status : 500);
  },
});
