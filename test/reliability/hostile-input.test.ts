/**
 * Hostile input on the public notify routes: fuzzing of the XML parser and of `handle()`, the
 * classic XML attacks with their event-loop stall measured, and oversized bodies over a real
 * socket against every adapter.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import express from 'express';
import Koa from 'koa';
import Fastify from 'fastify';
import { XmlError, type WxPay, type WxPayRequest } from '@wxpay-kit/core';
import { parseXml } from '@wxpay-kit/core/protocol';
import { createNodeListener } from '@wxpay-kit/core/node';
import { buildRefundNotifyXml } from '@wxpay-kit/core/testing';
import { wxpayExpress } from '@wxpay-kit/express';
import { wxpayKoa } from '@wxpay-kit/koa';
import { wxpayPlugin } from '@wxpay-kit/fastify';
import { listenLoopback, type LoopbackServer } from '../helpers/loopback.js';
import {
  APP_ID,
  MERCHANT,
  fuzzRuns,
  notifyRequest,
  notifyWxPay,
  payNotification,
  record,
  replyCode,
  writeFigures,
  type Recorded,
} from './support.js';

const RUNS = fuzzRuns(5_000);
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf']);

const SIGNED_PAY = payNotification({ transaction_id: '4200000000202411220000000001', out_trade_no: 'FUZZ1', attach: '附加 & <数据>' });
const SIGNED_REFUND = buildRefundNotifyXml(
  { refund_id: '50000000002024112200000001', out_refund_no: 'RFUZZ1', out_trade_no: 'FUZZ1' },
  MERCHANT.apiKey,
  {
    appid: APP_ID,
    mch_id: MERCHANT.mchId,
  },
);

/** Pieces that stress an XML parser: markup, entities, CDATA edges, odd characters. */
const PIECES = [
  ']]>',
  ']]',
  '<![CDATA[',
  '"',
  "'",
  '<',
  '>',
  '&',
  '&amp;',
  '&lt;',
  '&#60;',
  '&#x4E2D;',
  '&#0;',
  '&#xD800;',
  '&nbsp;',
  '&x;',
  '中文',
  '\t',
  '\n',
  '\r',
  ' ',
  '\u00a0',
  '\u2028',
  '\uFEFF',
  '😀',
  '\u0000',
  '\uD800',
  '<!DOCTYPE x>',
  '<!doctype xml [',
  '<!ENTITY x "y">',
  '<!ENTITY % p SYSTEM "http://127.0.0.1:9/">',
  '%p;',
  '<!--',
  '-->',
  '<?xml version="1.0"?>',
  '<?',
  '?>',
  '/',
  '</xml>',
  '<xml>',
  '<a>',
  '</a>',
  '<a/>',
  '<__proto__>',
  '</__proto__>',
  '<constructor>',
  '<sign>',
  '</sign>',
  '<total_fee>1</total_fee>',
  '<return_code>SUCCESS</return_code>',
  '<a b="1">',
  'xmlns:x="y"',
];

/** One edit of a valid document: delete a range, insert a piece, or duplicate a slice. */
const edit = fc.record({
  op: fc.constantFrom('delete', 'insert', 'duplicate', 'replace'),
  at: fc.nat(),
  len: fc.integer({ min: 0, max: 40 }),
  piece: fc.constantFrom(...PIECES),
});
type Edit = { op: string; at: number; len: number; piece: string };

function applyEdits(doc: string, edits: readonly Edit[]): string {
  let out = doc;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    if (e.op === 'delete') out = out.slice(0, at) + out.slice(at + e.len);
    else if (e.op === 'insert') out = out.slice(0, at) + e.piece + out.slice(at);
    else if (e.op === 'duplicate') out = out.slice(0, at + e.len) + out.slice(at, at + e.len) + out.slice(at + e.len);
    else out = out.slice(0, at) + e.piece + out.slice(at + Math.min(e.len, e.piece.length));
  }
  return out;
}

const mutated = (doc: string): fc.Arbitrary<string> =>
  fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => applyEdits(doc, edits));
