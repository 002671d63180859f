/**
 * Daily reconciliation (spec v3-more §4, §5.2 "T+1"): a day's trade bill from WeChat against what
 * this instance recorded (orders at create-pay, refunds at create-refund) and fired. Each
 * difference is one `reconcile-mismatch` event and one line of the report. A payment WeChat has
 * that never fired `paid` here fires it now (`source: 'reconcile'`), through the same
 * once-per-transaction path as notifications, `confirm` and the sweeper, so however often a day is
 * reconciled, and whatever races it, the payment is delivered once.
 */
import { ValidationError, isWxPayKitError, type WxPayError } from '../errors.js';
import type { ReconcileDifference, ReconcileMismatchEvent } from '../events/event-map.js';
import type { ResolvedApp, ResolvedMerchant } from '../config/types.js';
import { acceptsAppId } from '../config/app-ids.js';
import { parseTradeBill, type TradeBillRow } from '../protocol/bill.js';
import type { OrderRecord } from '../stores/dedup-store.js';
import type { FlowContext } from './context.js';
import { paidFromQuery } from './event-payloads.js';
import { storeCall } from './store-call.js';
import { orderKey, paymentKey, refundRecordKey } from './store-keys.js';
import { forgetSweep } from './sweep-calls.js';

/** A payment that fired `paid` here (the gateway reads them from its outbox). Amounts in fen. */
export interface FiredPayment {
  readonly mchId: string;
  readonly orderId: string;
  readonly transactionId: string;
  readonly totalFee: number;
}

