import { TransportError, WxPayError } from '../../errors.js';

/**
 * A non-2xx v3 reply as an error: its JSON `{code, message, detail}` becomes a
 * {@link WxPayError} (`errCode` = `code`, `errCodeDes` = `message`, with the `detail` location of a
 * `PARAM_ERROR` appended when given); a reply without such a body is a {@link TransportError}.
 */
export function errorFromV3Reply(statusCode: number, body: Uint8Array, path: string): WxPayError | TransportError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const reply = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  const code = reply?.['code'];
  if (typeof code !== 'string' || code === '') {
    return new TransportError(`WeChat Pay answered HTTP ${statusCode} on ${path}`, { statusCode });
  }
  const message = typeof reply?.['message'] === 'string' ? (reply['message'] as string) : undefined;
  const detail =
    reply?.['detail'] !== null && typeof reply?.['detail'] === 'object' ? (reply['detail'] as Record<string, unknown>) : undefined;
  const field = typeof detail?.['field'] === 'string' ? ` (field ${String(detail['field'])})` : '';
  return new WxPayError({ layer: 'result', errCode: code, errCodeDes: message === undefined ? undefined : `${message}${field}` });
}

const codeKey = (code: string): string => code.replace(/_/g, '').toUpperCase();

/** v3 codes the client repeats by itself with identical parameters (spec §1.1). */
const AUTO_RETRY = new Set(['SYSTEMERROR', 'BANKERROR', 'BIZERRNEEDRETRY']);

/** Whether a failed v3 attempt may be repeated automatically. */
export function isV3AutoRetryable(error: unknown): boolean {
  if (error instanceof WxPayError) return AUTO_RETRY.has(codeKey(error.errCode));
  return error instanceof TransportError;
}

/** Whether `error` is WeChat's answer `code` (any spelling: `ORDER_CLOSED`, `ORDERCLOSED`). */
export function hasV3Code(error: unknown, code: string): boolean {
  return error instanceof WxPayError && codeKey(error.errCode) === codeKey(code);
}
