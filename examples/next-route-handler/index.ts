/**
 * Runs the route handler of `app/api/wxpay/[...path]/route.ts` the way Next.js would call it,
 * on a plain Node server (`@hono/node-server` turns Node requests into Fetch ones), with the local
 * simulator as WeChat. `npm start`, or `npm run demo` to pay one order and exit.
 */
import { createAdaptorServer } from '@hono/node-server';
import { GET, POST } from './app/api/wxpay/[...path]/route.js';
import { appId, port, sim, wxpay } from './wxpay.js';

wxpay.on('paid', async (event) => {
  console.log(`paid: order ${event.orderId}, ${event.totalFee} fen, transaction ${event.transactionId}`);
  if (process.argv.includes('--once')) setImmediate(() => void shutdown());
});

const server = createAdaptorServer({
  fetch: (request: Request) => {
    if (!new URL(request.url).pathname.startsWith('/api/wxpay/')) {
      return new Response('POST /api/wxpay/create-pay/NATIVE to create an order');
    }
    return request.method === 'GET' ? GET(request) : POST(request);
  },
});
server.listen(port, '127.0.0.1', async () => {
  console.log(`shop on http://127.0.0.1:${port}, WeChat Pay simulator on ${sim.url}`);
  const orderId = `demo-${Date.now()}`;
  const res = await fetch(`http://127.0.0.1:${port}/api/wxpay/create-pay/NATIVE`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appId, payApp: 'shop', goods: 'T-shirt', orderId, fee: 9900, ip: '127.0.0.1', productId: 'tee' }),
  });
  console.log('create-pay:', await res.text());
  await sim.pay(orderId); // the customer scans and pays; WeChat notifies /api/wxpay/notify-pay/shop
});

async function shutdown(): Promise<void> {
  server.close();
  await Promise.all([wxpay.close(), sim.close()]);
}
process.once('SIGINT', () => void shutdown());
