import { parseDuration } from './duration.js';
import { SimulatorError } from './errors.js';
import type { SimEnvironment, SimNotificationFilter, SimTarget, SimulatorControl, SimulatorMerchant } from './types.js';
import type { WireReply } from './api.js';

const json = (status: number, value: unknown): WireReply => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(value),
});

type Json = Record<string, unknown>;

function parseJson(body: Uint8Array): Json {
  if (body.byteLength === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    throw new SimulatorError('BAD_REQUEST', 'the body is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SimulatorError('BAD_REQUEST', 'the body must be a JSON object');
  }
  return value as Json;
}

function optionalString(input: Json, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new SimulatorError('BAD_REQUEST', `${name} must be a string`);
  return value;
}

function targetOf(input: Json): SimTarget {
  const environment = optionalString(input, 'environment');
  if (environment !== undefined && environment !== 'production' && environment !== 'sandbox') {
    throw new SimulatorError('BAD_REQUEST', 'environment must be production or sandbox');
  }
  const target: { mchId?: string; environment?: SimEnvironment } = {};
  const mchId = optionalString(input, 'mchId');
  if (mchId !== undefined) target.mchId = mchId;
  if (environment !== undefined) target.environment = environment;
  return target;
}

function filterOf(input: Json): SimNotificationFilter {
  const kind = optionalString(input, 'kind');
  const status = optionalString(input, 'status');
  if (kind !== undefined && kind !== 'pay' && kind !== 'refund') throw new SimulatorError('BAD_REQUEST', 'kind must be pay or refund');
  if (status !== undefined && status !== 'pending' && status !== 'delivered' && status !== 'failed') {
    throw new SimulatorError('BAD_REQUEST', 'status must be pending, delivered or failed');
  }
  const timeout = input['timeoutMs'];
  const timeoutMs = timeout === undefined ? undefined : Number(timeout);
  if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs < 0 || timeoutMs > 600_000)) {
    throw new SimulatorError('BAD_REQUEST', 'timeoutMs must be between 0 and 600000');
  }
  return {
    ...(kind !== undefined && { kind }),
    ...(status !== undefined && { status }),
    ...(optionalString(input, 'outTradeNo') !== undefined && { outTradeNo: optionalString(input, 'outTradeNo')! }),
    ...(optionalString(input, 'outRefundNo') !== undefined && { outRefundNo: optionalString(input, 'outRefundNo')! }),
    ...(timeoutMs !== undefined && { timeoutMs }),
  };
}

/**
 * The control API under `/_sim/` (JSON in, JSON out). Routes:
 *
 * | Method | Path | Does |
 * | --- | --- | --- |
 * | GET | `/_sim/merchants` | merchants and their keys |
 * | GET | `/_sim/orders`, `/_sim/orders/:outTradeNo` | inspect orders (`?mchId=&environment=`) |
 * | POST | `/_sim/orders/:outTradeNo/pay` | pay (`{ openId?, bankType?, isSubscribe?, coupons?, notify? }`) |
 * | POST | `/_sim/orders/:outTradeNo/pay-silently` | pay, and send no notification (`{ openId?, bankType?, isSubscribe?, coupons? }`) |
 * | POST | `/_sim/orders/:outTradeNo/mute` | no notifications about this order and its refunds (`{ muted?: boolean }`, default true) |
 * | POST | `/_sim/orders/:outTradeNo/fail` \| `/expire` | payment fails / order expires |
 * | POST | `/_sim/orders/:outTradeNo/refund` | refund from WeChat's side (`{ refundFee?, outRefundNo?, source?: 'console' \| 'api', notifyUrl?, reason? }`) |
 * | GET | `/_sim/refunds`, `/_sim/refunds/:outRefundNo` | inspect refunds (`?outTradeNo=`) |
 * | POST | `/_sim/refunds/:outRefundNo/complete` \| `/fail` \| `/close` | finish a refund |
 * | GET | `/_sim/notifications` | notification attempt log |
 * | GET | `/_sim/notifications/wait` | waits for a notification (`?kind=&outTradeNo=&outRefundNo=&status=&timeoutMs=`) |
 * | POST | `/_sim/notifications/forge` | sends one spoiled v3 notification (`{ forgery, outTradeNo?, outRefundNo? }`) |
 * | GET, POST, DELETE | `/_sim/faults` | list, add (`{ kind, ms?, path?, times? }`), clear faults |
 * | GET, PATCH | `/_sim/settings` | `{ refunds: 'auto' \| 'manual', timeFactor, notifications: boolean }` |
 * | POST | `/_sim/reset` | forget orders, refunds, notifications and faults |
 * | GET | `/_sim/v3/keys` | the WeChat Pay public key, its `PUB_KEY_ID_…` and the platform certificates |
 * | POST | `/_sim/v3/rotate` | issue a new platform certificate (`{ retirePrevious? }`) |
 *
 * Errors answer `{ "error": { "code", "message" } }`.
 */