const soup = fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }).map((parts) => parts.join(''));
const bytes = fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 96 }).map((a) => Uint8Array.from(a));
/** Valid text with a few bytes swapped for ones that break UTF-8. */
const brokenUtf8 = fc
  .tuple(
    mutated(SIGNED_PAY),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x80, 0xbf, 0xc0, 0xc3, 0xe4, 0xed, 0xf4, 0xf8, 0xff)), { minLength: 1, maxLength: 3 }),
  )
  .map(([text, flips]) => {
    const b = Buffer.from(text, 'utf8');
    for (const [at, value] of flips) b[at % b.length] = value;
    return new Uint8Array(b);
  });

const anyBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: mutated(SIGNED_PAY) },
  { weight: 3, arbitrary: mutated(SIGNED_REFUND) },
  { weight: 2, arbitrary: soup },
  { weight: 1, arbitrary: bytes },
  { weight: 1, arbitrary: brokenUtf8 },
);

function polluted(): boolean {
  return ({} as Record<string, unknown>)['polluted'] !== undefined || Object.keys(Object.prototype).length > 0;
}

describe('fuzzing', () => {
  it(`parseXml: ${RUNS} generated inputs give a flat null-prototype record of strings or an XmlError, never anything else`, () => {
    fc.assert(
      fc.property(anyBody, (input) => {
        let result: Record<string, string>;
        try {
          result = parseXml(input);
        } catch (error) {
          if (!(error instanceof XmlError)) throw error;
          return;
        }
        expect(Object.getPrototypeOf(result)).toBeNull();
        for (const [name, value] of Object.entries(result)) {
          expect(typeof value).toBe('string');
          expect(FORBIDDEN.has(name)).toBe(false);
        }
        expect(polluted()).toBe(false);
      }),
      { numRuns: RUNS, seed: 20_261_122 },
    );
  });

  it(`handle(): ${RUNS} generated notifications each get a WeChat XML answer; FAIL always comes with an 'error' event; nothing forged fires`, async () => {
    const wxpay = notifyWxPay();
    const rec = record(wxpay);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const contentTypes = ['text/xml', 'application/xml; charset=utf-8', undefined, 'application/json', 'text/xml; charset=gbk'] as const;
    try {
      await fc.assert(
        fc.asyncProperty(anyBody, fc.constantFrom('pay', 'refund'), fc.constantFrom(...contentTypes), async (body, route, type) => {
          const request = notifyRequest(body, route as 'pay' | 'refund');
          const errorsBefore = rec.errors.length;
          const response = await wxpay.handle({ ...request, headers: type === undefined ? {} : { 'content-type': type } });
          const code = replyCode(response);
          expect(code, String(response.body)).toBeDefined();
          if (code === 'SUCCESS') {
            expect(response.status).toBe(200);
            expect(rec.errors.length).toBe(errorsBefore);
          } else {
            expect(response.status).toBeGreaterThanOrEqual(400);
            expect(rec.errors.length).toBe(errorsBefore + 1);
            expect(rec.errors.at(-1)?.error.code).toMatch(/^WXPAY_ERR_/);
          }
        }),
        { numRuns: RUNS, seed: 20_261_123 },
      );
      // Only an unmodified (or harmlessly reformatted) genuine notification can fire, and only once.
      expect(rec.paid.length).toBeLessThanOrEqual(1);
      for (const e of rec.paid) expect(e.transactionId).toBe('4200000000202411220000000001');
      expect(rec.refunded.length).toBeLessThanOrEqual(1);
      for (const e of rec.refunded) expect(e.refundId).toBe('RFUZZ1');
      expect(polluted()).toBe(false);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await wxpay.close();
    }
  });
});

