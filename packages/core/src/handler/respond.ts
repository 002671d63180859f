/**
 * Every response the handler writes is built here: the one table from error codes to HTTP
 * statuses, the JSON envelopes of the seed gateway's API, and WeChat's XML acknowledgement.
 * Adapters never format an error themselves.
 */
import { isWxPayKitError, type WxPayErrorCode } from '../errors.js';
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
  WXPAY_ERR_LISTENER: 500,
  WXPAY_ERR_STORE: 503,
  WXPAY_ERR_INTERNAL: 500,
});

/** The HTTP status for any thrown value: the table for wxpay-kit errors, 500 for anything else. */
export function statusFor(error: unknown): number {
  if (!isWxPayKitError(error)) return 500;
  return (STATUS_BY_CODE as Record<string, number | undefined>)[error.code] ?? 500;
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

/** `{code, msg}` with the error's HTTP status as both the status and `code`. */
export function errorResponse(error: unknown, headers?: Readonly<Record<string, string>>): WxPayResponse {
  const status = statusFor(error);
  return jsonResponse(status, { code: status, msg: publicMessage(error) }, headers);
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