export async function handleControl(
  control: SimulatorControl,
  merchants: readonly SimulatorMerchant[],
  method: string,
  path: string,
  query: URLSearchParams,
  body: Uint8Array,
): Promise<WireReply> {
  try {
    const parts = path
      .split('/')
      .slice(2)
      .map((p) => decodeURIComponent(p));
    const input: Json = { ...Object.fromEntries(query), ...(method === 'GET' ? {} : parseJson(body)) };
    const [resource, id, action] = parts;
    const route = `${method} ${resource ?? ''}${id !== undefined ? '/:id' : ''}${action !== undefined ? `/${action}` : ''}`;
    switch (route) {
      case 'GET health':
        return json(200, { ok: true });
      case 'GET merchants':
        return json(200, merchants);
      case 'GET orders':
        return json(200, await control.orders(targetOf(input)));
      case 'GET orders/:id':
        return json(200, await control.order(id!, targetOf(input)));
      case 'POST orders/:id/pay':
        return json(200, await control.pay(id!, { ...targetOf(input), ...payOptionsOf(input) }));
      case 'POST orders/:id/pay-silently':
        return json(200, await control.paySilently(id!, { ...targetOf(input), ...payOptionsOf(input) }));
      case 'POST orders/:id/mute': {
        const muted = input['muted'];
        if (muted !== undefined && typeof muted !== 'boolean') throw new SimulatorError('BAD_REQUEST', 'muted must be a boolean');
        return json(200, await control.muteNotifications(id!, { ...targetOf(input), ...(muted !== undefined && { muted }) }));
      }
      case 'POST orders/:id/fail':
        return json(200, await control.failPayment(id!, targetOf(input)));
      case 'POST orders/:id/expire':
        return json(200, await control.expire(id!, targetOf(input)));
      case 'POST orders/:id/refund':
        return json(200, await control.startRefund(id!, { ...targetOf(input), ...startRefundOptionsOf(input) }));
      case 'GET v3/:id':
        if (id === 'keys') return json(200, await control.wechatpayKeys());
        break;
      case 'POST v3/:id':
        if (id === 'rotate') {
          const retire = input['retirePrevious'];
          if (retire !== undefined && typeof retire !== 'boolean')
            throw new SimulatorError('BAD_REQUEST', 'retirePrevious must be a boolean');
          return json(200, await control.rotatePlatformCertificate({ retirePrevious: retire === true }));
        }
        break;
      case 'GET refunds': {
        const outTradeNo = optionalString(input, 'outTradeNo');
        return json(200, await control.refunds({ ...targetOf(input), ...(outTradeNo !== undefined && { outTradeNo }) }));
      }
      case 'GET refunds/:id':
        return json(200, await control.refund(id!, targetOf(input)));
      case 'POST refunds/:id/complete':
        return json(200, await control.completeRefund(id!, targetOf(input)));
      case 'POST refunds/:id/fail':
        return json(200, await control.failRefund(id!, targetOf(input)));
      case 'POST refunds/:id/close':
        return json(200, await control.closeRefund(id!, targetOf(input)));
      case 'GET notifications':
        return json(200, await control.notifications());
      case 'GET notifications/:id':
        if (id === 'wait') return json(200, await control.waitForNotification(filterOf(input)));
        break;
      case 'POST notifications/:id':
        if (id === 'forge') {
          const outTradeNo = optionalString(input, 'outTradeNo');
          const outRefundNo = optionalString(input, 'outRefundNo');
          return json(
            200,
            await control.forgeNotification({
              ...targetOf(input),
              forgery: optionalString(input, 'forgery') as never,
              ...(outTradeNo !== undefined && { outTradeNo }),
              ...(outRefundNo !== undefined && { outRefundNo }),
            }),
          );
        }
        break;
      case 'POST notifications/:id/resend':
        return json(200, await control.resendNotification(id!));
      case 'GET clock':
        return json(200, await control.clock());
      case 'POST clock/:id':
        if (id === 'advance') return json(200, await control.advanceClock(durationMs(input)));
        break;
      case 'GET faults':
        return json(200, await control.faults());
      case 'POST faults':
        return json(201, await control.addFault(input as never));
      case 'DELETE faults':
        await control.clearFaults();
        return json(200, []);
      case 'GET settings':
        return json(200, await control.settings());
      case 'PATCH settings':
      case 'POST settings':
        return json(200, await control.updateSettings(input));
      case 'POST reset':
        await control.reset();
        return json(200, { ok: true });
      default:
        break;
    }
    return json(404, { error: { code: 'NOT_FOUND', message: `no control route ${method} ${path}` } });
  } catch (cause) {
    if (cause instanceof SimulatorError) return json(cause.status, { error: { code: cause.code, message: cause.message } });
    if (cause instanceof URIError) return json(400, { error: { code: 'BAD_REQUEST', message: 'malformed path' } });
    throw cause;
  }
}

