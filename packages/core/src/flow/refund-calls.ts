/**
 * The refund calls behind both ways in: the JSON routes `create-refund` and `query-refund`, and
 * the instance's `wxpay.refund()` and `wxpay.queryRefund()`. The same checks, the same refund
 * record (the refund notification is checked against it) and the same notify URL for both.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { RefundQueryResult, RefundResult } from '../model/contract.js';
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
import { recordRefund } from './paid-flow.js';

/** The fields of a refund request, as `create-refund`'s body and `refund()` name them. */
export const REFUND_FIELDS = {
  ...orderIdFields,
  refundId: text,
  totalFee: fen,
  refundFee: fen,
  refundReason: optionalText,
  notifyUrl: notifyUrlField,
};

/** `wxpay.refund()`'s input, checked. */
export const REFUND_CALL = z.object({ ...appFields, ...REFUND_FIELDS });

/** What `wxpay.refund()` takes: a refund of a paid order. Amounts in fen. */
export interface RefundCall {
  /** The app name from the configuration. */
  readonly app: string;
  /** One of the app's app ids; default its first. */
  readonly appId?: string | undefined;
  /** The merchant order number (give this or `transactionId`). */
  readonly orderId?: string | undefined;
  /** WeChat's transaction id (give this or `orderId`). */
  readonly transactionId?: string | undefined;
  /** The merchant refund number: asking again with the same number is the same refund. */
  readonly refundId: string;
  /** The order's total amount in fen. */
  readonly totalFee: number;
  /** The amount to refund in fen, at most `totalFee`. */
  readonly refundFee: number;
  /** Shown to the payer (`refund_desc`). */
  readonly refundReason?: string | undefined;
  /** Where WeChat sends this refund's notification; default the app's (`notifyRefundUrl/<app>`). */
  readonly notifyUrl?: string | undefined;
}

/** An accepted refund (its outcome arrives as `refunded` or `refund-failed`), and where its notification goes. */
export interface CreateRefundResult extends RefundResult {
  /** Where WeChat will send the refund's notification. */
  readonly notifyUrl: string;
}

/** A checked refund request as the flow takes it. */
export type RefundRequest = AppRef & z.output<z.ZodObject<typeof REFUND_FIELDS>>;

/**
 * Asks WeChat for a refund (exactly one of `orderId` and `transactionId` names the order) with
 * the app's refund notify URL or the call's own. The refund is accepted, not finished: its outcome
 * arrives as `refunded` or `refund-failed`. Once WeChat accepts it, the refund is recorded, and a
 * refund notification whose fee or order disagrees with the record is refused.
 */
export async function createRefund(ctx: FlowContext, call: RefundRequest): Promise<CreateRefundResult> {
  if (call.refundFee > call.totalFee) {
    throw new ValidationError('refundFee: must not exceed totalFee', { field: 'refundFee' });
  }
  const ref = orderRef(call);
  const { app, merchant, appId } = resolveAppTarget(ctx, call);
  const notifyUrl = call.notifyUrl ?? notifyUrlFor(ctx.config.notifyRefundUrl, app.name);
  const refund = await ctx.client.refund({
    merchant: merchant.name,
    appId,
    ...ref,
    outRefundNo: call.refundId,
    totalFee: call.totalFee,
    refundFee: call.refundFee,
    refundDesc: call.refundReason,
    notifyUrl,
  });
  await recordRefund(ctx, {
    app: app.name,
    appId,
    mchId: merchant.mchId,
    // By transactionId, WeChat's answer names the order.
    outTradeNo: ref.outTradeNo ?? refund.outTradeNo,
    outRefundNo: call.refundId,
    totalFee: call.totalFee,
    refundFee: call.refundFee,
  });
  return { ...refund, notifyUrl };
}

/** The fields of a refund query, as `query-refund`'s body and `queryRefund()` name them. */
export const QUERY_REFUND_FIELDS = {
  /** The merchant's order number. */
  orderId: optionalText,
  /** The merchant's refund number. */
  refundId: optionalText,
  /** WeChat's transaction id. */
  transactionId: optionalText,
  /** WeChat's refund id. */
  wxRefundId: optionalText,
};

/** `wxpay.queryRefund()`'s input, checked. */
export const QUERY_REFUND_CALL = z.object({ ...appFields, ...QUERY_REFUND_FIELDS });

/** What `wxpay.queryRefund()` takes: an app and at least one of the four references. */
export interface QueryRefundCall {
  /** The app name from the configuration. */
  readonly app: string;
  /** One of the app's app ids; default its first. */
  readonly appId?: string | undefined;
  /** The merchant refund number. */
  readonly refundId?: string | undefined;
  /** WeChat's refund id. */
  readonly wxRefundId?: string | undefined;
  /** The merchant order number: every refund of the order. */
  readonly orderId?: string | undefined;
  /** WeChat's transaction id: every refund of the order. */
  readonly transactionId?: string | undefined;
}

/** A checked refund query as the flow takes it. */
export type QueryRefundRequest = AppRef & z.output<z.ZodObject<typeof QUERY_REFUND_FIELDS>>;

/** Every refund's state as WeChat reports it now. Fires nothing. */
export async function queryRefund(ctx: FlowContext, call: QueryRefundRequest): Promise<RefundQueryResult> {
  if (!call.orderId && !call.refundId && !call.transactionId && !call.wxRefundId) {
    throw new ValidationError('refundId: give one of refundId, wxRefundId, orderId, transactionId', { field: 'refundId' });
  }
  const { merchant, appId } = resolveAppTarget(ctx, call);
  return ctx.client.queryRefund({
    merchant: merchant.name,
    appId,
    refundId: call.wxRefundId,
    outRefundNo: call.refundId,
    transactionId: call.transactionId,
    outTradeNo: call.orderId,
  });
}