/** What `wxpay.reconcile()` takes. */
export interface ReconcileOptions {
  /** The bill's day, `YYYY-MM-DD` in China time. Default yesterday in China time (UTC+8). */
  readonly date?: string | undefined;
  /** The merchant's configured name; may be left out when only one merchant is configured. */
  readonly merchant?: string | undefined;
  /**
   * The payments that fired `paid` here with a payment time on `date`, to find those the bill lacks
   * (`missing-at-wechat`). The store remembers which transactions fired but cannot list them by day;
   * without this list that kind is not checked.
   */
  readonly fired?: readonly FiredPayment[] | undefined;
  /** Called after each bill line is checked, e.g. for a progress bar. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
}

/** The summary of one reconciliation. */
export interface ReconcileReport {
  /** The bill's day, `YYYY-MM-DD`. */
  readonly date: string;
  /** The merchant's configured name. */
  readonly merchant: string;
  /** Bill lines checked, plus fired payments the bill lacks. */
  readonly checked: number;
  readonly differences: readonly ReconcileDifference[];
}

const DAY_MS = 86_400_000;
/** How long a look at whether a key fired holds it (it is given back at once). */
const PEEK_LEASE_MS = 10_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;

/** The `YYYY-MM-DD` day in China time (UTC+8, no daylight saving) of epoch ms `at`. */
export function chinaDate(at: number): string {
  return new Date(at + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** Yesterday in China time, `YYYY-MM-DD`: the newest day WeChat has a bill for (from about 10:00). */
export function yesterdayInChina(now: number): string {
  return chinaDate(now - DAY_MS);
}

/** `YYYY-MM-DD` naming a real calendar day, else {@link ValidationError} (field `date`). */
function checkDate(date: unknown): string {
  const at = typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00+08:00`) : Number.NaN;
  // A day that does not exist (2024-02-30) comes back as another one.
  if (Number.isNaN(at) || chinaDate(at) !== date) {
    throw new ValidationError(`date: must be a day written YYYY-MM-DD, not '${String(date).slice(0, 20)}'`, { field: 'date' });
  }
  return date as string;
}

function merchantFor(ctx: FlowContext, name: string | undefined): ResolvedMerchant {
  if (name === undefined) {
    const only = ctx.config.merchants.length === 1 ? ctx.config.merchants[0] : undefined;
    if (only === undefined)
      throw new ValidationError('merchant: name the merchant to reconcile (several are configured)', { field: 'merchant' });
    return only;
  }
  const merchant = typeof name === 'string' ? ctx.config.merchant(name) : undefined;
  if (merchant === undefined) throw new ValidationError(`merchant: no merchant is configured as '${String(name)}'`, { field: 'merchant' });
  return merchant;
}

/** WeChat has no bill for a day without trades: v2 `No Bill Exist` (error_code 20002), v3 `NO_STATEMENT_EXIST`. */
function isNoBill(error: unknown): boolean {
  if (!isWxPayKitError(error) || error.code !== 'WXPAY_ERR_WXPAY') return false;
  const e = error as WxPayError;
  return e.errCode === 'NO_STATEMENT_EXIST' || e.errCode === '20002' || /no bill exist/i.test(e.returnMsg ?? '');
}

/** The app id the v2 bill request is sent with (v3 sends none): the merchant's first app's first concrete id. */
function billAppId(ctx: FlowContext, merchant: ResolvedMerchant): string {
  for (const app of ctx.config.apps) {
    if (app.merchant !== merchant.name) continue;
    const id = app.appIds.find((a) => a !== '*');
    if (id !== undefined) return id;
  }
  return merchant.subAppId ?? '';
}

/** The bill's text, or '' when WeChat has none for the day (no trade). */
async function downloadTradeBill(ctx: FlowContext, merchant: ResolvedMerchant, date: string): Promise<string> {
  try {
    return await ctx.client.downloadBill({
      merchant: merchant.name,
      appId: billAppId(ctx, merchant),
      billDate: date.replaceAll('-', ''),
      billType: 'ALL',
      gzip: true,
    });
  } catch (error) {
    if (isNoBill(error)) return '';
    throw error;
  }
}

/** The app a payment is delivered to: the one its order was recorded for, else the merchant's app that takes its appid. */
function appOf(ctx: FlowContext, merchant: ResolvedMerchant, record: OrderRecord | undefined, appId: string): ResolvedApp | undefined {
  const recorded = record === undefined ? undefined : ctx.config.app(record.app);
  if (recorded !== undefined) return recorded;
  return ctx.config.apps.find((a) => a.merchant === merchant.name && acceptsAppId(a, appId));
}

/** Thrown inside a claim to give the key back without firing (WeChat's query did not confirm the payment). */
class NotConfirmed extends Error {
  readonly tradeState: string;
  constructor(tradeState: string) {
    super(`trade_state ${tradeState}`);
    this.tradeState = tradeState;
  }
}

/**
 * Reconciles one merchant's day. Every difference is emitted as `reconcile-mismatch` (awaited)
 * before the report resolves. Rejects with {@link ValidationError} (bad date or merchant), the
 * client's errors (`WxPayError` `STATEMENT_CREATING` / `Bill Creating` before the bill is ready,
 * `BillIntegrityError`, `TransportError`), `XmlError` for a bill it cannot read, and the store's or
 * listeners' errors. Running it again is safe: what fired stays fired once.
 */
export async function reconcile(ctx: FlowContext, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const date = options.date === undefined ? yesterdayInChina(ctx.config.now()) : checkDate(options.date);
  const merchant = merchantFor(ctx, options.merchant);
  const bill = parseTradeBill(await downloadTradeBill(ctx, merchant, date));
  const rows = bill.rows.filter((r) => (merchant.subMchId === undefined ? r.mchId === merchant.mchId : r.subMchId === merchant.subMchId));
  const differences: ReconcileDifference[] = [];
  const add = async (d: ReconcileDifference): Promise<void> => {
    differences.push(Object.freeze(d));
    const event: ReconcileMismatchEvent = Object.freeze({ ...d, date, merchant: merchant.name, mchId: merchant.mchId });
    await ctx.emitter.emitSettling('reconcile-mismatch', event);
  };
  const paidInBill = new Map<string, TradeBillRow>();
  const amountReported = new Set<string>();
  let done = 0;
  for (const row of rows) {
    if (row.kind === 'refund') await checkRefund(ctx, merchant, row, add);
    else {
      paidInBill.set(row.transactionId, row);
      if (await checkPayment(ctx, merchant, row, add)) amountReported.add(row.transactionId);
    }
    options.onProgress?.(++done, rows.length);
  }
  let checked = rows.length;
  for (const f of options.fired ?? []) {
    if (f.mchId !== merchant.mchId) continue;
    const row = paidInBill.get(f.transactionId);
    if (row === undefined) {
      checked++;
      await add({
        kind: 'missing-at-wechat',
        orderId: f.orderId,
        transactionId: f.transactionId,
        ours: { totalFee: f.totalFee },
        wechat: null,
      });
    } else if (row.totalFee !== f.totalFee && !amountReported.has(f.transactionId)) {
      await add({
        kind: 'amount',
        orderId: row.outTradeNo,
        transactionId: row.transactionId,
        ours: { totalFee: f.totalFee },
        wechat: { totalFee: row.totalFee },
      });
    }
  }
  return Object.freeze({ date, merchant: merchant.name, checked, differences: Object.freeze(differences) });
}

/**
 * A payment line: its amount against the order recorded at create-pay (`amount`), then `paid`
 * fires unless it fired before (`missing-here`). Answers whether it reported an amount difference.
 */
async function checkPayment(
  ctx: FlowContext,
  merchant: ResolvedMerchant,
  row: TradeBillRow,
  add: (d: ReconcileDifference) => Promise<void>,
): Promise<boolean> {
  const key = orderKey(merchant.mchId, row.outTradeNo);
  const record = await storeCall('read an order', () => ctx.store.getOrder(key));
  const wechat = { totalFee: row.totalFee };
  if (record !== undefined && record.totalFee !== row.totalFee) {
    // `paid` would be refused for this order (AmountMismatchError): someone must look at it.
    await add({ kind: 'amount', orderId: row.outTradeNo, transactionId: row.transactionId, ours: { totalFee: record.totalFee }, wechat });
    return true;
  }
  const app = appOf(ctx, merchant, record, row.appId);
  const missing = (fired: boolean): ReconcileDifference => ({
    kind: 'missing-here',
    orderId: row.outTradeNo,
    transactionId: row.transactionId,
    ours: null,
    wechat,
    app: app?.name,
    fired,
  });
  const unfired = async (why: string): Promise<void> => {
    // Whether it fired before is learnt by claiming its key, given back at once: it must not be
    // recorded as fired without being delivered.
    if (await firedBefore(ctx, paymentKey(merchant.mchId, row.transactionId))) return;
    ctx.logger.warn(
      {
        event: 'reconcile-mismatch',
        kind: 'missing-here',
        mchId: merchant.mchId,
        orderId: row.outTradeNo,
        transactionId: row.transactionId,
      },
      `@wxpay-kit/core: payment ${row.transactionId} is in WeChat's bill but never fired 'paid' here, and cannot fire now: ${why}`,
    );
    await add(missing(false));
  };
  if (app === undefined) {
    await unfired(`no configured app of merchant '${merchant.name}' takes appid ${row.appId}`);
    return false;
  }
  if (ctx.emitter.listenerCount('paid') === 0) {
    await unfired("nobody listens to 'paid'");
    return false;
  }
  try {
    // The claim is the check: a payment that fired before (notification, confirm, sweeper, an
    // earlier reconciliation) is `duplicate` and nothing happens. WeChat is asked for the payment's
    // details only when it fires.
    const outcome = await ctx.once.run(paymentKey(merchant.mchId, row.transactionId), async (redelivery) => {
      const result = await ctx.client.queryOrder({ merchant: merchant.name, appId: row.appId, transactionId: row.transactionId });
      if (result.tradeState !== 'SUCCESS' && result.tradeState !== 'REFUND') throw new NotConfirmed(result.tradeState);
      await ctx.emitter.emitSettling('paid', paidFromQuery(result, app.name, redelivery, record !== undefined, 'reconcile'));
    });
    if (outcome === 'duplicate') return false;
  } catch (error) {
    if (!(error instanceof NotConfirmed)) throw error;
    await unfired(`WeChat's order query answers ${error.tradeState}`);
    return false;
  }
  if (record !== undefined) forgetSweep(ctx, key);
  await add(missing(true));
  return false;
}

/** Whether `paid` fired for `key` before (or fires right now elsewhere), without firing it: a claim given back at once. */
async function firedBefore(ctx: FlowContext, key: string): Promise<boolean> {
  const claim = await storeCall('claim a key', () => ctx.store.claim(key, PEEK_LEASE_MS));
  if (claim.state !== 'claimed') return true;
  await storeCall('release a key', () => ctx.store.release(key));
  return false;
}

/** A refund line against the refund recorded at create-refund: none, or another amount or order → `refund`. */
async function checkRefund(
  ctx: FlowContext,
  merchant: ResolvedMerchant,
  row: TradeBillRow,
  add: (d: ReconcileDifference) => Promise<void>,
): Promise<void> {
  const outRefundNo = row.outRefundNo ?? '';
  const record = await storeCall('read a refund', () => ctx.store.getOrder(refundRecordKey(merchant.mchId, outRefundNo)));
  const otherOrder = record?.orderId !== undefined && record.orderId !== row.outTradeNo;
  if (record !== undefined && record.totalFee === row.refundFee && !otherOrder) return;
  await add({
    kind: 'refund',
    orderId: row.outTradeNo,
    transactionId: row.transactionId,
    refundId: outRefundNo,
    ours: record === undefined ? null : { refundFee: record.totalFee, ...(otherOrder ? { orderId: record.orderId } : {}) },
    wechat: { refundFee: row.refundFee, refundStatus: row.refundStatus },
  });
}
