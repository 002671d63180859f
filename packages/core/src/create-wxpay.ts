import { createWxPayClient } from './client/client.js';
import type { WxPayOptions } from './config/options.js';
import { resolveConfig } from './config/resolve-config.js';
import { createHandler } from './handler/create-handler.js';
import { resolveSweepOptions, type SweepOptions } from './flow/sweeper.js';
import type { WxPay } from './handler/wxpay.js';

/**
 * Creates a WeChat Pay instance: the options are validated once (one `ConfigError` lists every
 * bad field, and certificates are loaded now, so a bad passphrase fails at start-up), then the
 * client, the dedup store (in memory unless `store` is given), the routes and the typed events
 * are built. Mount it with an adapter, or serve `handle()` yourself.
 *
 * @example
 * const wxpay = createWxPay({
 *   merchants: [{ name: 'main', mchId: '1230000109', apiKey: process.env.WXPAY_KEY! }],
 *   apps: [{ name: 'shop', merchant: 'main', appIds: ['wxd930ea5d5a258f4f'] }],
 *   notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
 *   notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund',
 *   bearerToken: process.env.WXPAY_INTERNAL_TOKEN,
 * });
 * wxpay.on('paid', async (event) => {
 *   await orders.markPaid(event.orderId, event.totalFee); // WeChat hears SUCCESS only after this
 * });
 * app.use('/wxpay', wxpayExpress(wxpay));
 */
export function createWxPay(options: WxPayOptions): WxPay {
  const config = resolveConfig(options);
  return createHandler(config, createWxPayClient(config), {
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    sweep: resolveSweepOptions(options.sweep as SweepOptions | boolean | undefined),
  });
}
