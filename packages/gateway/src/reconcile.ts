/**
 * The gateway's daily reconciliation: each merchant's trade bill of a day against what the gateway
 * recorded and delivered (`wxpay.reconcile()`, with the `paid` results in its outbox as the list of
 * what fired), on a schedule (`reconcile-at`), from `POST <reconcile>` and from
 * `wxpay-gateway reconcile`.
 */
import { isWxPayKitError, yesterdayInChina, type FiredPayment, type ReconcileReport, type WxPay, type WxPayError } from '@wxpay-kit/core';
import type { ForwarderStore } from '@wxpay-kit/forwarder';
import type { PinoLogger } from './logger.js';

/** How a reconciliation is asked for. */
export interface ReconcileDayOptions {
  /** `YYYY-MM-DD`, China time; default yesterday in China time. */
  readonly date?: string | undefined;
  /** One merchant's configured name; default every merchant that has an app. */
  readonly merchant?: string | undefined;
  /** Bill lines checked so far of the merchant being reconciled. */
  readonly onProgress?: ((merchant: string, done: number, total: number) => void) | undefined;
}

/** The most outbox records read to learn what fired (a day of a large merchant fits many times over). */
const OUTBOX_READ_LIMIT = 10_000_000;

/** The `paid` results in the outbox whose payment time (`time_end`, China time) falls on `date`. */
export async function firedOn(store: ForwarderStore, date: string): Promise<FiredPayment[]> {
  const day = date.replaceAll('-', '');
  const out: FiredPayment[] = [];
  for (const record of await store.list({ limit: OUTBOX_READ_LIMIT })) {
    if (record.event !== 'paid') continue;
    let body: { mch_id?: unknown; order_id?: unknown; transaction_id?: unknown; total_fee?: unknown; time_end?: unknown };
    try {
      body = JSON.parse(record.body) as typeof body;
    } catch {
      continue;
    }
    if (typeof body.time_end !== 'string' || !body.time_end.startsWith(day) || typeof body.transaction_id !== 'string') continue;
    out.push({
      mchId: String(body.mch_id ?? ''),
      orderId: String(body.order_id ?? ''),
      transactionId: body.transaction_id,
      totalFee: typeof body.total_fee === 'number' ? body.total_fee : 0,
    });
  }
  return out;
}

/** The merchants reconciled by default: those an app pays through. */
export function reconciledMerchants(wxpay: WxPay): string[] {
  return wxpay.config.merchants.filter((m) => wxpay.config.apps.some((a) => a.merchant === m.name)).map((m) => m.name);
}

/**
 * Reconciles one day of every merchant (or the one named), logging one summary line per merchant
 * (the `reconcile-mismatch` lines come from the event). Resolves the reports, in merchant order.
 */
export async function reconcileDay(
  wxpay: WxPay,
  store: ForwarderStore,
  logger: PinoLogger,
  options: ReconcileDayOptions = {},
): Promise<ReconcileReport[]> {
  const date = options.date ?? yesterdayInChina(wxpay.config.now());
  const merchants = options.merchant === undefined ? reconciledMerchants(wxpay) : [options.merchant];
  const fired = await firedOn(store, date);
  const reports: ReconcileReport[] = [];
  for (const merchant of merchants) {
    const started = performance.now();
    const onProgress = options.onProgress;
    const report = await wxpay.reconcile({
      date,
      merchant,
      fired,
      ...(onProgress === undefined ? {} : { onProgress: (done: number, total: number) => onProgress(merchant, done, total) }),
    });
    const counts: Record<string, number> = {};
    for (const d of report.differences) counts[d.kind] = (counts[d.kind] ?? 0) + 1;
    const line = {
      component: 'reconcile',
      date,
      merchant,
      checked: report.checked,
      differences: report.differences.length,
      ...counts,
      ms: Math.round(performance.now() - started),
    };
    if (report.differences.length === 0) logger.info(line, 'reconciled: no difference');
    else logger.warn(line, 'reconciled: differences found');
    reports.push(report);
  }
  return reports;
}

