/**
 * The v3 bill APIs (spec v3-more §4.1, §4.2): `GET /v3/bill/tradebill` and `/v3/bill/fundflowbill`
 * answer `{hash_type, hash_value, download_url}` for a day of the ledger; the signed `GET` of
 * `download_url` answers the file itself, unsigned, gzip when `tar_type=GZIP` was asked for. The
 * hash is the SHA-1 of the uncompressed bill. Download tokens are single-use and expire after
 * 5 minutes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { WireReply } from '../api.js';
import { fundFlowBill, tradeBill, type FundAccount } from '../bill.js';
import type { SimulatorClock } from '../clock.js';
import type { Ledger } from '../ledger.js';
import type { SimulatorMerchant } from '../types.js';
import { ParamError } from './reader.js';
import { errorAnswer, type Answer } from './reply.js';
import { BILL_DOWNLOAD_PATH } from './routes.js';

/** How long a `download_url` works (current pages: 5 minutes). */
export const BILL_TOKEN_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

interface BillFile {
  readonly mchId: string;
  readonly text: string;
  readonly gzip: boolean;
  readonly expiresAt: number;
}

/** The bills applied for and not yet downloaded, by token. */
export class BillFiles {
  readonly #files = new Map<string, BillFile>();

  /** Keeps `text` for one download by `mchId` within {@link BILL_TOKEN_MS}; answers the token. */
  issue(mchId: string, text: string, gzip: boolean, now: number): string {
    for (const [token, file] of this.#files) if (file.expiresAt <= now) this.#files.delete(token);
    const token = randomBytes(24).toString('base64url');
    this.#files.set(token, { mchId, text, gzip, expiresAt: now + BILL_TOKEN_MS });
    return token;
  }

  /** The file of `token` for `mchId`, once: undefined when unknown, used, expired or another merchant's. */
  take(token: string, mchId: string, now: number): BillFile | undefined {
    const file = this.#files.get(token);
    if (file === undefined || file.mchId !== mchId) return undefined;
    this.#files.delete(token);
    return file.expiresAt > now ? file : undefined;
  }
}

/** What the bill handlers need. */
export interface BillDeps {
  readonly ledger: Ledger;
  readonly clock: SimulatorClock;
  /** Real time, for the download tokens' lifetime. */
  readonly wireClock: SimulatorClock;
  readonly bills: BillFiles;
}

/** `bill_date` as `yyyyMMdd`; a missing or malformed one → PARAM_ERROR. */
function billDate(query: URLSearchParams): string {
  const date = query.get('bill_date');
  if (!date) throw new ParamError('bill_date', null, '字段缺失', 'query');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00+08:00`))) {
    throw new ParamError('bill_date', date, '日期格式应为yyyy-MM-dd', 'query');
  }
  return date;
}

function gzipAsked(query: URLSearchParams): boolean {
  const tar = query.get('tar_type');
  if (tar !== null && tar !== 'GZIP') throw new ParamError('tar_type', tar, '只支持GZIP', 'query');
  return tar === 'GZIP';
}

/**
 * A day's bill is made from 09:00 China time the next day; before that WeChat answers
 * `STATEMENT_CREATING` (for today, and for days to come).
 */
function notReady(deps: BillDeps, date: string): Answer | undefined {
  const readyAt = Date.parse(`${date}T09:00:00+08:00`) + DAY_MS;
  return deps.clock.now() < readyAt ? errorAnswer(400, 'STATEMENT_CREATING', '账单生成中') : undefined;
}

function applied(deps: BillDeps, merchant: SimulatorMerchant, origin: string, text: string | undefined, gzip: boolean): Answer {
  if (text === undefined) return errorAnswer(400, 'NO_STATEMENT_EXIST', '请求的账单文件不存在');
  const token = deps.bills.issue(merchant.mchId, text, gzip, deps.wireClock.now());
  return {
    status: 200,
    body: {
      hash_type: 'SHA1',
      hash_value: createHash('sha1').update(text, 'utf8').digest('hex'),
      download_url: `${origin}${BILL_DOWNLOAD_PATH}?token=${token}${gzip ? '&tartype=gzip' : ''}`,
    },
  };
}

/** `GET /v3/bill/tradebill?bill_date=&bill_type=&tar_type=`: the merchant's trade bill of the day. */
export function applyTradeBill(deps: BillDeps, merchant: SimulatorMerchant, query: URLSearchParams, origin: string): Answer {
  const date = billDate(query);
  const type = query.get('bill_type') ?? 'ALL';
  if (type !== 'ALL' && type !== 'SUCCESS' && type !== 'REFUND')
    throw new ParamError('bill_type', type, '应为ALL、SUCCESS或REFUND', 'query');
  const gzip = gzipAsked(query);
  const creating = notReady(deps, date);
  if (creating) return creating;
  const state = deps.ledger.state;
  const orders = state.allOrders({ mchId: merchant.mchId, environment: 'production' });
  const text = tradeBill(date.replaceAll('-', ''), type, orders, (o) => state.refundsOf(o));
  return applied(deps, merchant, origin, text, gzip);
}

/** `GET /v3/bill/fundflowbill?bill_date=&account_type=&tar_type=`: the basic account's fund flows of the day. */
export function applyFundFlowBill(deps: BillDeps, merchant: SimulatorMerchant, query: URLSearchParams, origin: string): Answer {
  const date = billDate(query);
  const account = query.get('account_type') ?? 'BASIC';
  if (account !== 'BASIC' && account !== 'OPERATION' && account !== 'FEES') {
    throw new ParamError('account_type', account, '应为BASIC、OPERATION或FEES', 'query');
  }
  const gzip = gzipAsked(query);
  const creating = notReady(deps, date);
  if (creating) return creating;
  const state = deps.ledger.state;
  const target = { mchId: merchant.mchId, environment: 'production' as const };
  const text = fundFlowBill(
    date.replaceAll('-', ''),
    account as FundAccount,
    state.allOrders(target),
    (o) => state.refundsOf(o),
    deps.ledger.transfers({ mchId: merchant.mchId }),
  );
  return applied(deps, merchant, origin, text, gzip);
}

/**
 * The signed `GET` of a `download_url`: the file, not signed (no `Wechatpay-*` headers), gzip when
 * asked for; `corrupt` changes a byte after the hash was given (a fault, to test the check).
 * Undefined when the token is unknown, used or expired.
 */
export function downloadBillFile(
  deps: BillDeps,
  merchant: SimulatorMerchant,
  query: URLSearchParams,
  corrupt: boolean,
): WireReply | undefined {
  const file = deps.bills.take(query.get('token') ?? '', merchant.mchId, deps.wireClock.now());
  if (file === undefined) return undefined;
  const text = corrupt ? file.text.replace(/\d(?=[^\d]*$)/, (d) => String((Number(d) + 1) % 10)) : file.text;
  const plain = Buffer.from(text, 'utf8');
  return file.gzip
    ? { status: 200, headers: { 'content-type': 'application/x-gzip' }, body: gzipSync(plain) }
    : { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: plain };
}
