import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PaidEvent, TransferEvent, WxPay } from '@wxpay-kit/core';
import { verifyWebhook } from '@wxpay-kit/forwarder';
import QRCode from 'qrcode';
import type { GatewayEndpoints } from '../config/gateway-config.js';
import type { PinoLogger } from '../logger.js';
import { demoPageHtml } from './page.js';

/** The routes the demo shop adds to the gateway in default mode. */
export const DEMO_PATHS = Object.freeze({
  page: '/',
  config: '/demo/config.json',
  qr: '/demo/qr.svg',
  pay: '/demo/pay',
  /** The payee confirms a transfer bill in the simulator (what `wx.requestMerchantTransfer` leads to). */
  confirmTransfer: '/demo/transfer/confirm',
  events: '/demo/events',
  /** The demo app's callbacks: the forwarder delivers here, the page shows what arrived. */
  payCallback: '/demo/callback/pay',
  refundCallback: '/demo/callback/refund',
  transferCallback: '/demo/callback/transfer',
});

/** A demo app the shop can sell through: the API fields a caller sends, and its merchant. */
export interface DemoApp {
  /** The app's name, sent as `payApp`. */
  readonly payApp: string;
  readonly appId: string;
  readonly mchId: string;
  /** The WeChat Pay API version its merchant uses. */
  readonly apiVersion: 'v2' | 'v3';
}

/** What the demo shop needs to know. */
export interface DemoShopOptions {
  /** The apps the page offers; the first is preselected. At least one. */
  readonly apps: readonly DemoApp[];
  /** The simulator whose control API "pays as the user". */
  readonly simulatorUrl: string;
  readonly endpoints: GatewayEndpoints;
  /** The demo app's webhook secret, to verify the forwarded callbacks it receives. */
  readonly callbackSecret: string;
  readonly logger: PinoLogger;
}

/** The demo shop's request handler and lifecycle hooks. */
export interface DemoShop {
  /** Serves the demo routes; resolves false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** Streams `wxpay`'s `paid`, transfer, `micropay-reversed` and `micropay-failed` events to the open pages. */
  attach(wxpay: WxPay): void;
  /** Ends every open event stream. */
  close(): void;
}

const MAX_BODY = 64 * 1024;

/**
 * The demo shop of the default mode: the page, a QR code renderer (SVG, `qrcode`), proxies to
 * the simulator's "pay" and "confirm transfer" control calls (for the app's merchant), a receiver
 * standing in for the app's callback URLs, and a server-sent event stream of `paid` and transfer
 * events and received callbacks.
 */
