/** A fastify shop taking WeChat Pay, with the local simulator standing in for WeChat. `npm start`, or `npm run demo` to pay one order and exit. */
import Fastify from 'fastify';
import { wxpayPlugin } from '@wxpay-kit/fastify';
import { startSimulator } from '@wxpay-kit/simulator';

const port = Number(process.env['PORT'] ?? 3000);
const sim = await startSimulator({ port: 0 });
const merchant = sim.merchants[0]!;

// Cut slow senders (headers or a body trickled byte by byte) within about 30 s of their first byte:
// Node checks these limits every connectionsCheckingInterval (30 s unless set), so set all three.
// Fastify sets requestTimeout itself (0 unless given); the rest goes to node:http.
const app = Fastify({ requestTimeout: 30_000, http: { headersTimeout: 10_000, connectionsCheckingInterval: 2_000 } });
await app.register(wxpayPlugin, {
  prefix: '/wxpay',
  merchants: [{ name: 'demo', mchId: merchant.mchId, apiKey: merchant.apiKey, baseUrl: sim.url }],
  apps: [{ name: 'shop', merchant: 'demo', appIds: [...merchant.appIds] }],
  notifyPayUrl: `http://127.0.0.1:${port}/wxpay/notify-pay`,
  notifyRefundUrl: `http://127.0.0.1:${port}/wxpay/notify-refund`,
});
app.wxpay.on('paid', async (event) => {
  console.log(`paid: order ${event.orderId}, ${event.totalFee} fen, transaction ${event.transactionId}`);
  if (process.argv.includes('--once')) setImmediate(() => void shutdown());
});
app.get('/', async () => 'POST /wxpay/create-pay/NATIVE to create an order');

await app.listen({ host: '127.0.0.1', port });
console.log(`shop on http://127.0.0.1:${port}, WeChat Pay simulator on ${sim.url}`);
const orderId = `demo-${Date.now()}`;
const res = await app.inject({
  method: 'POST',
  url: '/wxpay/create-pay/NATIVE',
  payload: { appId: merchant.appIds[0], payApp: 'shop', goods: 'T-shirt', orderId, fee: 9900, ip: '127.0.0.1', productId: 'tee' },
});
console.log('create-pay:', res.body);
await sim.pay(orderId); // the customer scans and pays; WeChat notifies /wxpay/notify-pay/shop

async function shutdown(): Promise<void> {
  await app.close(); // closes the instance the plugin created
  await sim.close();
}
process.once('SIGINT', () => void shutdown());
