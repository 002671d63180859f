// Compiled with exactOptionalPropertyTypes: optional options accept `undefined`, as `process.env.X` is.
import { createWxPay, type WxPayOptions } from '@wxpay-kit/core';

declare const env: Record<string, string | undefined>;

const options: WxPayOptions = {
  merchants: [
    {
      name: 'main',
      mchId: '1900000109',
      apiKey: env['WXPAY_KEY'],
      signType: undefined,
      baseUrl: env['WXPAY_BASE_URL'],
      sandbox: undefined,
      subMchId: env['SUB_MCH_ID'],
    },
  ],
  apps: [{ name: 'shop', merchant: 'main', appIds: ['wxd930ea5d5a258f4f'] }],
  notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
  notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund',
  bearerToken: env['WXPAY_TOKEN'],
  bodyLimit: undefined,
  store: undefined,
  logger: undefined,
  client: { timeoutMs: undefined, ca: env['EXTRA_CA'] },
};
createWxPay(options);