export function createDemoShop(options: DemoShopOptions): DemoShop {
  const head = options.apps[0];
  if (!head) throw new TypeError('createDemoShop: apps must list at least one app');
  const first: DemoApp = head;
  const streams = new Set<ServerResponse>();
  const page = demoPageHtml();

  function broadcast(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of streams) res.write(frame);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const method = req.method ?? 'GET';
    switch (`${method} ${url.pathname}`) {
      case `GET ${DEMO_PATHS.page}`:
      case 'GET /index.html':
        send(res, 200, 'text/html; charset=utf-8', page);
        return true;
      case `GET ${DEMO_PATHS.config}`:
        // payApp and appId: the first app, for callers that know only one.
        sendJson(res, 200, { payApp: first.payApp, appId: first.appId, apps: options.apps, endpoints: options.endpoints });
        return true;
      case `GET ${DEMO_PATHS.qr}`: {
        const text = url.searchParams.get('text') ?? '';
        if (text === '' || text.length > 512) {
          sendJson(res, 400, { code: 400, msg: 'text: 1 to 512 characters' });
          return true;
        }
        const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
        send(res, 200, 'image/svg+xml; charset=utf-8', svg);
        return true;
      }
      case `POST ${DEMO_PATHS.pay}`:
      case `POST ${DEMO_PATHS.confirmTransfer}`: {
        const body = await readJson(req);
        const transfer = url.pathname === DEMO_PATHS.confirmTransfer;
        const field = transfer ? 'outBillNo' : 'orderId';
        const given = body?.[field];
        const number = typeof given === 'string' ? given : '';
        // Order numbers may hold _-|*@; transfer bill numbers letters and digits only.
        if (!(transfer ? /^[A-Za-z0-9]{1,32}$/ : /^[A-Za-z0-9_\-|*@]{1,32}$/).test(number)) {
          sendJson(res, 400, { code: 400, msg: `${field}: 1 to 32 letters, digits${transfer ? '' : ' or _-|*@'}` });
          return true;
        }
        const payApp = body?.['payApp'] ?? first.payApp;
        const app = options.apps.find((a) => a.payApp === payApp);
        if (!app) {
          sendJson(res, 400, { code: 400, msg: `payApp: one of ${options.apps.map((a) => a.payApp).join(', ')}` });
          return true;
        }
        const control = transfer
          ? `/_sim/transfers/${encodeURIComponent(number)}/confirm`
          : `/_sim/orders/${encodeURIComponent(number)}/pay`;
        const answer = await fetch(new URL(control, options.simulatorUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ mchId: app.mchId }),
        });
        const result = (await answer.json()) as Record<string, unknown>;
        if (!answer.ok) {
          const error = result['error'] as { message?: string } | undefined;
          const refused = transfer ? 'the simulator refused the confirmation' : 'the simulator refused the payment';
          sendJson(res, answer.status, { code: answer.status, msg: error?.message ?? refused });
        } else {
          sendJson(res, 200, { code: 200, msg: 'OK', result });
        }
        return true;
      }
      case `GET ${DEMO_PATHS.events}`: {
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
        });
        res.write(': connected\n\n');
        streams.add(res);
        res.on('close', () => streams.delete(res));
        return true;
      }
      case `POST ${DEMO_PATHS.payCallback}`:
      case `POST ${DEMO_PATHS.refundCallback}`:
      case `POST ${DEMO_PATHS.transferCallback}`: {
        const raw = await readBody(req);
        let verified = false;
        try {
          verifyWebhook({ payload: raw, headers: req.headers, secret: options.callbackSecret });
          verified = true;
        } catch (error) {
          options.logger.warn({ err: { message: (error as Error).message } }, 'demo app: callback signature not verified');
        }
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw.slice(0, 200);
        }
        broadcast('callback', {
          kind: url.pathname === DEMO_PATHS.payCallback ? 'pay' : url.pathname === DEMO_PATHS.refundCallback ? 'refund' : 'transfer',
          webhookId: req.headers['webhook-id'],
          verified,
          body,
        });
        sendJson(res, verified ? 200 : 400, verified ? { ok: true } : { ok: false });
        return true;
      }
      default:
        return false;
    }
  }

  return {
    handle,
    attach(wxpay) {
      wxpay.on('paid', (e: PaidEvent) => {
        broadcast('paid', {
          app: e.app,
          orderId: e.orderId,
          transactionId: e.transactionId,
          totalFee: e.totalFee,
          tradeType: e.tradeType,
          openId: e.openId,
          timeEnd: e.timeEnd,
          source: e.source,
        });
      });
      const transfer = (e: TransferEvent) =>
        broadcast('transfer', {
          app: e.app,
          outBillNo: e.outBillNo,
          transferBillNo: e.transferBillNo,
          state: e.state,
          transferAmount: e.transferAmount,
          openId: e.openId,
          failReason: e.failReason,
          source: e.source,
        });
      wxpay.on('transferred', transfer);
      wxpay.on('transfer-failed', transfer);
      wxpay.on('transfer-cancelled', transfer);
      // The counter's payment codes that ended unpaid (a paid one arrives as `paid`).
      wxpay.on('micropay-reversed', (e) => {
        broadcast('micropay', {
          state: 'reversed',
          app: e.app,
          orderId: e.orderId,
          totalFee: e.totalFee,
          reason: e.reason,
          errCode: e.errCode,
        });
      });
      wxpay.on('micropay-failed', (e) => {
        broadcast('micropay', {
          state: 'failed',
          app: e.app,
          orderId: e.orderId,
          totalFee: e.totalFee,
          reason: e.reason,
          errCode: e.errCode,
        });
      });
    },
    close() {
      // The page's EventSource would keep the connection open; the gateway is going away.
      for (const res of streams) res.destroy();
      streams.clear();
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' }).end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('demo request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await readBody(req));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
