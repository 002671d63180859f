/**
 * The one path by which transfer events fire, shared by WeChat's `MCHTRANSFER.BILL.FINISHED`
 * callback and `confirm-transfer`: the bill is checked against the transfer create-transfer
 * recorded, then `transferred`, `transfer-failed` or `transfer-cancelled` fires at most once per
 * bill (`<mchId>:transfer:<transfer_bill_no>`), through the same once-per-key path and dedup store
 * as payments, whichever arrives first.
 *
 * Records check, they never gate: a bill recorded for another app, or for another amount, is
 * refused; a verified result with no record (a transfer made elsewhere, or older than the store
 * keeps records) is delivered with `recordChecked: false` and a warning.
 */
import { AmountMismatchError, AppMismatchError } from '../errors.js';
import type { WxPayEventName } from '../events/event-map.js';
import type { TransferBill, TransferEvent, TransferEventSource, TransferFinalState } from '../model/transfer.js';
import type { OrderRecord } from '../stores/dedup-store.js';
import type { FlowContext } from './context.js';
import type { OnceOutcome } from './once-per-key.js';
import { warnIfUnheard } from './paid-flow.js';
import { storeCall } from './store-call.js';

/** The key a transfer bill is recorded under at create-transfer: `<mchId>:transfer:<out_bill_no>`. */
export function transferRecordKey(mchId: string, outBillNo: string): string {
  return Buffer.from(`${mchId}:transfer:${outBillNo}`, 'utf8').toString('utf8');
}

/** The key a transfer's final event fires once under: `<mchId>:transfer-done:<transfer_bill_no>`. */
export function transferKey(mchId: string, transferBillNo: string): string {
  return Buffer.from(`${mchId}:transfer-done:${transferBillNo}`, 'utf8').toString('utf8');
}

/** Records a bill WeChat accepted: its app, app id and amount, to check its result against. */
export async function recordTransfer(
  ctx: FlowContext,
  bill: { app: string; appId: string; mchId: string; outBillNo: string; transferAmount: number },
): Promise<void> {
  const record: OrderRecord = {
    app: bill.app,
    appId: bill.appId,
    mchId: bill.mchId,
    totalFee: bill.transferAmount,
    createdAt: ctx.config.now(),
  };
  await storeCall('record a transfer', () => ctx.store.putOrder(transferRecordKey(bill.mchId, bill.outBillNo), record));
}

/** The bill create-transfer recorded, or undefined; one recorded for another app → {@link AppMismatchError}. */
export async function recordedTransfer(ctx: FlowContext, app: string, mchId: string, outBillNo: string): Promise<OrderRecord | undefined> {
  const recorded = await storeCall('read a transfer', () => ctx.store.getOrder(transferRecordKey(mchId, outBillNo)));
  if (recorded !== undefined && recorded.app !== app) {
    throw new AppMismatchError(`transfer ${outBillNo} was created for another app than '${app}'`);
  }
  return recorded;
}

/** The event each final state fires. */
export const TRANSFER_EVENTS: Readonly<Record<TransferFinalState, WxPayEventName>> = Object.freeze({
  SUCCESS: 'transferred',
  FAIL: 'transfer-failed',
  CANCELLED: 'transfer-cancelled',
});

/** What a callback or a query says about a finished bill. */
export interface TransferFacts {
  readonly app: string;
  readonly mchId: string;
  readonly outBillNo: string;
  readonly transferBillNo: string;
  readonly state: TransferFinalState;
  readonly transferAmount: number | undefined;
  readonly openId: string | undefined;
  readonly failReason: string | undefined;
  readonly createTime: string | undefined;
  readonly updateTime: string | undefined;
  readonly source: TransferEventSource;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The facts of a bill in a final state, as a callback or a query reported it. */
export function transferFacts(
  app: string,
  mchId: string,
  bill: Omit<TransferBill, 'state' | 'appId' | 'mchId' | 'transferRemark' | 'raw'>,
  state: TransferFinalState,
  source: TransferEventSource,
  raw: Readonly<Record<string, unknown>>,
): TransferFacts {
  return {
    app,
    mchId,
    outBillNo: bill.outBillNo,
    transferBillNo: bill.transferBillNo,
    state,
    transferAmount: bill.transferAmount,
    openId: bill.openId,
    failReason: bill.failReason,
    createTime: bill.createTime,
    updateTime: bill.updateTime,
    source,
    raw,
  };
}

/**
 * Checks a finished bill against its record, then fires its event once, awaiting every listener
 * (a rejection rethrows, so the key is released and the next delivery or confirm fires again).
 * Resolves what happened (`fired`, or `duplicate` when the bill's result was delivered before)
 * and the event's payload (built again, flagged `redelivery`, for a duplicate).
 */
export async function fireTransfer(
  ctx: FlowContext,
  facts: TransferFacts,
  fallbackAppId: string,
): Promise<{ readonly outcome: OnceOutcome; readonly event: TransferEvent }> {
  const recorded = await recordedTransfer(ctx, facts.app, facts.mchId, facts.outBillNo);
  const amount = facts.transferAmount ?? recorded?.totalFee;
  if (recorded !== undefined && amount !== recorded.totalFee) {
    throw new AmountMismatchError(`transfer ${facts.outBillNo} was created for ${recorded.totalFee} fen but WeChat says ${amount} fen`);
  }
  const checked = recorded !== undefined;
  const name = TRANSFER_EVENTS[facts.state];
  const build = (redelivery: boolean): TransferEvent =>
    ({
      app: facts.app,
      appId: recorded?.appId ?? fallbackAppId,
      mchId: facts.mchId,
      outBillNo: facts.outBillNo,
      transferBillNo: facts.transferBillNo,
      transferAmount: amount ?? 0,
      openId: facts.openId,
      failReason: facts.failReason,
      createTime: facts.createTime,
      updateTime: facts.updateTime,
      source: facts.source,
      redelivery,
      recordChecked: checked,
      raw: facts.raw,
      state: facts.state,
    }) as TransferEvent;
  let event: TransferEvent | undefined;
  const outcome = await ctx.once.run(transferKey(facts.mchId, facts.transferBillNo), (redelivery) => {
    if (warnIfUnheard(ctx, name)) return undefined;
    if (!checked) {
      ctx.logger.warn(
        { event: name, app: facts.app, mchId: facts.mchId, outBillNo: facts.outBillNo, recordChecked: false },
        `@wxpay-kit/core: delivering a verified transfer result unchecked: no transfer ${facts.outBillNo} was recorded at create-transfer (made elsewhere, or older than the store keeps records); check it against your own records`,
      );
    }
    event = build(redelivery);
    return ctx.emitter.emitSettling(name as 'transferred', event as never);
  });
  // A result delivered before fires nothing: what it carries, for the caller, flagged as a redelivery.
  return { outcome, event: event ?? build(true) };
}
