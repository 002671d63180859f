import { z } from 'zod';
import { CREATE_PAY_FIELDS, createPay, tradeTypeOf, type CreatePayResult } from '../../flow/order-calls.js';
import { okEnvelope } from '../respond.js';
import { parseBody, type JsonRoute } from '../route-context.js';
import { targetFields } from './schemas.js';

/** The body of `create-pay/:type`. */
export const createPayBody = z.object({ ...targetFields, ...CREATE_PAY_FIELDS });

/** The seed's `result` object for each trade type. */
function resultOf(order: CreatePayResult): Record<string, unknown> {
  const params = order.clientParams;
  switch (params.tradeType) {
    case 'JSAPI':
      return { jsapi_params: params.jsapi, prepay_id: order.prepayId };
    case 'APP':
      return { prepay_id: order.prepayId, req_params: params.app };
    case 'MWEB':
      return { pay_url: params.mwebUrl, prepay_id: order.prepayId };
    case 'NATIVE':
      return { code_url: params.codeUrl, prepay_id: order.prepayId };
  }
}

/**
 * `POST /create-pay/:type` (JSAPI, NATIVE, APP, H5): places a unifiedorder with the app's notify
 * URL and a `time_expire` `orderExpireMinutes` from now, records the order's amount and expiry
 * (for the notification check and the sweeper), and answers
 * `{code: 200, msg: 'OK', result}` with the client activation parameters. A per-call `notifyUrl`
 * sends the order's notification there instead of the app's notify URL (the app then passes it to
 * `verifyNotification`). A merchant with `receipt` asks for the e-invoice entry on every order.
 * The work is `createPay` in `flow/order-calls.ts`, which `wxpay.createPay()` calls too.
 */
export const createPayRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/create-pay/:type',
  body: createPayBody,
  async handle(ctx, raw, params) {
    const type = params['type'] ?? '';
    tradeTypeOf(type);
    const input = parseBody(createPayBody, raw);
    const order = await createPay(ctx, { ...input, app: input.payApp, appField: 'payApp', type });
    return okEnvelope(resultOf(order));
  },
};