describe('classic XML attacks on /notify-pay and /notify-refund', () => {
  let canary: LoopbackServer;
  let canaryHits = 0;
  let wxpay: WxPay;
  let big: WxPay;
  let rec: Recorded;
  let bigRec: Recorded;
  const figures: Record<string, Record<string, unknown>> = {};

  beforeAll(async () => {
    canary = await listenLoopback((_req, res) => {
      canaryHits += 1;
      res.end('<!ENTITY x "owned">');
    });
    canary.server.on('connection', () => void (canaryHits += 1));
    wxpay = notifyWxPay();
    rec = record(wxpay);
    // A second instance with a 1 MiB cap, so depth and expansion attacks reach the parser instead of the size check.
    big = notifyWxPay({ bodyLimit: 1024 * 1024 });
    bigRec = record(big);
  });
  afterAll(async () => {
    writeFigures('hostile-xml', figures);
    await Promise.all([wxpay.close(), big.close(), canary.close()]);
  });

  const laughs = (() => {
    let dtd = '<!ENTITY lol0 "lol">';
    for (let i = 1; i <= 9; i += 1) dtd += `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`;
    return `<?xml version="1.0"?><!DOCTYPE xml [${dtd}]><xml><return_code>&lol9;</return_code></xml>`;
  })();
  const canaryUrl = (): string => `${canary.url}/evil.dtd`;
  const deep = (n: number, closed: boolean): string => `<xml>${'<a>'.repeat(n)}x${closed ? '</a>'.repeat(n) : ''}</xml>`;
  const duplicated = SIGNED_PAY.replace('</xml>', '<total_fee>1</total_fee></xml>');
  const gbk = Buffer.concat([Buffer.from('<xml><attach>'), Buffer.from([0xd6, 0xd0, 0xce, 0xc4]), Buffer.from('</attach></xml>')]);

  type Case = {
    name: string;
    body: () => string | Uint8Array;
    route?: 'pay' | 'refund';
    big?: boolean;
    headers?: Record<string, string>;
    codes: string[];
  };
  const cases: Case[] = [
    {
      name: 'DOCTYPE with an internal ENTITY',
      body: () => '<!DOCTYPE xml [<!ENTITY x "SUCCESS">]><xml><return_code>&x;</return_code></xml>',
      codes: ['WXPAY_ERR_XML'],
    },
    { name: 'lower-case doctype', body: () => '<!doctype xml><xml><a>1</a></xml>', codes: ['WXPAY_ERR_XML'] },
    { name: 'ENTITY without DOCTYPE', body: () => '<xml><!ENTITY x "y"><a>&x;</a></xml>', codes: ['WXPAY_ERR_XML'] },
    { name: 'billion laughs', body: () => laughs, codes: ['WXPAY_ERR_XML'] },
    { name: 'billion laughs (refund route)', body: () => laughs, route: 'refund', codes: ['WXPAY_ERR_XML'] },
    {
      name: 'XXE: SYSTEM file entity',
      body: () => '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><attach>&xxe;</attach></xml>',
      codes: ['WXPAY_ERR_XML'],
    },
    {
      name: 'XXE: SYSTEM http entity (loopback canary)',
      body: () => `<!DOCTYPE xml [<!ENTITY xxe SYSTEM "${canaryUrl()}">]><xml><attach>&xxe;</attach></xml>`,
      codes: ['WXPAY_ERR_XML'],
    },
    {
      name: 'XXE: external parameter entity',
      body: () => `<!DOCTYPE xml [<!ENTITY % p SYSTEM "${canaryUrl()}"> %p;]><xml><a>1</a></xml>`,
      codes: ['WXPAY_ERR_XML'],
    },
    { name: '10,000-deep nesting, unclosed (30 KB)', body: () => deep(10_000, false), codes: ['WXPAY_ERR_XML'] },
    { name: '10,000-deep nesting, closed (1 MiB cap)', body: () => deep(10_000, true), big: true, codes: ['WXPAY_ERR_XML'] },
    { name: '10,000-deep nesting, closed (default cap)', body: () => deep(10_000, true), codes: ['WXPAY_ERR_PAYLOAD_TOO_LARGE'] },
    {
      name: '64 KiB of numeric character references',
      body: () => `<xml><attach>${'&#65;'.repeat(13_000)}</attach></xml>`,
      codes: ['WXPAY_ERR_XML'],
    },
    { name: '__proto__ element', body: () => '<xml><__proto__><polluted>yes</polluted></__proto__></xml>', codes: ['WXPAY_ERR_XML'] },
    {
      name: 'constructor / prototype elements',
      body: () => '<xml><constructor><prototype><polluted>yes</polluted></prototype></constructor></xml>',
      codes: ['WXPAY_ERR_XML'],
    },
    {
      name: '__proto__ as a flat field of a signed notification',
      body: () => SIGNED_PAY.replace('</xml>', '<__proto__>x</__proto__></xml>'),
      codes: ['WXPAY_ERR_XML'],
    },
    { name: 'duplicate total_fee in a signed notification', body: () => duplicated, codes: ['WXPAY_ERR_XML'] },
    { name: 'non-UTF-8 bytes (GBK)', body: () => gbk, codes: ['WXPAY_ERR_XML'] },
    { name: 'empty body', body: () => '', codes: ['WXPAY_ERR_XML'] },
    {
      name: 'CDATA with ]]> inside',
      body: () => '<xml><attach><![CDATA[a]]>b]]></attach></xml>',
      codes: ['WXPAY_ERR_XML', 'WXPAY_ERR_SIGNATURE'],
    },
    {
      name: 'gzip body (no decompression)',
      body: () => gzipSync(SIGNED_PAY),
      headers: { 'content-encoding': 'gzip' },
      codes: ['WXPAY_ERR_XML'],
    },
    {
      name: 'JSON content type',
      body: () => SIGNED_PAY,
      headers: { 'content-type': 'application/json' },
      codes: ['WXPAY_ERR_UNSUPPORTED_MEDIA_TYPE'],
    },
    { name: '64 KiB + 1 body', body: () => `<xml><a>${'x'.repeat(64 * 1024)}</a></xml>`, codes: ['WXPAY_ERR_PAYLOAD_TOO_LARGE'] },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}: FAIL, an 'error' event, nothing fired, Object.prototype untouched`, async () => {
      const target = c.big ? big : wxpay;
      const events = c.big ? bigRec : rec;
      const before = events.errors.length;
      const request: WxPayRequest = notifyRequest(c.body(), c.route ?? 'pay');
      const sent = { ...request, headers: { ...request.headers, ...c.headers } };
      const histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const started = performance.now();
      const response = await target.handle(sent);
      const handleMs = performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 5));
      histogram.disable();
      expect(replyCode(response)).toBe('FAIL');
      expect(response.status).toBeGreaterThanOrEqual(400);
      const raised = events.errors.slice(before);
      expect(raised).toHaveLength(1);
      expect(c.codes).toContain(raised[0]?.error.code);
      expect(events.paid).toHaveLength(0);
      expect(events.refunded).toHaveLength(0);
      expect(polluted()).toBe(false);
      // The same input again, warm: what a flood of it costs per request.
      let warmMs = 0;
      for (let i = 0; i < 5; i += 1) {
        const t = performance.now();
        await target.handle(sent);
        warmMs = Math.max(warmMs, performance.now() - t);
      }
      figures[c.name] = {
        status: response.status,
        code: raised[0]?.error.code,
        firstMs: Number(handleMs.toFixed(3)),
        warmMaxMs: Number(warmMs.toFixed(3)),
        loopDelayMaxMs: Number((histogram.max / 1e6).toFixed(3)),
      };
    });
  }

  it('opened no connection to the XXE canary', () => {
    expect(canaryHits).toBe(0);
  });
});

/** Mounts `wxpay` with each adapter (and the plain node listener) on a loopback port. */
const mounts: Record<string, (wxpay: WxPay) => Promise<{ url: string; server?: Server; close: () => Promise<void> }>> = {
  node: (wxpay) => listenLoopback(createNodeListener(wxpay)),
  express: (wxpay) => {
    const app = express();
    app.use(wxpayExpress(wxpay));
    return listenLoopback(app);
  },
  koa: (wxpay) => {
    const app = new Koa();
    app.use(wxpayKoa(wxpay));
    return listenLoopback(app.callback());
  },
  fastify: async (wxpay) => {
    const app = Fastify();
    await app.register(wxpayPlugin, { instance: wxpay });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    return { url, close: () => app.close() };
  },
};

/**
 * Sends headers and then a chunked body of up to `totalBytes`, as fast as the socket takes it,
 * until the server answers or closes. Resolves with what the server sent and how much was written.
 */
function floodChunked(url: string, path: string, totalBytes: number): Promise<{ reply: string; written: number; closed: boolean }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let reply = '';
    let written = 0;
    let done = false;
    const chunk = Buffer.from(`${(64 * 1024).toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`);
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ reply, written, closed });
    };
    const pump = (): void => {
      while (!done && written < totalBytes) {
        written += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.on('connect', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n`);
      pump();
    });
    socket.on('data', (d: Buffer) => void (reply += d.toString('latin1')));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the server answered and closed is the expected end of the upload.
      if (reply !== '' || error.code === 'EPIPE' || error.code === 'ECONNRESET') finish(true);
      else reject(error);
    });
  });
}

