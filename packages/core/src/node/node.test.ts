import { createServer, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { PayloadTooLargeError, SignatureError } from '../errors.js';
import { createFakeWxPay, decodeEcho } from '../../../../test/helpers/fake-wxpay.js';
import { listenLoopback, type LoopbackServer } from '../../../../test/helpers/loopback.js';
import {
  attachEmitter,
  createNodeListener,
  readRawBody,
  serveNodeRequest,
  stripPrefix,
  toHeaderRecord,
  normalizePrefix,
  writeResponse,
} from './index.js';
import { createHandler } from '../handler/create-handler.js';
import { KEY_1, scriptedClient, testConfig } from '../../test/helpers/handler-fixtures.js';
import { buildPayNotification, signNotifyXml } from '../testing/index.js';
import type { WxPayResponse } from '../handler/types.js';

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(listener: Parameters<typeof createServer>[1] & object): Promise<string> {
  const s = await listenLoopback(createServer(listener));
  servers.push(s);
  return s.url;
}

/** Serves readRawBody's outcome: 200 + the bytes, or the error's name and reason. */
async function rawBodyServer(
  prepare: (req: IncomingMessage) => Promise<unknown> | unknown,
  options: { limit?: number; signed?: boolean } = {},
): Promise<string> {
  return serve((req, res) => {
    void (async () => {
      const parsedBody = await prepare(req);
      try {
        const bytes = await readRawBody(req, { limit: options.limit ?? 64, signed: options.signed ?? false, parsedBody });
        res.end(Buffer.from(bytes));
      } catch (error) {
        res.statusCode = 599;
        res.setHeader('connection', 'close');
        res.end(
          JSON.stringify({ name: (error as Error).name, message: (error as Error).message, reason: (error as SignatureError).reason }),
        );
      }
    })();
  });
}

async function drain(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('readRawBody', () => {
  it('reads an untouched stream byte for byte', async () => {
    const url = await rawBodyServer(() => undefined);
    const bytes = Buffer.from([0, 255, 0xe4, 0xb8, 0xad, 10, 13]);
    const res = await request(url, { method: 'POST', body: bytes });
    expect(Buffer.from(await res.body.arrayBuffer())).toEqual(bytes);
  });

  it('prefers the untouched stream over a parsed body a host left', async () => {
    const url = await rawBodyServer(() => ({ not: 'used' }), { signed: true });
    const res = await request(url, { method: 'POST', body: '<xml>raw</xml>' });
    expect(await res.body.text()).toBe('<xml>raw</xml>');
  });

  it('uses a Buffer left by a host parser as is', async () => {
    const url = await rawBodyServer(async (req) => Buffer.concat([await drain(req), Buffer.from('!')]), { signed: true });
    const res = await request(url, { method: 'POST', body: '<xml/>' });
    expect(await res.body.text()).toBe('<xml/>!');
  });

  it('UTF-8 encodes a string left by a host parser', async () => {
    const url = await rawBodyServer(async (req) => `${(await drain(req)).toString('utf8')}中`);
    const res = await request(url, { method: 'POST', body: 'a' });
    expect(Buffer.from(await res.body.arrayBuffer())).toEqual(Buffer.from('a中', 'utf8'));
  });

  it('re-serializes a parsed object on an unsigned route', async () => {
    const url = await rawBodyServer(async (req) => JSON.parse((await drain(req)).toString('utf8')) as unknown);
    const res = await request(url, { method: 'POST', body: '{ "orderId" : "o1" }' });
    expect(await res.body.text()).toBe('{"orderId":"o1"}');
  });

  it('refuses a parsed object on a signed route and says to mount before the parser', async () => {
    const url = await rawBodyServer(async (req) => ({ parsed: (await drain(req)).length }), { signed: true });
    const res = await request(url, { method: 'POST', body: '<xml/>' });
    const out = (await res.body.json()) as { name: string; message: string; reason: string };
    expect(out.name).toBe(SignatureError.name);
    expect(out.reason).toBe('unparsed-body');
    expect(out.message).toMatch(/mount wxpay-kit before the body parser/);
  });

  it('answers an empty body when the stream was consumed and nothing was left', async () => {
    const url = await rawBodyServer(async (req) => {
      await drain(req);
      return undefined;
    });
    const res = await request(url, { method: 'POST', body: 'gone' });
    expect(await res.body.text()).toBe('');
  });

  it('rejects a declared content-length over the limit without reading', async () => {
    const url = await rawBodyServer(() => undefined, { limit: 8 });
    const res = await request(url, { method: 'POST', body: 'x'.repeat(9) });
    expect(res.statusCode).toBe(599);
    expect(((await res.body.json()) as { name: string }).name).toBe(PayloadTooLargeError.name);
  });

  it('applies the limit to bodies left by a host parser', async () => {
    const url = await rawBodyServer(async (req) => drain(req), { limit: 4 });
    const res = await request(url, { method: 'POST', body: 'x'.repeat(5) });
    expect(res.statusCode).toBe(599);
  });
});

describe('createNodeListener', () => {
  it('serves matched routes under a prefix with normalized headers and the exact body', async () => {
    const wxpay = createFakeWxPay();
    const url = await serve(createNodeListener(wxpay, { prefix: '/wxpay/' }));
    const res = await request(`${url}/wxpay/echo?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Multi': ['a', 'b'] },
      body: '{"a":1}',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-fake']).toBe('yes');
    const echo = decodeEcho(await res.body.text());
    expect(echo).toMatchObject({ method: 'POST', path: '/echo', text: '{"a":1}', remoteAddress: '127.0.0.1' });
    expect(echo.headers['x-multi']).toBe('a, b');
    expect(echo.headers['content-type']).toBe('application/json');
  });

  it('answers 404 through the core for paths that are not ours, or hands them to onMiss', async () => {
    const wxpay = createFakeWxPay();
    const url = await serve(createNodeListener(wxpay, { prefix: '/wxpay' }));
    const miss = await request(`${url}/echo`, { method: 'POST', body: '{}' });
    expect(miss.statusCode).toBe(404);
    expect(miss.headers['content-type']).toMatch(/application\/json/);
    expect(await miss.body.json()).toMatchObject({ code: 404 });

    const url2 = await serve(createNodeListener(wxpay, { onMiss: (_req, res) => res.writeHead(418).end('host') }));
    const host = await request(`${url2}/elsewhere`);
    expect(host.statusCode).toBe(418);
    expect(await host.body.text()).toBe('host');
    expect(wxpay.requests).toHaveLength(0);
  });

  it('answers 413 as WeChat XML on a signed route and 413 JSON elsewhere', async () => {
    const wxpay = createFakeWxPay({ bodyLimit: 16 });
    const url = await serve(createNodeListener(wxpay));
    const xml = await request(`${url}/notify/app`, { method: 'POST', body: 'x'.repeat(17) });
    expect(xml.statusCode).toBe(413);
    expect(xml.headers['content-type']).toMatch(/text\/xml/);
    expect(await xml.body.text()).toContain('FAIL');
    const json = await request(`${url}/echo`, { method: 'POST', body: 'x'.repeat(17) });
    expect(json.statusCode).toBe(413);
    expect(await json.body.json()).toMatchObject({ code: 413 });
    expect(wxpay.requests).toHaveLength(0);
  });

  /** Sends `head` and `body` on a raw socket without ever finishing the body; resolves what came back once the server closed. */
  async function unfinishedUpload(url: string, head: string, body: string): Promise<string> {
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (received += d));
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(head);
    socket.write(body);
    await closed;
    return received;
  }

  it('answers an oversized streamed body with 413 and closes the socket instead of draining it', async () => {
    const wxpay = createFakeWxPay({ bodyLimit: 1024 });
    const url = await serve(createNodeListener(wxpay));
    const chunk = 'y'.repeat(2048);
    const received = await unfinishedUpload(
      url,
      'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
    );
    expect(received).toMatch(/^HTTP\/1\.1 413/);
    expect(received.toLowerCase()).toContain('connection: close');
    expect(wxpay.requests).toHaveLength(0);
  });

  it('answers a declared oversized body with 413 at once and closes the socket without waiting for it', async () => {
    const wxpay = createFakeWxPay({ bodyLimit: 1024 });
    const url = await serve(createNodeListener(wxpay));
    const received = await unfinishedUpload(
      url,
      'POST /notify/a HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n',
      'z'.repeat(100),
    );
    expect(received).toMatch(/^HTTP\/1\.1 413/);
    expect(received).toContain('<return_code><![CDATA[FAIL]]>');
  });
});

describe('serveNodeRequest', () => {
  it('answers within the request end event when the core answers synchronously', async () => {
    const wxpay = createHandler(testConfig(), scriptedClient());
    wxpay.on('paid', () => undefined);
    const order: string[] = [];
    const url = await serve((req, res) => {
      serveNodeRequest(
        wxpay,
        req,
        { path: '/notify-pay/shop', route: wxpay.match('POST', '/notify-pay/shop')! },
        (out) => {
          order.push('send');
          writeResponse(res, out);
        },
        () => res.destroy(),
      );
      // Registered after the reader's own `end` listener: runs after it, in the same event.
      req.on('end', () => void order.push('end'));
    });
    const post = async (transactionId: string) => {
      const body = signNotifyXml(buildPayNotification({ transaction_id: transactionId }), KEY_1);
      const res = await request(`${url}/notify-pay/shop`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
      return res.body.text();
    };
    // The first notification fetches the merchant's key from the client (a promise); the next do not.
    expect(await post('T-1')).toContain('SUCCESS');
    order.length = 0;
    expect(await post('T-2')).toContain('SUCCESS');
    expect(order).toEqual(['send', 'end']);
  });

  it('hands what send throws to fail', async () => {
    const wxpay = createFakeWxPay();
    const failures: unknown[] = [];
    const url = await serve((req, res) => {
      serveNodeRequest(
        wxpay,
        req,
        { path: '/echo', route: wxpay.match('POST', '/echo')! },
        () => {
          throw new Error('write failed');
        },
        (error) => {
          failures.push(error);
          res.writeHead(500).end();
        },
      );
    });
    const res = await request(`${url}/echo`, { method: 'POST', body: '{}' });
    expect(res.statusCode).toBe(500);
    await res.body.dump();
    expect(failures.map((e) => (e as Error).message)).toEqual(['write failed']);
  });
});

describe('writeResponse', () => {
  it('hands a string body to end() as a string, after the headers with its UTF-8 length', () => {
    const calls: unknown[][] = [];
    const res = {
      headersSent: false,
      writeHead: (...args: unknown[]) => void calls.push(['writeHead', ...args]),
      end: (...args: unknown[]) => void calls.push(['end', ...args]),
    };
    const out: WxPayResponse = { status: 200, headers: { 'content-type': 'text/xml; charset=utf-8' }, body: '<xml>中</xml>' };
    writeResponse(res as never, out);
    expect(calls).toEqual([
      ['writeHead', 200, ['content-type', 'text/xml; charset=utf-8', 'content-length', '14']],
      ['end', '<xml>中</xml>'],
    ]);
  });

  it('keeps the headers a host set before, and sends bytes as they are', async () => {
    const url = await serve((_req, res) => {
      res.setHeader('x-request-id', 'r1');
      writeResponse(res, {
        status: 201,
        headers: { 'content-type': 'application/octet-stream', 'x-extra': 'e' },
        body: new Uint8Array([0, 255, 7]),
      });
    });
    const res = await request(url, { method: 'POST', body: '' });
    expect(res.statusCode).toBe(201);
    expect(res.headers).toMatchObject({
      'x-request-id': 'r1',
      'x-extra': 'e',
      'content-type': 'application/octet-stream',
      'content-length': '3',
    });
    expect([...Buffer.from(await res.body.arrayBuffer())]).toEqual([0, 255, 7]);
  });
});

describe('attachEmitter', () => {
  it('forwards on/once/off to the one instance and chains on the target', async () => {
    const wxpay = createFakeWxPay();
    const a = attachEmitter(() => 'a', wxpay);
    const b = attachEmitter(() => 'b', wxpay);
    const seen: string[] = [];
    const listener = (e: { orderId: string }) => void seen.push(e.orderId);
    expect(a.on('paid', listener as never)).toBe(a);
    b.once('paid', ((e: { orderId: string }) => void seen.push(`once:${e.orderId}`)) as never);
    wxpay.emit('paid', { orderId: 'o1' });
    wxpay.emit('paid', { orderId: 'o2' });
    b.off('paid', listener as never);
    wxpay.emit('paid', { orderId: 'o3' });
    expect(seen).toEqual(['o1', 'once:o1', 'o2']);
    expect(a.wxpay).toBe(wxpay);
    expect(a()).toBe('a');
  });
});

describe('helpers', () => {
  it('flattens headers', () => {
    expect(toHeaderRecord({ 'content-type': 'text/xml', 'set-cookie': ['a=1', 'b=2'], none: undefined })).toEqual({
      'content-type': 'text/xml',
      'set-cookie': 'a=1, b=2',
    });
  });

  it('normalizes and strips prefixes', () => {
    expect(normalizePrefix(undefined)).toBe('');
    expect(normalizePrefix('/')).toBe('');
    expect(normalizePrefix('wxpay/')).toBe('/wxpay');
    expect(stripPrefix('/wxpay', '/wxpay')).toBe('/');
    expect(stripPrefix('/wxpay/echo', '/wxpay')).toBe('/echo');
    expect(stripPrefix('/wxpayx/echo', '/wxpay')).toBeUndefined();
    expect(stripPrefix('/echo', '')).toBe('/echo');
  });
});
