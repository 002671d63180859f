import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SignType } from '@wxpay-kit/core';
import { buildXml, parseXml, sign, type XmlRecord } from '@wxpay-kit/core/protocol';
import { request, type Dispatcher } from 'undici';
import type { SimulatorMerchant } from '@wxpay-kit/simulator';

/** One raw exchange with the simulator's XML API. */
export interface WireResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** Parsed reply, when the reply is XML. */
  readonly xml: XmlRecord;
}

export interface CallOptions {
  /** Key to sign with; default the merchant's API key. `null` sends no sign. */
  readonly key?: string | null;
  readonly signType?: SignType;
  readonly dispatcher?: Dispatcher;
  readonly method?: 'POST' | 'GET' | 'PUT';
  /** Raw body instead of signed fields. */
  readonly raw?: string | Buffer;
}

/** Posts signed XML to a WeChat API path of the simulator. */
export async function wx(
  baseUrl: string,
  path: string,
  merchant: SimulatorMerchant,
  fields: Record<string, string | number | undefined>,
  options: CallOptions = {},
): Promise<WireResult> {
  const params: Record<string, string | number | undefined> = {
    appid: merchant.appIds[0],
    mch_id: merchant.mchId,
    nonce_str: 'n0nce5tr1ng',
    ...fields,
  };
  if (options.signType === 'HMAC-SHA256') params['sign_type'] = 'HMAC-SHA256';
  const key = options.key === undefined ? merchant.apiKey : options.key;
  if (key !== null) params['sign'] = sign(params, key, options.signType ?? 'MD5');
  const body = options.raw ?? buildXml(params);
  const res = await request(`${baseUrl}${path}`, {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'text/xml' },
    ...(options.method === 'GET' ? {} : { body }),
    ...(options.dispatcher && { dispatcher: options.dispatcher }),
  });
  const text = await res.body.text();
  let xml: XmlRecord = Object.create(null) as XmlRecord;
  if (text.startsWith('<xml>')) xml = parseXml(text);
  return { status: res.statusCode, headers: res.headers, text, xml };
}

/** A valid unifiedorder request body (without envelope fields). */
export function orderFields(
  outTradeNo: string,
  overrides: Record<string, string | number | undefined> = {},
): Record<string, string | number | undefined> {
  return {
    body: '腾讯充值中心-QQ会员充值',
    out_trade_no: outTradeNo,
    total_fee: 100,
    spbill_create_ip: '127.0.0.1',
    notify_url: 'http://127.0.0.1:9/notify',
    trade_type: 'NATIVE',
    product_id: 'P1',
    ...overrides,
  };
}

/** A received notification. */
export interface Received {
  readonly body: string;
  readonly headers: IncomingMessage['headers'];
}

/** A loopback HTTP server standing in for a merchant's notify URL. */
export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

/** Starts a receiver that answers each notification with `reply(n)` (n counts from 1). */
export async function startReceiver(
  reply: (n: number, body: string, headers: IncomingMessage['headers']) => { status?: number; body: string } = () => ({
    body: SUCCESS_REPLY,
  }),
): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ body, headers: req.headers });
      const out = reply(received.length, body, req.headers);
      res.writeHead(out.status ?? 200, { 'content-type': 'text/xml' });
      res.end(out.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/notify`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const SUCCESS_REPLY = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';
export const FAIL_REPLY = '<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[busy]]></return_msg></xml>';
