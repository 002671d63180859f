/** The wxpay-kit options every notify-route scenario uses: one merchant, one app `shop`. */
import type { WxPayOptions } from '@wxpay-kit/core';
import { API_KEY, APP_ID, MCH_ID } from './fixtures.js';

export const WXPAY_OPTIONS: WxPayOptions = {
  merchants: [{ name: 'main', mchId: MCH_ID, apiKey: API_KEY, baseUrl: 'http://127.0.0.1:9' }],
  apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
  notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
  notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund',
};
