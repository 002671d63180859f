/**
 * go-wxpay-gateway's endpoints for the older pay-out products, in its request fields and reply
 * shapes, run by the core client:
 *
 * - `transfer` (企业付款到零钱, API v2 over mutual TLS): `{appId, payApp, tradeNo, openId, userName,
 *   amount, desc, ip, debug}` → `client.transferToBalance` (a non-empty `userName` is sent as
 *   `re_user_name` with `check_name` `FORCE_CHECK`; without one, `NO_CHECK`). Answers
 *   `{code: 200, msg: 'OK', result}` with WeChat's reply fields (`partner_trade_no`, `payment_no`,
 *   `payment_time`, `mch_appid`, `mchid`, …).
 * - `query-transfer` (its v2 query): `{appId, payApp, tradeNo, debug}` → `client.queryTransferToBalance`;
 *   `result` is WeChat's `gettransferinfo` reply fields (`status`, `payment_amount`, `detail_id`, …).
 * - `v3-transfer` (the batch API): `{payApp, appId, batchNo, batchName, batchRemark, details:
 *   [{tradeNo, amount, desc, openId, userName}]}` → `client.createTransferBatch`; answers
 *   `{code: 200, msg: 'OK', result: {wxBatchId}}`.
 * - `v3-query-transfer`: `{payApp, status, needDetail, wxBatchId | batchNo}` → the batch query,
 *   every page of details when `needDetail`; answers `{code, msg, result: {status, total, details}}`
 *   (`details` only when `total` > 0: the listed details, or `null` when none were listed).
 * - `v3-query-transfer-detail`: `{payApp, wxBatchId + wxDetailId | batchNo + tradeNo}` → the
 *   detail query; answers `{code, msg, result: {status, amount, remark, reason}}`.
 *
 * Key names match case-insensitively (`payapp` = `payApp`), as go-wxpay-gateway decodes these
 * bodies into untagged Go structs. `debug` is accepted and changes nothing (the request and reply
 * XML are not exposed). Errors keep the gateway's answer for every endpoint: 400 naming the field
 * in the seed's spelling, 502 with WeChat's `err_code` (`NOTENOUGH`, `NOT_ENOUGH`, `AMOUNT_LIMIT`,
 * …), 404 for an unknown number; go-wxpay-gateway answered them all 500 with the error text.
 */
import { ANY_APP_ID, ValidationError, type WxPay, type WxPayClient } from '@wxpay-kit/core';

/** go-wxpay-gateway's older pay-out endpoints. */
export type SeedPayoutOp = 'transfer' | 'query-transfer' | 'v3-transfer' | 'v3-query-transfer' | 'v3-query-transfer-detail';

type Body = Readonly<Record<string, unknown>>;

/** A body's keys, lower-cased (Go's untagged struct decoding matches names case-insensitively). */
function folded(value: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (!out.has(k.toLowerCase())) out.set(k.toLowerCase(), v);
  }
  return out;
}

/** A 400 naming the field first, as the core's routes word theirs (`payApp: is required`). */
function bad(field: string, message: string): never {
  throw new ValidationError(`${field}: ${message}`, { field });
}

/** A string field; absent (or `null`, as Go leaves it) is `''`. */
function str(body: Map<string, unknown>, name: string): string {
  const v = body.get(name.toLowerCase());
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') bad(name, 'must be a string');
  return v;
}

function bool(body: Map<string, unknown>, name: string): boolean {
  const v = body.get(name.toLowerCase());
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') bad(name, 'must be true or false');
  return v;
}

/** An amount in fen as the body gives it; the client checks it is a positive whole number. */
function fen(body: Map<string, unknown>, name: string): number {
  const v = body.get(name.toLowerCase());
  if (typeof v !== 'number') bad(name, 'must be a whole number of fen');
  return v;
}