describe('bodies over the 64 KiB cap over a real socket', () => {
  for (const [name, mount] of Object.entries(mounts)) {
    it(`${name}: a 256 MiB chunked upload is cut off with 413 and a closed connection, long before it is sent`, async () => {
      const wxpay = notifyWxPay();
      const rec = record(wxpay);
      const server = await mount(wxpay);
      try {
        const total = 256 * 1024 * 1024;
        const { reply, written, closed } = await floodChunked(server.url, '/notify-pay/shop', total);
        expect(reply).toMatch(/^HTTP\/1\.1 413/);
        expect(reply).toContain('FAIL');
        expect(closed).toBe(true);
        // The server stopped reading: the sender could not push the whole body through.
        expect(written).toBeLessThan(total);
        expect(rec.paid).toHaveLength(0);
      } finally {
        await server.close();
        await wxpay.close();
      }
    });
  }
});

/** The server settings docs/reliability.md recommends around `createNodeListener` (and the gateway uses, scaled). */
function hardenedServer(wxpay: WxPay, headersTimeout: number, requestTimeout: number): Server {
  const server = createServer({ headersTimeout, requestTimeout, connectionsCheckingInterval: 100 }, createNodeListener(wxpay));
  return server;
}

/**
 * Opens a socket, writes `prefix` at once, then `head` one byte every `everyMs`; resolves when
 * the server closes it, with what it sent.
 */
