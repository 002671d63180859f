import { z } from 'zod';
import type { TradeType, UnifiedOrderResult } from '../../client/types.js';
import { ValidationError } from '../../errors.js';
import { okEnvelope } from '../respond.js';
import { queueSweep } from '../../flow/sweep-calls.js';
import { notifyUrlFor, orderKey, parseBody, resolveTarget, storeCall, type JsonRoute } from '../route-context.js';
import { fen, notifyUrlField, optionalText, targetFields, text } from './schemas.js';

/** The `:type` of `create-pay/:type` (the seed's names) to WeChat's trade type. */
const TRADE_TYPES: Readonly<Record<string, TradeType>> = { JSAPI: 'JSAPI', NATIVE: 'NATIVE', APP: 'APP', H5: 'MWEB' };

const body = z.object({
  ...targetFields,
  goods: text,
  udd: optionalText,
  orderId: text,
  fee: fen,
  ip: text,
  openId: optionalText,
  productId: optionalText,
  redirectUrl: optionalText,
  sceneInfo: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  notifyUrl: notifyUrlField,
});

/** The seed's `result` object for each trade type. */
function resultOf(order: UnifiedOrderResult): Record<string, unknown> {
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
 */
export const createPayRoute: JsonRoute = {
  kind: 'json',
  method: 'POST',
  path: '/create-pay/:type',
  async handle(ctx, raw, params) {
    const tradeType = TRADE_TYPES[(params['type'] ?? '').toUpperCase()];
    if (!tradeType) throw new ValidationError('type: must be one of JSAPI, NATIVE, APP, H5', { field: 'type' });
    const input = parseBody(body, raw);
    const { app, merchant, appId } = resolveTarget(ctx, input.payApp, input.appId);
    const createdAt = ctx.config.now();
    const expiresAt = createdAt + ctx.config.orderExpireMinutes * 60_000;
    const order = await ctx.client.unifiedOrder({
      merchant: merchant.name,
      appId,
      tradeType,
      outTradeNo: input.orderId,
      totalFee: input.fee,
      body: input.goods,
      spbillCreateIp: input.ip,
      notifyUrl: input.notifyUrl ?? notifyUrlFor(ctx.config.notifyPayUrl, app.name),
      openId: input.openId,
      productId: input.productId,
      sceneInfo: input.sceneInfo,
      attach: input.udd,
      redirectUrl: input.redirectUrl,
      ...(merchant.receipt ? { receipt: true } : {}),
      timeExpire: new Date(expiresAt),
    });
    await storeCall('record an order', () =>
      ctx.store.putOrder(orderKey(merchant.mchId, input.orderId), {
        app: app.name,
        appId,
        mchId: merchant.mchId,
        totalFee: input.fee,
        createdAt,
        expiresAt,
      }),
    );
    await queueSweep(ctx, orderKey(merchant.mchId, input.orderId), createdAt);
    return okEnvelope(resultOf(order));
  },
};
