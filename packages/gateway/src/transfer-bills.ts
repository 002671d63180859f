/**
 * go-wxpay-gateway's transfer-bill endpoints (商家转账, its 2025 version), in its field names and
 * reply shapes, run by the core's transfer routes so the bill is recorded, checked and its final
 * event fires once whatever reports it:
 *
 * - `v3-transfer-bills`: WeChat's own create fields (`appid`, `out_bill_no`, `transfer_amount`, …)
 *   plus `payApp` → the core's `create-transfer`; answers `{code: 200, msg: 'OK', result}` with
 *   WeChat's create reply (`out_bill_no`, `transfer_bill_no`, `create_time`, `state`, `package_info`).
 * - `v3-query-transfer-bills` and `v3-cancel-transfer-bills`: `{payApp, out_bills_no}` (the seed's
 *   spelling; `out_bill_no` is accepted too) → the core's `confirm-transfer` (a query that fires
 *   the bill's final event once, if it has ended and nothing reported it yet) and `cancel-transfer`.
 * - `v3-verify-transfer-bills/:payApp`: WeChat's transfer callback as the app received it (headers
 *   and body) → `WxPay.verifyNotification({kind: 'transfer'})`.
 *
 * Errors keep the core's answer (`{code, msg, err_code, retryable}` with its status: 400 naming the
 * field in the seed's spelling, 502 with WeChat's `err_code`), where go-wxpay-gateway answered 500
 * with WeChat's reply as `msg`.
 */
import { ANY_APP_ID, type NotificationCheck, type WxPayResponse } from '@wxpay-kit/core';
import type { GatewayApp, GatewayConfig } from './config/gateway-config.js';
import { missingTransferKeys } from './config/to-options.js';
import type { TransferBillsCall } from './endpoints.js';

/** The core route each call runs. */
export const TRANSFER_BILLS_ROUTES: Readonly<Record<TransferBillsCall, string>> = Object.freeze({
  create: '/create-transfer',
  query: '/confirm-transfer',
  cancel: '/cancel-transfer',
});

/** The seed's create fields and the core route's names for them. */
const CREATE_FIELDS: readonly (readonly [seed: string, core: string])[] = [
  ['payApp', 'payApp'],
  ['appid', 'appId'],
  ['out_bill_no', 'outBillNo'],
  ['transfer_scene_id', 'sceneId'],
  ['openid', 'openId'],
  ['user_name', 'userName'],
  ['transfer_amount', 'fee'],
  ['transfer_remark', 'remark'],
  ['notify_url', 'notifyUrl'],
  ['user_recv_perception', 'userRecvPerception'],
  ['debug', 'debug'],
];

/**
 * The seed's name for a field the core names in an error message (route and client names both:
 * `fee` and `transferAmount` are `transfer_amount`).
 */
export const SEED_NAME: Readonly<Record<TransferBillsCall, Readonly<Record<string, string>>>> = Object.freeze({
  create: {
    payApp: 'payApp',
    appId: 'appid',
    outBillNo: 'out_bill_no',
    sceneId: 'transfer_scene_id',
    transferSceneId: 'transfer_scene_id',
    openId: 'openid',
    userName: 'user_name',
    fee: 'transfer_amount',
    transferAmount: 'transfer_amount',
    remark: 'transfer_remark',
    transferRemark: 'transfer_remark',
    notifyUrl: 'notify_url',
    userRecvPerception: 'user_recv_perception',
    sceneReportInfos: 'transfer_scene_report_infos',
  },
  query: { payApp: 'payApp', outBillNo: 'out_bills_no' },
  cancel: { payApp: 'payApp', outBillNo: 'out_bills_no' },
});

/** WeChat's fields of each call's reply, in its order: the `result` go-wxpay-gateway passes on. */
const REPLY_FIELDS: Readonly<Record<TransferBillsCall, readonly string[]>> = Object.freeze({
  create: ['out_bill_no', 'transfer_bill_no', 'create_time', 'state', 'package_info'],
  query: [
    'mch_id',
    'out_bill_no',
    'transfer_bill_no',
    'appid',
    'state',
    'transfer_amount',
    'transfer_remark',
    'fail_reason',
    'openid',
    'create_time',
    'update_time',
  ],
  cancel: ['out_bill_no', 'transfer_bill_no', 'state', 'update_time'],
});

/** A request the seed's caller sent that is not a JSON object: the answer, before the core is asked. */
export class SeedRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedRequestError';
  }
}

/**
 * The core route's JSON body for a seed call. `apps` gives query and cancel, which name no app id,
 * the app's first listed one (`*` for an app that accepts any: the query and the cancel send none
 * to WeChat).
 */
