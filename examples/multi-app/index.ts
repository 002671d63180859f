/**
 * Two apps (a shop and a membership service) behind one WeChat Pay merchant. One payment service
 * takes WeChat's notifications and the forwarder relays each result, durably and signed, to the
 * app it belongs to. `npm start`, or `npm run demo` to pay one order per app and exit.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWxPay } from '@wxpay-kit/core';
import { createNodeListener } from '@wxpay-kit/core/node';
import { createFileStore, forwarder, verifyWebhook, type PayCallbackBody } from '@wxpay-kit/forwarder';
import { startSimulator } from '@wxpay-kit/simulator';

const APPS = {
  shop: { appId: 'wxd930ea5d5a258f4f', secret: 'whsec_c2hvcC13ZWJob29rLXNlY3JldA==' },
  members: { appId: 'wx2421b1c4370ec43b', secret: 'whsec_bWVtYmVycy13ZWJob29rLXNlY3JldA==' },
} as const;
type AppName = keyof typeof APPS;

const sim = await startSimulator({
  port: 0,
  merchants: [{ mchId: '1900000109', apiKey: '192006250b4c09247ec02edce69f6a2d', appIds: Object.values(APPS).map((a) => a.appId) }],
});
// Cut slow senders (headers or a body trickled byte by byte) within about 30 s of their first byte:
// Node checks these limits every connectionsCheckingInterval (30 s unless set), so set all three.
const SERVER_OPTIONS = { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 2_000 };
const listen = (server: Server): Promise<string> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));

// Each app: a webhook receiver that checks the signature with its own secret.
const servers: Server[] = [];
const received = new Set<AppName>();
const appUrls = {} as Record<AppName, string>;
for (const name of Object.keys(APPS) as AppName[]) {
  const server = createServer(SERVER_OPTIONS, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const { id, body } = verifyWebhook<PayCallbackBody>({
          payload: Buffer.concat(chunks),
          headers: req.headers,
          secret: APPS[name].secret,
        });
        console.log(`[${name}] paid: order ${body.order_id}, ${body.total_fee} fen (webhook ${id})`);
        received.add(name);
        res.writeHead(204).end();
        if (process.argv.includes('--once') && received.size === 2) setImmediate(() => void shutdown());
      } catch (error) {
        res.writeHead(400).end((error as Error).message);
      }
    });
  });
  appUrls[name] = await listen(server);
  servers.push(server);
}

// The payment service: WeChat's notifications in, each result out to its own app.
const store = await createFileStore({ dir: process.env['OUTBOX_DIR'] ?? mkdtempSync(join(tmpdir(), 'wxpay-multi-app-')) });
const payments = createServer(SERVER_OPTIONS);
const base = await listen(payments);
const wxpay = createWxPay({
  merchants: [{ name: 'main', mchId: '1900000109', apiKey: '192006250b4c09247ec02edce69f6a2d', baseUrl: sim.url }],
  apps: (Object.keys(APPS) as AppName[]).map((name) => ({ name, merchant: 'main', appIds: [APPS[name].appId] })),
  notifyPayUrl: `${base}/notify-pay`,
  notifyRefundUrl: `${base}/notify-refund`,
  store,
});
wxpay.use(
  forwarder({
    store,
    apps: {
      shop: { payCallback: `${appUrls.shop}/wxpay/paid`, secret: APPS.shop.secret },
      members: { payCallback: `${appUrls.members}/wxpay/paid`, secret: APPS.members.secret },
    },
  }),
);
await wxpay.ready();
payments.on('request', createNodeListener(wxpay));
console.log(`payment service on ${base}, WeChat Pay simulator on ${sim.url}`);

// One order per app, paid by the customer in the simulator.
for (const name of Object.keys(APPS) as AppName[]) {
  const orderId = `${name}-${Date.now()}`;
  const res = await fetch(`${base}/create-pay/NATIVE`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      appId: APPS[name].appId,
      payApp: name,
      goods: `${name} order`,
      orderId,
      fee: name === 'shop' ? 9900 : 1800,
      ip: '127.0.0.1',
      productId: 'p1',
    }),
  });
  console.log(`[${name}] create-pay: ${res.status}`);
  await sim.pay(orderId);
}

async function shutdown(): Promise<void> {
  for (const server of [payments, ...servers]) server.close();
  await wxpay.close();
  await store.close();
  await sim.close();
}
process.once('SIGINT', () => void shutdown());