function payOptionsOf(input: Json): Json {
  const out: Json = {};
  for (const name of ['openId', 'bankType'] as const) {
    const v = optionalString(input, name);
    if (v !== undefined) out[name] = v;
  }
  if (input['isSubscribe'] !== undefined) {
    if (typeof input['isSubscribe'] !== 'boolean') throw new SimulatorError('BAD_REQUEST', 'isSubscribe must be a boolean');
    out['isSubscribe'] = input['isSubscribe'];
  }
  if (input['notify'] !== undefined) {
    if (typeof input['notify'] !== 'boolean') throw new SimulatorError('BAD_REQUEST', 'notify must be a boolean');
    out['notify'] = input['notify'];
  }
  if (input['coupons'] !== undefined) out['coupons'] = input['coupons'];
  return out;
}

function startRefundOptionsOf(input: Json): Json {
  const out: Json = {};
  for (const name of ['outRefundNo', 'notifyUrl', 'reason'] as const) {
    const v = optionalString(input, name);
    if (v !== undefined) out[name] = v;
  }
  const source = optionalString(input, 'source');
  if (source !== undefined && source !== 'console' && source !== 'api')
    throw new SimulatorError('BAD_REQUEST', 'source must be console or api');
  if (source !== undefined) out['source'] = source;
  if (input['refundFee'] !== undefined) {
    if (!Number.isInteger(input['refundFee'])) throw new SimulatorError('BAD_REQUEST', 'refundFee must be an integer (fen)');
    out['refundFee'] = input['refundFee'];
  }
  return out;
}

/** `{ms: 7200000}` or `{duration: "2h"}` (see {@link parseDuration}). */
function durationMs(input: Json): number {
  if (typeof input['ms'] === 'number') return input['ms'];
  if (typeof input['duration'] === 'string') return parseDuration(input['duration']);
  throw new SimulatorError('BAD_REQUEST', 'give ms (a number) or duration (such as "90s", "30m", "2h", "1d")');
}
