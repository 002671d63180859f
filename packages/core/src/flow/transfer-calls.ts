/**
 * The transfer-bill calls (商家转账, API v3 merchants) behind both ways in: the JSON routes
 * `create-transfer`, `query-transfer-bill`, `cancel-transfer` and `confirm-transfer`, and the
 * instance's `wxpay.createTransfer()`, `queryTransfer()`, `cancelTransfer()` and
 * `confirmTransfer()`. The same checks, bill record, callback URL and events for both.
 */
import { z } from 'zod';
import { InternalError, ValidationError, isWxPayKitError } from '../errors.js';
import { isFinalTransferState, type CreateTransferResult, type TransferBill } from '../model/transfer.js';
import { appFields, fen, notifyUrlFor, optionalText, resolveAppTarget, text, type AppRef } from './call-input.js';
import type { FlowContext } from './context.js';
import { fireTransfer, recordTransfer, transferFacts } from './transfer-flow.js';

/** The fields of a transfer, as `create-transfer`'s body and `createTransfer()` name them. */
export const CREATE_TRANSFER_FIELDS = {
  outBillNo: text,
  openId: text,
  fee: fen,
  remark: text,
  sceneId: text,
  sceneReportInfos: z.array(z.object({ infoType: text, infoContent: text }), { message: 'must be a list of {infoType, infoContent}' }),
  userName: optionalText,
  userRecvPerception: optionalText,
  notifyUrl: optionalText,
};

/** `wxpay.createTransfer()`'s input, checked. */
export const CREATE_TRANSFER_CALL = z.object({ ...appFields, ...CREATE_TRANSFER_FIELDS });

/** What `wxpay.createTransfer()` takes: a transfer to a user's WeChat balance. Amounts in fen. */
export interface CreateTransferCall {
  /** The app name from the configuration (its merchant uses API v3). */
  readonly app: string;
  /** One of the app's app ids (the payee's `openId` is under it); default its first. */
  readonly appId?: string | undefined;
  /** The merchant bill number: sending it again resumes the same transfer. */
  readonly outBillNo: string;
  /** The payee. */
  readonly openId: string;
  /** The amount in fen, a positive integer. */
  readonly fee: number;
  /** Shown to the payee; at most 32 characters. */
  readonly remark: string;
  /** The transfer scene granted to the merchant, e.g. `1000`. */
  readonly sceneId: string;
  /** The scene's report rows, in the scene's order. */
  readonly sceneReportInfos: readonly { readonly infoType: string; readonly infoContent: string }[];
  /** The payee's real name (plain text; encrypted before sending). */
  readonly userName?: string | undefined;
  /** The reason the payee sees; one the scene allows. */
  readonly userRecvPerception?: string | undefined;
  /** Where WeChat sends the bill's callback; default `notifyTransferUrl/<app>` when configured. */
  readonly notifyUrl?: string | undefined;
}

/** A checked transfer request as the flow takes it. */
export type CreateTransferRequest = AppRef & z.output<z.ZodObject<typeof CREATE_TRANSFER_FIELDS>>;

/**
 * Creates a transfer bill with the call's callback URL, else `notifyTransferUrl/<app>` when
 * configured, and records the bill to check its result against. While it waits for the payee the
 * result carries `packageInfo` and `confirmParams` for `wx.requestMerchantTransfer`.
 */
export async function createTransfer(ctx: FlowContext, call: CreateTransferRequest): Promise<CreateTransferResult> {
  const { app, merchant, appId } = resolveAppTarget(ctx, call);
  const base = ctx.config.notifyTransferUrl;
  const notifyUrl = call.notifyUrl ?? (base === undefined ? undefined : notifyUrlFor(base, app.name));
  const bill = await ctx.client.createTransfer({
    merchant: merchant.name,
    appId,
    outBillNo: call.outBillNo,
    transferSceneId: call.sceneId,
    openId: call.openId,
    transferAmount: call.fee,
    transferRemark: call.remark,
    userName: call.userName,
    userRecvPerception: call.userRecvPerception,
    notifyUrl,
    sceneReportInfos: call.sceneReportInfos,
  });
  await recordTransfer(ctx, { app: app.name, appId, mchId: merchant.mchId, outBillNo: bill.outBillNo, transferAmount: call.fee });
  return bill;
}

