/** An express shop taking WeChat Pay, with the local simulator standing in for WeChat. `npm start`, or `npm run demo` to pay one order and exit. */
import { createServer } from 'node:http';
import express from 'express';
import { wxpayExpress } from '@wxpay-kit/express';
import { startSimulator } from '@wxpay-kit/simulator';

const port = Number(process.env['PORT'] ?? 3000);
const sim = await startSimulator({ port: 0 });
const merchant = sim.merchants[0]!;

const wxpay = wxpayExpress({
  merchants: [{ name: 'demo', mchId: merchant.mchId, apiKey: merchant.apiKey, baseUrl: sim.url }],
  apps: [{ name: 'shop', merchant: 'demo', appIds: [...merchant.appIds] }],
  notifyPayUrl: `http://127.0.0.1:${port}/wxpay/notify-pay`,
  notifyRefundUrl: `http://127.0.0.1:${port}/wxpay/notify-refund`,
});
wxpay.on('paid', async (event) => {
  console.log(`paid: order ${event.orderId}, ${event.totalFee} fen, transaction ${event.transactionId}`);
  if (process.argv.includes('--once')) setImmediate(() => void shutdown());
});

const app = express();
app.use('/wxpay', wxpay); // before or after express.json(): both work
app.use(express.json());
app.get('/', (_req, res) => void res.send('POST /wxpay/create-pay/NATIVE to create an order'));
// Cut slow senders (headers or a body trickled byte by byte) within about 30 s of their first byte:
// Node checks these limits every connectionsCheckingInterval (30 s unless set), so set all three.
const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 2_000 }, app);
server.listen(port, '127.0.0.1', async () => {
  console.log(`shop on http://127.0.0.1:${port}, WeChat Pay simulator on ${sim.url}`);
  const orderId = `demo-${Date.now()}`;
  const res = await fetch(`http://127.0.0.1:${port}/wxpay/create-pay/NATIVE`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      appId: merchant.appIds[0],
      payApp: 'shop',
      goods: 'T-shirt',
      orderId,
      fee: 9900,
      ip: '127.0.0.1',
      productId: 'tee',
    }),
  });
  console.log('create-pay:', await res.text());
  await sim.pay(orderId); // the customer scans and pays; WeChat notifies /wxpay/notify-pay/shop
});

async function shutdown(): Promise<void> {
  server.close();
  await Promise.all([wxpay.wxpay.close(), sim.close()]);
}
process.once('SIGINT', () => void shutdown());