export function coreTransferBody(call: TransferBillsCall, body: unknown, apps: readonly GatewayApp[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SeedRequestError('the body must be a JSON object');
  const seed = body as Record<string, unknown>;
  if (call === 'create') {
    const out: Record<string, unknown> = {};
    for (const [from, to] of CREATE_FIELDS) if (seed[from] !== undefined && seed[from] !== null) out[to] = seed[from];
    const rows = seed['transfer_scene_report_infos'];
    if (Array.isArray(rows)) {
      out['sceneReportInfos'] = rows.map((row: unknown) =>
        typeof row === 'object' && row !== null
          ? { infoType: (row as Record<string, unknown>)['info_type'], infoContent: (row as Record<string, unknown>)['info_content'] }
          : row,
      );
    } else if (rows !== undefined && rows !== null) out['sceneReportInfos'] = rows;
    return out;
  }
  const payApp = seed['payApp'];
  const app = apps.find((a) => a.name === payApp);
  return {
    payApp,
    appId: app?.appIds.find((id) => id !== ANY_APP_ID) ?? ANY_APP_ID,
    outBillNo: seed['out_bills_no'] ?? seed['out_bill_no'],
    ...(seed['debug'] === undefined ? {} : { debug: seed['debug'] }),
  };
}

/**
 * Why `payApp` cannot make transfer bills here, or undefined: transfer bills are API v3 calls, made
 * with an API v3 merchant's keys or, as go-wxpay-gateway does, with the v3 keys an API v2 merchant
 * carries next to its v2 key (its payments stay on v2); WeChat's sandbox has none. An unknown app
 * is left to the core, which names the field.
 */
export function transferBillsRefusal(config: Pick<GatewayConfig, 'apps' | 'merchants'>, payApp: unknown): string | undefined {
  const app = config.apps.find((a) => a.name === payApp);
  const merchant = app && config.merchants.find((m) => m.name === app.merchant);
  if (!app || !merchant || merchant.v3) return undefined;
  if (app.sandbox) return `payApp: transfer bills are an API v3 call, which WeChat's sandbox (app "${app.name}") does not have`;
  const missing = merchant.transferKeys === undefined ? undefined : missingTransferKeys(merchant.transferKeys);
  if (missing?.length === 0) return undefined;
  return (
    `payApp: transfer bills are an API v3 call and merchant "${merchant.name}" of app "${app.name}" pays on API v2 ` +
    (missing === undefined
      ? 'without API v3 keys; give it mch-key-pem-file, mch-cert-serialno, wxpay-v3-key and wxpay-pubkey-file + wxpay-pubkey-id (or wxpay-v3-cert)'
      : `with an incomplete set of API v3 keys; give it ${missing.join(', ')}`)
  );
}

/**
 * The seed's answer for the core's: on success `{code: 200, msg: 'OK', result}` with WeChat's
 * fields of the call's reply; an error as the core answered it, its field named as the caller
 * sent it.
 */
export function seedTransferReply(call: TransferBillsCall, out: WxPayResponse): { status: number; body: Record<string, unknown> } {
  const text = typeof out.body === 'string' ? out.body : Buffer.from(out.body).toString('utf8');
  const body = JSON.parse(text) as Record<string, unknown>;
  if (out.status !== 200) {
    const msg = body['msg'];
    return { status: out.status, body: typeof msg === 'string' ? { ...body, msg: seedFieldNames(call, msg) } : body };
  }
  const bill = (body['result'] ?? {}) as Record<string, unknown>;
  // The core names the app id `app_id`; WeChat's query reply, `appid`.
  const source: Record<string, unknown> = { ...bill, appid: bill['app_id'] };
  const result: Record<string, unknown> = {};
  for (const field of REPLY_FIELDS[call]) if (source[field] !== undefined) result[field] = source[field];
  return { status: 200, body: { code: 200, msg: 'OK', result } };
}

/** `fee: must be positive` → `transfer_amount: must be positive`; `sceneReportInfos[0].infoType …` → `transfer_scene_report_infos[0].info_type …`. */
function seedFieldNames(call: TransferBillsCall, msg: string): string {
  const match = /^([A-Za-z]+)([.[][^\s:]*)?(?=:? )/.exec(msg);
  if (!match) return msg;
  const name = SEED_NAME[call][match[1]!];
  if (name === undefined) return msg;
  const rest = (match[2] ?? '').replace('infoType', 'info_type').replace('infoContent', 'info_content');
  return `${name}${rest}${msg.slice(match[0].length)}`;
}

/** go-wxpay-gateway's `v3-verify-transfer-bills` answer, with this gateway's `redelivery` flag. */
export interface VerifyTransferBillsReply {
  /** 200: verified (act on `result.bill`); 406: refused (forged, a replay, not this app's); 500: failed here, WeChat should deliver again. */
  readonly code: 200 | 406 | 500;
  /** `OK`, what the callback reports when it reports no final state, or why it was refused. */
  readonly msg: string;
  /** What to answer WeChat: the HTTP status and the JSON body (`{"code":"SUCCESS"}` only when code is 200). */
  readonly respToWxpay: { readonly respCode: number; readonly respBody: unknown };
  /** The decrypted bill (`out_bill_no`, `transfer_bill_no`, `state`, `mch_id`, `transfer_amount`, `openid`, …); absent unless verified with a final state. */
  readonly result?: { readonly bill: Readonly<Record<string, unknown>> };
  /** True when this bill's result was delivered before: its event did not fire again. */
  readonly redelivery: boolean;
}

/** The reply for what `WxPay.verifyNotification({kind: 'transfer'})` made of a callback. */
export function verifyTransferBillsReply(check: NotificationCheck): VerifyTransferBillsReply {
  const text = typeof check.reply.body === 'string' ? check.reply.body : Buffer.from(check.reply.body).toString('utf8');
  let respBody: unknown;
  try {
    respBody = JSON.parse(text);
  } catch {
    respBody = text;
  }
  const respToWxpay = { respCode: check.reply.status, respBody };
  switch (check.status) {
    case 'delivered':
      return { code: 200, msg: 'OK', respToWxpay, result: { bill: check.event.payload.raw }, redelivery: check.redelivery };
    case 'acknowledged':
      return { code: 200, msg: check.reason, respToWxpay, redelivery: false };
    case 'refused':
      return { code: check.reply.status >= 500 ? 500 : 406, msg: check.error.message, respToWxpay, redelivery: false };
  }
}