/** The fields naming a bill: `outBillNo` (the merchant's) or, for queries, `transferBillNo` (WeChat's). */
export const TRANSFER_BILL_FIELDS = { outBillNo: optionalText, transferBillNo: optionalText };

/** `wxpay.queryTransfer()`'s, `cancelTransfer()`'s and `confirmTransfer()`'s input, checked. */
export const TRANSFER_BILL_CALL = z.object({ ...appFields, ...TRANSFER_BILL_FIELDS });

/** What `wxpay.queryTransfer()`, `cancelTransfer()` and `confirmTransfer()` take: an app and a bill. */
export interface TransferBillCall {
  /** The app name from the configuration. */
  readonly app: string;
  /** One of the app's app ids; default its first. */
  readonly appId?: string | undefined;
  /** The merchant bill number (`cancelTransfer` and `confirmTransfer` take this only). */
  readonly outBillNo?: string | undefined;
  /** WeChat's bill number (`queryTransfer` only; give this or `outBillNo`). */
  readonly transferBillNo?: string | undefined;
}

/** A checked bill reference as the flow takes it. */
export type TransferBillRequest = AppRef & { readonly outBillNo?: string | undefined; readonly transferBillNo?: string | undefined };

/** Exactly one of `outBillNo` and `transferBillNo`. */
function checkBillRef(call: TransferBillRequest): void {
  if ((call.outBillNo === undefined) === (call.transferBillNo === undefined)) {
    throw new ValidationError('outBillNo: give outBillNo or transferBillNo (one of them)', { field: 'outBillNo' });
  }
}

/** `outBillNo`, required. */
function outBillNoOf(call: TransferBillRequest): string {
  if (call.outBillNo === undefined) throw new ValidationError('outBillNo: must be a non-empty string', { field: 'outBillNo' });
  return call.outBillNo;
}

/** The bill as WeChat reports it now. Fires nothing (`confirmTransfer` does). */
export async function queryTransfer(ctx: FlowContext, call: TransferBillRequest): Promise<TransferBill> {
  checkBillRef(call);
  const { merchant, appId } = resolveAppTarget(ctx, call);
  return ctx.client.queryTransfer({ merchant: merchant.name, appId, outBillNo: call.outBillNo, transferBillNo: call.transferBillNo });
}

/**
 * Cancels a bill that waits for the payee: answers it `CANCELING` (or `CANCELLED`); the cancel
 * completes asynchronously and `transfer-cancelled` fires when the callback (or `confirmTransfer`)
 * reports `CANCELLED`.
 */
export async function cancelTransfer(ctx: FlowContext, call: TransferBillRequest): Promise<TransferBill> {
  const outBillNo = outBillNoOf(call);
  const { merchant, appId } = resolveAppTarget(ctx, call);
  return ctx.client.cancelTransfer({ merchant: merchant.name, appId, outBillNo });
}

/**
 * The active query of a bill: when it is final (`SUCCESS`, `FAIL`, `CANCELLED`) and its event has
 * not fired yet, fires `transferred`, `transfer-failed` or `transfer-cancelled` with
 * `source: 'confirm'` through the same once-per-bill path as the callback. A listener's rejection
 * goes to the `error` event (with `origin` as its `route`) and is thrown (calling again retries).
 */
export async function confirmTransfer(ctx: FlowContext, call: TransferBillRequest, origin: string): Promise<TransferBill> {
  const outBillNo = outBillNoOf(call);
  const { app, merchant, appId } = resolveAppTarget(ctx, call);
  const bill = await ctx.client.queryTransfer({ merchant: merchant.name, appId, outBillNo });
  if (isFinalTransferState(bill.state)) {
    try {
      // The app id WeChat's reply names (the request's when it names none) stands in when no record has one.
      await fireTransfer(ctx, transferFacts(app.name, merchant.mchId, bill, bill.state, 'confirm', bill.raw), bill.appId);
    } catch (cause) {
      const error = isWxPayKitError(cause) ? cause : new InternalError('confirming the transfer failed', { cause });
      ctx.emitter.emitError({ error, route: origin, app: app.name });
      throw error;
    }
  }
  return bill;
}
