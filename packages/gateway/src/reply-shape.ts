import type { WxPayResponse } from '@wxpay-kit/core';
import type { ApiShape } from './config/seed-schema.js';

/**
 * go-wxpay-gateway's current version answers two calls differently from its first README (the
 * core's shapes): `query-order` wraps the order state in `{code, msg, result}`, and `create-pay/JSAPI`
 * returns `jsapi_params` as a JSON string (the caller parses it once more). `confirm`, which answers
 * in query-order's shape, is wrapped alike. Other answers, and every error, are the same in both.
 *
 * @param route the core route pattern that answered (`/query-order`, `/create-pay/:type`).
 */
export function shapeReply(shape: ApiShape, route: string, out: WxPayResponse): WxPayResponse {
  if (shape !== 'current' || out.status !== 200) return out;
  if (route !== '/query-order' && route !== '/confirm' && route !== '/create-pay/:type') return out;
  const text = typeof out.body === 'string' ? out.body : Buffer.from(out.body).toString('utf8');
  const body = JSON.parse(text) as Record<string, unknown>;
  let shaped: Record<string, unknown>;
  if (route === '/create-pay/:type') {
    const result = body['result'] as Record<string, unknown> | undefined;
    const params = result?.['jsapi_params'];
    if (params === undefined || typeof params === 'string') return out;
    shaped = { ...body, result: { ...result, jsapi_params: JSON.stringify(params) } };
  } else {
    shaped = { code: 200, msg: 'OK', result: body };
  }
  return { status: 200, headers: out.headers, body: JSON.stringify(shaped) };
}
