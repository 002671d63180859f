/**
 * Every response the handler writes is built here: the one table from error codes to HTTP
 * statuses, the JSON envelopes of the seed gateway's API, and WeChat's XML acknowledgement.
 * Adapters never format an error themselves.
 */
import { WxPayError, isWxPayKitError, type WxPayErrorCode } from '../errors.js';
import type { WxPayResponse } from './types.js';

/** `content-type` of JSON answers. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** `content-type` of the XML acknowledgements sent to WeChat (Express and Koa would guess `text/html`). */
export const XML_CONTENT_TYPE = 'text/xml; charset=utf-8';

/**
 * The HTTP status `handle()` answers with for each error code: the one place it is written
 * (error classes carry no status of their own).
 */
export const STATUS_BY_CODE: Readonly<Record<WxPayErrorCode, number>> = Object.freeze({
  WXPAY_ERR_CONFIG: 500,
  WXPAY_ERR_VALIDATION: 400,
  WXPAY_ERR_PAYLOAD_TOO_LARGE: 413,
  WXPAY_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  WXPAY_ERR_UNAUTHORIZED: 401,
  WXPAY_ERR_NOT_FOUND: 404,
  WXPAY_ERR_METHOD_NOT_ALLOWED: 405,
  WXPAY_ERR_XML: 400,
  WXPAY_ERR_SIGNATURE: 400,
  WXPAY_ERR_DECRYPT: 400,
  WXPAY_ERR_APP_MISMATCH: 400,
  WXPAY_ERR_AMOUNT_MISMATCH: 400,
  WXPAY_ERR_WXPAY: 502,
  WXPAY_ERR_TRANSPORT: 502,
  WXPAY_ERR_BILL_INTEGRITY: 502,
  WXPAY_ERR_LISTENER: 500,
  WXPAY_ERR_STORE: 503,
  WXPAY_ERR_INTERNAL: 500,
});

/**
 * WeChat Pay business codes answered with a status of their own instead of `WXPAY_ERR_WXPAY`'s 502:
 * the caller asked about something that does not exist (404) or that is already in a final state
 * (409). The seed's envelope carries the status in `code` too; every other WeChat code stays 502.
 * Codes are compared without underscores, so the v3 spellings (`ORDER_NOT_EXIST`) match as well.
 */
export const STATUS_BY_WECHAT_CODE: Readonly<Record<string, number>> = Object.freeze({
  ORDERNOTEXIST: 404,
  REFUNDNOTEXIST: 404,
  RESOURCENOTEXISTS: 404,
  NOTFOUND: 404,
  ORDERPAID: 409,
  ORDERCLOSED: 409,
  OUTTRADENOUSED: 409,
});

/** The HTTP status for any thrown value: the table for wxpay-kit errors, 500 for anything else. */
export function statusFor(error: unknown): number {
  if (!isWxPayKitError(error)) return 500;
  if (error instanceof WxPayError || error.code === 'WXPAY_ERR_WXPAY') {
    const errCode = (error as Partial<WxPayError>).errCode;
    const refined = typeof errCode === 'string' ? STATUS_BY_WECHAT_CODE[errCode.replace(/_/g, '').toUpperCase()] : undefined;
    if (refined !== undefined) return refined;
  }
  return (STATUS_BY_CODE as Record<string, number | undefined>)[error.code] ?? 500;
}

/**
 * `err_code` of a JSON error reply: WeChat's own code for a WeChat business failure (`ORDERNOTEXIST`,
 * `FAIL` for a `return_code` failure), else the `WXPAY_ERR_*` code (`WXPAY_ERR_INTERNAL` for a
 * value that is not a wxpay-kit error).
 */
export function errCodeFor(error: unknown): string {
  if (!isWxPayKitError(error)) return 'WXPAY_ERR_INTERNAL';
  const errCode = (error as Partial<WxPayError>).errCode;
  return error.code === 'WXPAY_ERR_WXPAY' && typeof errCode === 'string' && errCode !== '' ? errCode : error.code;
}

/** The body of every JSON error reply: the seed's `{code, msg}` plus `err_code` and `retryable`. */
export interface ErrorReplyBody {
  /** The HTTP status, as the seed's envelope has it. */
  readonly code: number;
  /** What went wrong, for people; never holds secrets or payloads. */
  readonly msg: string;
  /** WeChat's code (`ORDERNOTEXIST`) for WeChat's business failures, else the `WXPAY_ERR_*` code. */
  readonly err_code: string;
  /** Whether repeating the same request unchanged may succeed. */
  readonly retryable: boolean;
}

/** {@link ErrorReplyBody} for `error`. */
export function errorReplyBody(error: unknown): ErrorReplyBody {
  const status = statusFor(error);
  return {
    code: status,
    msg: publicMessage(error),
    err_code: errCodeFor(error),
    retryable: isWxPayKitError(error) ? error.retryable : false,
  };
}

/**
 * The text a caller may see for an error. wxpay-kit messages never hold secrets or payloads;
 * anything else (a bug, a host hook's exception) is reduced to a generic text.
 */
export function publicMessage(error: unknown): string {
  return isWxPayKitError(error) ? error.message : 'internal error';
}

/** A JSON response. */
export function jsonResponse(status: number, body: unknown, headers?: Readonly<Record<string, string>>): WxPayResponse {
  return { status, headers: { ...headers, 'content-type': JSON_CONTENT_TYPE }, body: JSON.stringify(body) };
}

/** `{code: 200, msg: 'OK', result}`: the success envelope of create-pay and create-refund. */
export function okEnvelope(result?: unknown): WxPayResponse {
  return jsonResponse(200, result === undefined ? { code: 200, msg: 'OK' } : { code: 200, msg: 'OK', result });
}

/** `{code, msg, err_code, retryable}` ({@link ErrorReplyBody}) with the error's HTTP status as both the status and `code`. */
export function errorResponse(error: unknown, headers?: Readonly<Record<string, string>>): WxPayResponse {
  const body = errorReplyBody(error);
  return jsonResponse(body.code, body, headers);
}

function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

/**
 * WeChat's acknowledgement of a notification (spec §7.3):
 * `<xml><return_code>SUCCESS|FAIL</return_code><return_msg>…</return_msg></xml>`. Anything but
 * SUCCESS makes WeChat deliver the notification again later.
 */
export function notifyReply(ok: boolean, message: string = ok ? 'OK' : 'FAIL', status = 200): WxPayResponse {
  const body =
    `<xml><return_code>${cdata(ok ? 'SUCCESS' : 'FAIL')}</return_code>` + `<return_msg>${cdata(message.slice(0, 128))}</return_msg></xml>`;
  return { status, headers: { 'content-type': XML_CONTENT_TYPE }, body };
}

const SUCCESS_BODY = notifyReply(true).body;
const XML_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': XML_CONTENT_TYPE });

/** `notifyReply(true)`: the same bytes, without building them again for every notification. */
export function notifySuccess(): WxPayResponse {
  return { status: 200, headers: XML_HEADERS, body: SUCCESS_BODY };
}

/** A FAIL acknowledgement for `error`, with the error's HTTP status. */
export function notifyFailure(error: unknown): WxPayResponse {
  return notifyReply(false, publicMessage(error), statusFor(error));
}
