/**
 * Shared pieces of the reliability suites: one merchant and app, a `WxPay` instance over them,
 * notification requests, a logger that keeps every line, and a place to write measured figures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createWxPay,
  type ErrorEvent,
  type Logger,
  type PaidEvent,
  type RefundedEvent,
  type WxPay,
  type WxPayOptions,
  type WxPayRequest,
  type WxPayResponse,
} from '@wxpay-kit/core';
import { buildPayNotification, signNotifyXml } from '@wxpay-kit/core/testing';

/** The merchant every suite pays through (the key is the spec's test key). */
export const MERCHANT = { mchId: '1900000109', apiKey: '192006250b4c09247ec02edce69f6a2d' } as const;
/** A second merchant: its key signs forgeries "from another merchant". */
export const OTHER_MERCHANT = { mchId: '1900000999', apiKey: 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5' } as const;
export const APP_ID = 'wxd930ea5d5a258f4f';
export const OTHER_APP_ID = 'wx0000000000000001';

/** A `WxPay` for notification suites: no WeChat behind it (the notify routes need none). */
export function notifyWxPay(overrides: Partial<WxPayOptions> = {}): WxPay {
  return createWxPay({
    merchants: [
      { name: 'main', ...MERCHANT, baseUrl: 'http://127.0.0.1:9' },
      { name: 'other', ...OTHER_MERCHANT, baseUrl: 'http://127.0.0.1:9' },
    ],
    apps: [
      { name: 'shop', merchant: 'main', appIds: [APP_ID] },
      { name: 'else', merchant: 'other', appIds: [OTHER_APP_ID] },
    ],
    notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
    notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
    client: { retries: 0 },
    ...overrides,
  });
}

/** Events an instance emitted, by name. */
export interface Recorded {
  readonly paid: PaidEvent[];
  readonly refunded: RefundedEvent[];
  readonly errors: ErrorEvent[];
}

/** Records `paid`, `refunded` and `error` of `wxpay`. */
export function record(wxpay: WxPay): Recorded {
  const rec: Recorded = { paid: [], refunded: [], errors: [] };
  wxpay.on('paid', (e) => void rec.paid.push(e));
  wxpay.on('refunded', (e) => void rec.refunded.push(e));
  wxpay.on('error', (e) => void rec.errors.push(e));
  return rec;
}

/** A POST of `body` to a notify route, as an adapter would hand it to `handle()`. */
export function notifyRequest(body: string | Uint8Array, route: 'pay' | 'refund' = 'pay', app = 'shop'): WxPayRequest {
  return {
    method: 'POST',
    path: `/notify-${route}/${app}`,
    headers: { 'content-type': 'text/xml' },
    rawBody: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    remoteAddress: '203.0.113.9',
  };
}

/** A signed pay notification of `MERCHANT` for `APP_ID`, with `fields` over the defaults. */
export function payNotification(fields: Record<string, string> = {}, apiKey: string = MERCHANT.apiKey): string {
  return signNotifyXml(buildPayNotification({ appid: APP_ID, mch_id: MERCHANT.mchId, ...fields }), apiKey);
}

const REPLY = /^<xml><return_code><!\[CDATA\[(SUCCESS|FAIL)\]\]><\/return_code><return_msg><!\[CDATA\[[^]*?\]\]><\/return_msg><\/xml>$/;

/**
 * SUCCESS or FAIL when `response` is a well-formed WeChat acknowledgement, else undefined: the v2
 * XML reply, or the v3 one (an empty 200/204 for success, an error status with
 * `{"code":"FAIL","message":…}` JSON for failure) for bodies the handler took for API v3.
 */
export function replyCode(response: Pick<WxPayResponse, 'body' | 'headers'> & { status?: number }): 'SUCCESS' | 'FAIL' | undefined {
  const body = typeof response.body === 'string' ? response.body : Buffer.from(response.body).toString('utf8');
  const type = response.headers['content-type'] ?? '';
  if (/^text\/xml/.test(type)) return REPLY.exec(body)?.[1] as 'SUCCESS' | 'FAIL' | undefined;
  if (response.status !== undefined && /^application\/json/.test(type) && response.status >= 400) {
    try {
      const json = JSON.parse(body) as { code?: unknown; message?: unknown };
      return json.code === 'FAIL' && typeof json.message === 'string' ? 'FAIL' : undefined;
    } catch {
      return undefined;
    }
  }
  if ((response.status === 200 || response.status === 204) && body === '') return 'SUCCESS';
  return undefined;
}

/** A logger keeping every call as one JSON line (object and message), as a JSON log sink would write it. */
export interface CapturingLogger extends Logger {
  readonly lines: string[];
}

export function capturingLogger(): CapturingLogger {
  const lines: string[] = [];
  const write =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push(JSON.stringify({ level, ...serializable(obj), msg }));
    };
  return { lines, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** What a JSON log sink writes for an object: errors with name, message, stack and cause chain. */
function serializable(obj: object): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(obj, (_key, value: unknown) => {
      if (value instanceof Error) {
        return { ...value, name: value.name, message: value.message, stack: value.stack, cause: value.cause };
      }
      if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
      return value;
    }),
  ) as Record<string, unknown>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Writes measured figures to `test-output/reliability/<name>.json` (not asserted: timings are for
 * docs/reliability.md, read them after a run).
 */
export function writeFigures(name: string, figures: unknown): void {
  const dir = join(root, 'test-output', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
}

/** Runs count from the environment (`FUZZ_RUNS`, raised by `npm run test:soak`), else `fallback`. */
export function fuzzRuns(fallback: number): number {
  const env = Number(process.env['FUZZ_RUNS']);
  return Number.isInteger(env) && env > 0 ? env : fallback;
}
