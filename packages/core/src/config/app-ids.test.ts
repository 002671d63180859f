import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import type { ErrorEvent, PaidEvent } from '../events/event-map.js';
import { createHandler } from '../handler/create-handler.js';
import { KEY_1, MCH_1, bodyText, jsonRequest, scriptedClient, xmlRequest } from '../../test/helpers/handler-fixtures.js';
import { buildPayNotification, signNotifyXml } from '../testing/index.js';
import { acceptsAppId } from './app-ids.js';
import type { WxPayOptions } from './options.js';
import { resolveConfig } from './resolve-config.js';

function options(appIds: string[]): WxPayOptions {
  return {
    merchants: [{ name: 'm1', mchId: MCH_1, apiKey: KEY_1 }],
    apps: [{ name: 'shop', merchant: 'm1', appIds }],
    notifyPayUrl: 'https://pay.example.com/notify-pay',
    notifyRefundUrl: 'https://pay.example.com/notify-refund',
  };
}

describe("appIds: ['*'] (any app id of the merchant)", () => {
  it('is accepted alone and refused beside other ids', () => {
    const config = resolveConfig(options(['*']));
    expect(acceptsAppId(config.app('shop')!, 'wx0123456789abcdef')).toBe(true);
    expect(acceptsAppId(config.app('shop')!, '')).toBe(false);
    expect(config.appsByAppId('wx0123456789abcdef').map((a) => a.name)).toEqual(['shop']);
    expect(() => resolveConfig(options(['*', 'wx0123456789abcdef']))).toThrow(ConfigError);
    expect(acceptsAppId(resolveConfig(options(['wx1'])).app('shop')!, 'wx2')).toBe(false);
  });

  it('lets create-pay use the app id the request names', async () => {
    const client = scriptedClient();
    const wxpay = createHandler(resolveConfig(options(['*'])), client);
    const out = await wxpay.handle(
      jsonRequest('/create-pay/NATIVE', {
        appId: 'wxabcdefabcdefabcd',
        payApp: 'shop',
        goods: 'g',
        orderId: 'O1',
        fee: 1,
        ip: '127.0.0.1',
        productId: 'p',
      }),
    );
    expect(out.status).toBe(200);
    expect(client.calls.map((c) => (c.input as { appId: string }).appId)).toEqual(['wxabcdefabcdefabcd']);
  });

  it('accepts a notification for any appid but still checks mch_id and the signature', async () => {
    const wxpay = createHandler(resolveConfig(options(['*'])), scriptedClient());
    const paid: PaidEvent[] = [];
    const errors: ErrorEvent[] = [];
    wxpay.on('paid', (e) => void paid.push(e));
    wxpay.on('error', (e) => void errors.push(e));
    const good = buildPayNotification({ appid: 'wxabcdefabcdefabcd', mch_id: MCH_1, out_trade_no: 'O2' });
    expect(bodyText((await wxpay.handle(xmlRequest('/notify-pay/shop', signNotifyXml(good, KEY_1)))).body)).toContain('SUCCESS');
    const foreign = buildPayNotification({ appid: 'wxabcdefabcdefabcd', mch_id: '1999999999', out_trade_no: 'O3' });
    expect(bodyText((await wxpay.handle(xmlRequest('/notify-pay/shop', signNotifyXml(foreign, KEY_1)))).body)).toContain('FAIL');
    expect(paid.map((e) => [e.appId, e.orderId])).toEqual([['wxabcdefabcdefabcd', 'O2']]);
    expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_APP_MISMATCH']);
  });
});
