/**
 * The order calls behind both ways in: the JSON routes (`create-pay/:type`, `query-order`,
 * `close-order`, `confirm`) parse their body and answer the seed's envelope around these, and the
 * instance's methods (`wxpay.createPay()`, `queryOrder()`, `closeOrder()`, `confirm()`) parse
 * their call and return the typed result. Validation, the order record the notification check and
 * the sweeper read, `time_expire`, the notify URL and the events are therefore the same for both.
 */
import { z } from 'zod';
import { InternalError, ValidationError, isWxPayKitError } from '../errors.js';
import type { OrderQueryResult, UnifiedOrderResult } from '../model/contract.js';
import type { TradeType } from '../model/payment.js';
import {
  appFields,
  fen,
  notifyUrlField,
  notifyUrlFor,
  optionalText,
  orderIdFields,
  orderRef,
  resolveAppTarget,
  text,
  type AppRef,
} from './call-input.js';
import type { FlowContext } from './context.js';
import { paidFromQuery } from './event-payloads.js';
import { finishMicropay } from './micropay-flow.js';
import { firePaid, recordedOrder } from './paid-flow.js';
import { storeCall } from './store-call.js';
import { orderKey } from './store-keys.js';
import { queueSweep } from './sweep-calls.js';

/** The payment types of `create-pay/:type` and `createPay({type})` (the seed's names; `H5` is WeChat's `MWEB`). */
export type PayType = 'JSAPI' | 'NATIVE' | 'APP' | 'H5';

/** Every {@link PayType}, in the seed's order. */
export const PAY_TYPES: readonly PayType[] = Object.freeze(['JSAPI', 'NATIVE', 'APP', 'H5']);

const TRADE_TYPES: Readonly<Record<string, TradeType>> = { JSAPI: 'JSAPI', NATIVE: 'NATIVE', APP: 'APP', H5: 'MWEB' };

/** WeChat's trade type for a payment type (any case), else a {@link ValidationError} naming `type`. */
export function tradeTypeOf(type: string): TradeType {
  const tradeType = TRADE_TYPES[type.toUpperCase()];
  if (!tradeType) throw new ValidationError('type: must be one of JSAPI, NATIVE, APP, H5', { field: 'type' });
  return tradeType;
}

/** The fields of an order to place, as `create-pay/:type`'s body and `createPay()` name them. */
export const CREATE_PAY_FIELDS = {
  goods: text,
  udd: optionalText,
  orderId: text,
  fee: fen,
  ip: text,
  openId: optionalText,
  productId: optionalText,
  redirectUrl: optionalText,
  sceneInfo: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  notifyUrl: notifyUrlField,
};

/** `wxpay.createPay()`'s input, checked. */
export const CREATE_PAY_CALL = z.object({ ...appFields, type: text, ...CREATE_PAY_FIELDS });

/** What `wxpay.createPay()` takes: an order to place with WeChat Pay. Amounts in fen. */
export interface CreatePayCall {
  /** The app name from the configuration. */
  readonly app: string;
  /** One of the app's app ids; default its first. */
  readonly appId?: string | undefined;
  /** `JSAPI` (in WeChat, needs `openId`), `NATIVE` (a QR code), `APP` or `H5` (a mobile browser). */
  readonly type: PayType;
  /** The merchant order number: 1–32 of letters, digits, `_ - | * @`. */
  readonly orderId: string;
  /** The amount in fen, a positive integer. */
  readonly fee: number;
  /** The goods description (at most 128 characters). */
  readonly goods: string;
  /** The payer's IP address (H5: the real client IP). */
  readonly ip: string;
  /** JSAPI: the payer's openid under this app id. */
  readonly openId?: string | undefined;
  /** Echoed back on the paid order (`attach`, in `paid` as `attach`); at most 127 characters. */
  readonly udd?: string | undefined;
  /** NATIVE: the product id. */
  readonly productId?: string | undefined;
  /** H5: where the browser returns after paying (appended to the pay URL). */
  readonly redirectUrl?: string | undefined;
  /** H5: WeChat's `scene_info` (`{h5_info: {type, wap_url, wap_name}}`). */
  readonly sceneInfo?: string | Readonly<Record<string, unknown>> | undefined;
  /**
   * Where WeChat sends this order's notification; default the app's notify URL
   * (`notifyPayUrl/<app>`). Absolute http(s), no query string, at most 256 characters. An order
   * with its own URL is verified with `verifyNotification()` by whoever receives it.
   */
  readonly notifyUrl?: string | undefined;
}

/** A placed order: WeChat's answer (with the client activation parameters), plus what was recorded for it. */
export interface CreatePayResult extends UnifiedOrderResult {
  /** The merchant order number. */
  readonly orderId: string;
  /** Where WeChat will send the order's notification. */
  readonly notifyUrl: string;
  /** When the order expires (`time_expire`, `orderExpireMinutes` after creation). */
  readonly expiresAt: Date;
}

/** A checked create-pay request as the flow takes it. */
export type CreatePayRequest = AppRef & { readonly type: string } & z.output<z.ZodObject<typeof CREATE_PAY_FIELDS>>;

/**
 * Places a unifiedorder with the app's notify URL (or the call's own) and a `time_expire`
 * `orderExpireMinutes` from now, records the order's app, amount and expiry (the pay
 * notification is checked against it; the sweeper queries and closes it), and queues it for the
 * sweeper when one runs. A merchant with `receipt` asks for the e-invoice entry on every order.
 */
