/** One WxPay instance for the whole app (a Next.js app would keep it in a module like this). */
import { createWxPay } from '@wxpay-kit/core';
import { startSimulator } from '@wxpay-kit/simulator';

export const port = Number(process.env['PORT'] ?? 3000);
export const sim = await startSimulator({ port: 0 });
const merchant = sim.merchants[0]!;
export const appId = merchant.appIds[0]!;

export const wxpay = createWxPay({
  merchants: [{ name: 'demo', mchId: merchant.mchId, apiKey: merchant.apiKey, baseUrl: sim.url }],
  apps: [{ name: 'shop', merchant: 'demo', appIds: [...merchant.appIds] }],
  notifyPayUrl: `http://127.0.0.1:${port}/api/wxpay/notify-pay`,
  notifyRefundUrl: `http://127.0.0.1:${port}/api/wxpay/notify-refund`,
});