/** The core merchant of `payApp`, and its `appId` (one of the app's), which the batch queries do not need. */
function target(wxpay: WxPay, body: Map<string, unknown>): { merchant: string; appId: string } {
  const payApp = str(body, 'payApp');
  const app = payApp === '' ? undefined : wxpay.config.app(payApp);
  const merchant = app ? wxpay.config.merchantOfApp(app.name) : undefined;
  if (!app || !merchant) bad('payApp', payApp === '' ? 'is required' : `names no configured app ('${payApp}')`);
  const appId = str(body, 'appId');
  if (appId !== '' && !app.appIds.includes(appId) && !app.appIds.includes(ANY_APP_ID)) {
    bad('appId', `is not an app id of app '${app.name}'`);
  }
  return { merchant: merchant.name, appId };
}

/** The merchant only (the batch queries name no app id). */
function merchantOf(wxpay: WxPay, body: Map<string, unknown>): { merchant: string } {
  return { merchant: target(wxpay, body).merchant };
}

/** The client's field names in a ValidationError → the seed's, per endpoint. */
const SEED_NAMES: Readonly<Record<SeedPayoutOp, Readonly<Record<string, string>>>> = {
  transfer: {
    partnerTradeNo: 'tradeNo',
    openId: 'openId',
    amount: 'amount',
    desc: 'desc',
    spbillCreateIp: 'ip',
    reUserName: 'userName',
    appId: 'appId',
  },
  'query-transfer': { partnerTradeNo: 'tradeNo', appId: 'appId' },
  'v3-transfer': { outBatchNo: 'batchNo', batchName: 'batchName', batchRemark: 'batchRemark', details: 'details', appId: 'appId' },
  'v3-query-transfer': { outBatchNo: 'batchNo', batchId: 'wxBatchId' },
  'v3-query-transfer-detail': { outBatchNo: 'batchNo', outDetailNo: 'tradeNo', batchId: 'wxBatchId', detailId: 'wxDetailId' },
};

const DETAIL_NAMES: Readonly<Record<string, string>> = {
  outDetailNo: 'tradeNo',
  transferAmount: 'amount',
  transferRemark: 'desc',
  openId: 'openId',
  userName: 'userName',
};

/** A client ValidationError renamed to the seed's field names (`details[0].transferAmount` → `details[0].amount`). */
export function inSeedNames(op: SeedPayoutOp, error: unknown): unknown {
  if (!(error instanceof ValidationError) || error.field === undefined) return error;
  const field = error.field;
  const detail = /^details\[(\d+)\]\.(\w+)$/.exec(field);
  const seed = detail ? `details[${detail[1]}].${DETAIL_NAMES[detail[2]!] ?? detail[2]}` : SEED_NAMES[op][field];
  if (seed === undefined || seed === field) return error;
  return new ValidationError(`${seed}${error.message.startsWith(field) ? error.message.slice(field.length) : `: ${error.message}`}`, {
    field: seed,
  });
}

/** WeChat's reply record without its envelope: the `result` go-wxpay-gateway passes on. */
function replyFields(raw: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (k !== 'return_code' && k !== 'return_msg' && k !== 'nonce_str' && k !== 'sign') out[k] = v;
  return out;
}

const ok = (result: unknown) => ({ code: 200, msg: 'OK', result });

/** Most details one batch query page lists (WeChat's upper bound). */
const PAGE = 100;

/** Runs one endpoint; resolves the JSON reply, rejects with the error to answer (in the seed's field names). */
export async function runSeedPayout(wxpay: WxPay, op: SeedPayoutOp, input: unknown): Promise<Record<string, unknown>> {
  try {
    return await run(wxpay.client, wxpay, op, folded(input));
  } catch (error) {
    throw inSeedNames(op, error);
  }
}