function slowSender(
  port: number,
  prefix: string,
  head: string,
  everyMs: number,
): { closed: Promise<{ reply: string; afterMs: number }>; stop: () => void } {
  const socket = connect(port, '127.0.0.1');
  socket.write(prefix);
  let reply = '';
  let i = 0;
  const started = performance.now();
  const timer = setInterval(() => {
    if (!socket.writable) return;
    socket.write(head[i % head.length] ?? ' ');
    i += 1;
  }, everyMs);
  socket.on('data', (d: Buffer) => void (reply += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<{ reply: string; afterMs: number }>((resolve) => {
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ reply, afterMs: performance.now() - started });
    });
  });
  return {
    closed,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

describe('slow-loris senders', () => {
  it('time out on the recommended server settings while a normal notification is still served', async () => {
    const wxpay = notifyWxPay();
    const rec = record(wxpay);
    const server = hardenedServer(wxpay, 500, 1_000);
    const loop = await listenLoopback(server);
    const { port } = server.address() as AddressInfo;
    const senders = [
      // Headers that never end.
      ...Array.from({ length: 10 }, () =>
        slowSender(port, '', 'POST /notify-pay/shop HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa', 50),
      ),
      // Complete headers, then a body trickling in.
      ...Array.from({ length: 10 }, () =>
        slowSender(
          port,
          'POST /notify-pay/shop HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 60000\r\n\r\n',
          'x'.repeat(60_000),
          5,
        ),
      ),
    ];
    try {
      const ok = await fetch(`${loop.url}/notify-pay/shop`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: payNotification(),
      });
      expect(replyCode({ body: await ok.text(), headers: { 'content-type': ok.headers.get('content-type') ?? '' } })).toBe('SUCCESS');
      expect(rec.paid).toHaveLength(1);
      const outcomes = await Promise.all(senders.map((s) => s.closed));
      for (const outcome of outcomes) {
        // Node answers 408 (or just closes) once headersTimeout / requestTimeout passed.
        if (outcome.reply !== '') expect(outcome.reply).toMatch(/^HTTP\/1\.1 (408|400|413)/);
      }
      // Slow headers end at headersTimeout, a slow body at requestTimeout (checked every 100 ms).
      for (const outcome of outcomes.slice(10)) expect(outcome.afterMs).toBeGreaterThanOrEqual(900);
      writeFigures('slow-loris', {
        headersTimeout: 500,
        requestTimeout: 1_000,
        slowHeadersClosedAfterMs: outcomes.slice(0, 10).map((o) => Math.round(o.afterMs)),
        slowBodyClosedAfterMs: outcomes.slice(10).map((o) => Math.round(o.afterMs)),
        replies: [...new Set(outcomes.map((o) => o.reply.split('\r\n')[0] || '(closed without reply)'))],
      });
    } finally {
      for (const s of senders) s.stop();
      await loop.close();
      await wxpay.close();
    }
  });
});
