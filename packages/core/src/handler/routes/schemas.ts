/** Request body pieces shared by the JSON routes (field names of the seed gateway's API). */
import { z } from 'zod';
import { ValidationError } from '../../errors.js';

/** A required, non-empty string. */
export const text = z.string().min(1, 'must be a non-empty string');

/** An optional string; `''` counts as absent. */
export const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/** An amount in fen: a positive safe integer. */
export const fen = z.number().int('must be an integer number of fen').positive('must be positive').max(Number.MAX_SAFE_INTEGER);

/**
 * `appId` + `payApp`: every internal route names the app and the app id it acts for. `debug`
 * (go-wxpay-gateway's flag to echo the XML exchanged with WeChat) is accepted and changes nothing.
 */
export const targetFields = { appId: text, payApp: text, debug: z.boolean('must be true or false').optional() };

/**
 * A per-call notify URL (go-wxpay-gateway's `notifyUrl`): where WeChat sends this order's or
 * refund's notification instead of the gateway's notify route. Absolute http(s), no query string
 * (WeChat drops it), at most 256 characters; `''` counts as absent.
 */
export const notifyUrlField = optionalText.refine(
  (v) => {
    if (v === undefined) return true;
    if (v.length > 256 || !URL.canParse(v)) return false;
    const url = new URL(v);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '' && url.hostname !== '';
  },
  { message: 'must be an absolute http(s) URL without query string, at most 256 characters' },
);

/** `orderId` or `transactionId`: the merchant's order number or WeChat's transaction id. */
export const orderIdFields = { orderId: optionalText, transactionId: optionalText };

/** Which order a request names: exactly one of `orderId` and `transactionId`. */
export type OrderRef =
  | { readonly outTradeNo: string; readonly transactionId?: undefined }
  | { readonly transactionId: string; readonly outTradeNo?: undefined };

/** Exactly one of `orderId` / `transactionId`, else a {@link ValidationError} naming both. */
export function orderRef(input: { readonly orderId?: string | undefined; readonly transactionId?: string | undefined }): OrderRef {
  if (input.orderId !== undefined && input.transactionId !== undefined) {
    throw new ValidationError('orderId: give orderId or transactionId, not both', { field: 'orderId' });
  }
  if (input.transactionId !== undefined) return { transactionId: input.transactionId };
  if (input.orderId !== undefined) return { outTradeNo: input.orderId };
  throw new ValidationError("orderId: give orderId (your order number) or transactionId (WeChat's)", { field: 'orderId' });
}