async function run(client: WxPayClient, wxpay: WxPay, op: SeedPayoutOp, body: Map<string, unknown>): Promise<Record<string, unknown>> {
  switch (op) {
    case 'transfer': {
      const t = target(wxpay, body);
      const userName = str(body, 'userName');
      const paid = await client.transferToBalance({
        ...t,
        partnerTradeNo: str(body, 'tradeNo'),
        openId: str(body, 'openId'),
        amount: fen(body, 'amount'),
        desc: str(body, 'desc'),
        spbillCreateIp: str(body, 'ip'),
        ...(userName === '' ? {} : { reUserName: userName }),
      });
      return ok(replyFields(paid.raw));
    }
    case 'query-transfer': {
      const found = await client.queryTransferToBalance({ ...target(wxpay, body), partnerTradeNo: str(body, 'tradeNo') });
      return ok(replyFields(found.raw));
    }
    case 'v3-transfer': {
      const list = body.get('details');
      if (!Array.isArray(list)) bad('details', 'must be a list of payees');
      const created = await client.createTransferBatch({
        ...target(wxpay, body),
        outBatchNo: str(body, 'batchNo'),
        batchName: str(body, 'batchName'),
        batchRemark: str(body, 'batchRemark'),
        details: list.map((item: unknown, n) => {
          const d = folded(item);
          const name = str(d, 'userName');
          const amount = d.get('amount');
          if (typeof amount !== 'number') bad(`details[${n}].amount`, 'must be a whole number of fen');
          return {
            outDetailNo: str(d, 'tradeNo'),
            transferAmount: amount,
            transferRemark: str(d, 'desc'),
            openId: str(d, 'openId'),
            ...(name === '' ? {} : { userName: name }),
          };
        }),
      });
      return ok({ wxBatchId: created.batchId });
    }
    case 'v3-query-transfer': {
      const t = merchantOf(wxpay, body);
      const wxBatchId = str(body, 'wxBatchId');
      const batchNo = str(body, 'batchNo');
      if (wxBatchId === '' && batchNo === '') bad('wxBatchId', 'wxBatchId or batchNo expected');
      const wanted = str(body, 'status').toUpperCase();
      const detailStatus = wanted === 'SUCCESS' || wanted === 'FAIL' ? wanted : 'ALL';
      const needQueryDetail = bool(body, 'needDetail');
      const by = wxBatchId !== '' ? { batchId: wxBatchId } : { outBatchNo: batchNo };
      let page = await client.queryTransferBatch({ ...t, ...by, needQueryDetail, detailStatus, offset: 0, limit: PAGE });
      const details = [...page.details];
      while (needQueryDetail && page.details.length === PAGE) {
        page = await client.queryTransferBatch({ ...t, ...by, needQueryDetail, detailStatus, offset: details.length, limit: PAGE });
        details.push(...page.details);
      }
      const result: Record<string, unknown> = { status: page.batchStatus, total: page.totalNum };
      if (page.totalNum > 0) {
        result['details'] =
          details.length === 0
            ? null
            : details.map((d) => ({ detail_id: d.detailId, out_detail_no: d.outDetailNo, detail_status: d.detailStatus }));
      }
      return ok(result);
    }
    case 'v3-query-transfer-detail': {
      const t = merchantOf(wxpay, body);
      const wxBatchId = str(body, 'wxBatchId');
      const batchNo = str(body, 'batchNo');
      if (wxBatchId === '' && batchNo === '') bad('wxBatchId', 'wxBatchId or batchNo expected');
      let by: { batchId: string; detailId: string } | { outBatchNo: string; outDetailNo: string };
      if (wxBatchId !== '') {
        const wxDetailId = str(body, 'wxDetailId');
        if (wxDetailId === '') bad('wxDetailId', 'wxDetailId expected');
        by = { batchId: wxBatchId, detailId: wxDetailId };
      } else {
        const tradeNo = str(body, 'tradeNo');
        if (tradeNo === '') bad('tradeNo', 'tradeNo expected');
        by = { outBatchNo: batchNo, outDetailNo: tradeNo };
      }
      const d = await client.queryTransferBatchDetail({ ...t, ...by });
      return ok({ status: d.detailStatus, amount: d.transferAmount, remark: d.transferRemark ?? '', reason: d.failReason ?? '' });
    }
  }
}

/** The seed's request body as JSON; anything else is a 400. */
export function parseSeedBody(raw: Uint8Array): Body {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    throw new ValidationError('the body must be a JSON object', { field: 'body' });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ValidationError('the body must be a JSON object', { field: 'body' });
  return value as Body;
}