export async function createPay(ctx: FlowContext, call: CreatePayRequest): Promise<CreatePayResult> {
  const tradeType = tradeTypeOf(call.type);
  const { app, merchant, appId } = resolveAppTarget(ctx, call);
  const createdAt = ctx.config.now();
  const expiresAt = createdAt + ctx.config.orderExpireMinutes * 60_000;
  const notifyUrl = call.notifyUrl ?? notifyUrlFor(ctx.config.notifyPayUrl, app.name);
  const order = await ctx.client.unifiedOrder({
    merchant: merchant.name,
    appId,
    tradeType,
    outTradeNo: call.orderId,
    totalFee: call.fee,
    body: call.goods,
    spbillCreateIp: call.ip,
    notifyUrl,
    openId: call.openId,
    productId: call.productId,
    sceneInfo: call.sceneInfo,
    attach: call.udd,
    redirectUrl: call.redirectUrl,
    ...(merchant.receipt ? { receipt: true } : {}),
    timeExpire: new Date(expiresAt),
  });
  const key = orderKey(merchant.mchId, call.orderId);
  await storeCall('record an order', () =>
    ctx.store.putOrder(key, { app: app.name, appId, mchId: merchant.mchId, totalFee: call.fee, createdAt, expiresAt }),
  );
  await queueSweep(ctx, key, createdAt);
  return { ...order, orderId: call.orderId, notifyUrl, expiresAt: new Date(expiresAt) };
}

/** `wxpay.queryOrder()`'s, `closeOrder()`'s and `confirm()`'s input, checked. */
export const ORDER_CALL = z.object({ ...appFields, ...orderIdFields });

/** What `wxpay.queryOrder()`, `closeOrder()` and `confirm()` take: an app and exactly one of `orderId` and `transactionId`. */
export interface OrderCall {
  /** The app name from the configuration. */
  readonly app: string;
  /** One of the app's app ids; default its first. */
  readonly appId?: string | undefined;
  /** The merchant order number. */
  readonly orderId?: string | undefined;
  /** WeChat's transaction id (`closeOrder` takes `orderId` only). */
  readonly transactionId?: string | undefined;
}

/** A checked order reference as the flow takes it. */
export type OrderRequest = AppRef & { readonly orderId?: string | undefined; readonly transactionId?: string | undefined };

/** The order's state as WeChat reports it now. Fires nothing (`confirm` does). */
export async function queryOrder(ctx: FlowContext, call: OrderRequest): Promise<OrderQueryResult> {
  const { merchant, appId } = resolveAppTarget(ctx, call);
  return ctx.client.queryOrder({ merchant: merchant.name, appId, ...orderRef(call) });
}

/**
 * Closes an unpaid order. WeChat closes by the merchant's order number only, so a `transactionId`
 * is refused naming the field. An order WeChat already closed counts as closed; a paid one throws
 * WeChat's `ORDERPAID`.
 */
export async function closeOrder(ctx: FlowContext, call: OrderRequest): Promise<void> {
  const { merchant, appId } = resolveAppTarget(ctx, call);
  const ref = orderRef(call);
  if (ref.outTradeNo === undefined) {
    throw new ValidationError('transactionId: WeChat closes an order by its orderId only (closeorder takes out_trade_no); give orderId', {
      field: 'transactionId',
    });
  }
  await ctx.client.closeOrder({ merchant: merchant.name, appId, outTradeNo: ref.outTradeNo });
}

/**
 * The active query (the front end's `confirm` after the user paid): queries WeChat; when the order
 * is paid and `paid` has not fired for it yet, fires `paid` with `source: 'confirm'` through the
 * same once-per-transaction path as the notification, so a notification racing it still gives one
 * `paid`. A payment-code order that is not final yet is followed to its end first, as `micropay`
 * would. Answers the order's state after that.
 *
 * When the recorded order disagrees with WeChat's answer, or a listener rejects, no `paid` counts
 * as delivered: the failure goes to the `error` event (with `origin` as its `route`) and is thrown
 * (calling again retries).
 */
export async function confirmOrder(ctx: FlowContext, call: OrderRequest, origin: string): Promise<OrderQueryResult> {
  const { app, merchant, appId } = resolveAppTarget(ctx, call);
  let result = await ctx.client.queryOrder({ merchant: merchant.name, appId, ...orderRef(call) });
  const orderId = call.orderId ?? result.outTradeNo;
  if (result.tradeState === 'USERPAYING' || result.tradeState === 'PAYERROR' || result.tradeState === 'NOTPAY') {
    const recorded = await recordedOrder(ctx, app.name, merchant.mchId, orderId);
    if (recorded?.kind === 'micropay') {
      const target = { app, merchant, appId, orderId, fee: recorded.totalFee };
      const outcome = await finishMicropay(ctx, target, recorded.createdAt);
      if (outcome.state !== 'pending') result = await ctx.client.queryOrder({ merchant: merchant.name, appId, outTradeNo: orderId });
    }
  }
  if (result.tradeState === 'SUCCESS' && result.transactionId) {
    const transactionId = result.transactionId;
    const paid = result;
    try {
      const facts = { app: app.name, mchId: merchant.mchId, outTradeNo: paid.outTradeNo, totalFee: paid.totalFee ?? 0, transactionId };
      await firePaid(ctx, facts, (redelivery, checked) => paidFromQuery(paid, app.name, redelivery, checked));
    } catch (cause) {
      const error = isWxPayKitError(cause) ? cause : new InternalError('confirming the payment failed', { cause });
      ctx.emitter.emitError({ error, route: origin, app: app.name });
      throw error;
    }
  }
  return result;
}