/** Ms from `now` to the next `HH:MM` China time (UTC+8). */
export function msUntilChinaTime(at: string, now: number): number {
  const [h, m] = at.split(':').map(Number) as [number, number];
  const china = new Date(now + 8 * 3_600_000);
  let next = Date.UTC(china.getUTCFullYear(), china.getUTCMonth(), china.getUTCDate(), h, m) - 8 * 3_600_000;
  if (next <= now) next += 86_400_000;
  return next - now;
}

/** WeChat is still making the bill (v3 `STATEMENT_CREATING`, v2 `Bill Creating`): worth asking again later. */
function isBillCreating(error: unknown): boolean {
  if (!isWxPayKitError(error)) return false;
  if (error.code === 'WXPAY_ERR_TRANSPORT') return true;
  if (error.code !== 'WXPAY_ERR_WXPAY') return false;
  const e = error as WxPayError;
  return e.errCode === 'STATEMENT_CREATING' || /bill creating/i.test(e.returnMsg ?? '') || e.retryable;
}

/** How soon a run that found the bill not ready (or WeChat unreachable) tries again: WeChat suggests every 30 minutes. */
export const RECONCILE_RETRY_MS = 30 * 60_000;
/** Tries per day before giving up until the next day. */
const RECONCILE_TRIES = 8;
/** How long one instance holds a day's run on a shared store, so instances do not all reconcile it. */
const RUN_LEASE_MS = 2 * 3_600_000;

export interface ReconcileScheduleInput {
  readonly wxpay: WxPay;
  readonly store: ForwarderStore;
  readonly logger: PinoLogger;
  /** `HH:MM` China time. */
  readonly at: string;
  /** Clock (epoch ms); default `Date.now`. */
  readonly now?: (() => number) | undefined;
}

/**
 * Reconciles yesterday's bills daily at `at` (China time). A run the bill was not ready for (or
 * WeChat did not answer) is tried again every {@link RECONCILE_RETRY_MS}, up to 8 times. Instances
 * sharing a store (Redis) take turns: the day's run is claimed in the store, so one of them runs it.
 * Returns the function that stops the schedule.
 */
export function scheduleReconcile(input: ReconcileScheduleInput): () => void {
  const { wxpay, store, logger, at } = input;
  const now = input.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = (ms: number, run: () => Promise<void>): void => {
    if (stopped) return;
    timer = setTimeout(() => void run(), ms);
    timer.unref();
  };
  const runDay = async (date: string, attempt: number): Promise<void> => {
    const key = `reconcile:${date}`;
    try {
      const claim = await store.claim(key, RUN_LEASE_MS);
      if (claim.state !== 'claimed') {
        logger.info({ component: 'reconcile', date }, 'reconciliation of this day runs or ran on another instance');
      } else {
        try {
          await reconcileDay(wxpay, store, logger, { date });
          await store.complete(key);
        } catch (error) {
          await store.release(key);
          throw error;
        }
      }
    } catch (error) {
      const again = attempt < RECONCILE_TRIES && isBillCreating(error);
      logger.error(
        { component: 'reconcile', date, attempt, err: { message: (error as Error)?.message, code: (error as { code?: string })?.code } },
        again ? `reconciliation failed; trying again in ${RECONCILE_RETRY_MS / 60_000} minutes` : 'reconciliation failed',
      );
      if (again) {
        arm(RECONCILE_RETRY_MS, () => runDay(date, attempt + 1));
        return;
      }
    }
    arm(msUntilChinaTime(at, now()), daily);
  };
  const daily = (): Promise<void> => runDay(yesterdayInChina(now()), 1);
  arm(msUntilChinaTime(at, now()), daily);
  logger.info({ component: 'reconcile', at, timeZone: 'UTC+8' }, 'daily reconciliation scheduled');
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
