/**
 * A host that follows the README's snippet — no logger, no `error` listener — sees each mistake in
 * one stderr line that says what to fix, and nothing when it asks for silence.
 */
import express from 'express';
import Fastify from 'fastify';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWxPay, type WxPayOptions } from '@wxpay-kit/core';
import { buildPayNotification, signNotifyXml } from '@wxpay-kit/core/testing';
import { wxpayExpress } from '@wxpay-kit/express';
import { wxpayPlugin } from '@wxpay-kit/fastify';
import { listenLoopback, type LoopbackServer } from '../helpers/loopback.js';

const REAL_KEY = '192006250b4c09247ec02edce69f6a2d';
const WRONG_KEY = 'abcdefabcdefabcdefabcdefabcdef12';
const TOKEN = 'a-bearer-token-of-some-length';

function options(apiKey: string, extra: Partial<WxPayOptions> = {}): WxPayOptions {
  return {
    merchants: [{ name: 'acme', mchId: '10000100', apiKey, baseUrl: 'http://127.0.0.1:9' }],
    apps: [{ name: 'shop', merchant: 'acme', appIds: ['wxd930ea5d5a258f4f'] }],
    notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
    notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund',
    ...extra,
  };
}

/** Everything written to process.stderr while a test runs. */
let stderr: string[];
let servers: LoopbackServer[];
const savedLevel = process.env['LOG_LEVEL'];

beforeEach(() => {
  stderr = [];
  servers = [];
  delete process.env['LOG_LEVEL'];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    stderr.push(String(chunk));
    return true;
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  if (savedLevel === undefined) delete process.env['LOG_LEVEL'];
  else process.env['LOG_LEVEL'] = savedLevel;
  await Promise.all(servers.map((s) => s.close()));
});

const kitLines = (): string[] =>
  stderr
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('wxpay-kit '));

async function expressApp(init: WxPayOptions, xmlParserFirst = false): Promise<{ url: string; wxpay: ReturnType<typeof wxpayExpress> }> {
  const app = express();
  // What an XML body parser (express-xml-bodyparser and the like) does: read the stream, leave an object.
  if (xmlParserFirst) {
    app.use((req, _res, next) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        req.body = { xml: { text: Buffer.concat(chunks).toString('utf8') } };
        next();
      });
    });
  }
  const wxpay = wxpayExpress(init);
  app.use('/wxpay', wxpay);
  const server = await listenLoopback(app);
  servers.push(server);
  return { url: `${server.url}/wxpay`, wxpay };
}

async function notify(url: string, key = REAL_KEY): Promise<string> {
  const xml = signNotifyXml(buildPayNotification({ out_trade_no: 'o-1' }), key);
  const res = await request(`${url}/notify-pay/shop`, { method: 'POST', body: xml, headers: { 'content-type': 'text/xml' } });
  return res.body.text();
}

describe('loud by default', () => {
  it('a wrong apiKey prints one line naming the merchant, apiKey and signType; repeats stay quiet', async () => {
    const { url, wxpay } = await expressApp(options(WRONG_KEY));
    wxpay.on('paid', () => {});
    expect(await notify(url)).toContain('FAIL');
    expect(await notify(url)).toContain('FAIL');
    const lines = kitLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^wxpay-kit warn: /);
    expect(lines[0]).toContain("merchant 'acme' (mch_id 10000100)");
    expect(lines[0]).toMatch(/apiKey.*signType \(MD5\).*body parser/);
    expect(lines[0]).toContain('WXPAY_ERR_SIGNATURE');
    expect(stderr.join('')).not.toContain(WRONG_KEY);
  });

  it('an XML body parser mounted before the adapter is named in one line', async () => {
    const { url, wxpay } = await expressApp(options(REAL_KEY), true);
    wxpay.on('paid', () => {});
    expect(await notify(url)).toContain('FAIL');
    const lines = kitLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/body parser read the notification before wxpay-kit: mount the adapter before/);
  });

  it("a failing listener's line carries the cause's message", async () => {
    const { url, wxpay } = await expressApp(options(REAL_KEY));
    wxpay.on('paid', () => {
      throw new Error('orders table is locked');
    });
    expect(await notify(url)).toContain('FAIL');
    // The other line is the warning that no order was recorded at create-pay for it.
    const lines = kitLines().filter((l) => !l.includes('unchecked'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^wxpay-kit error: /);
    expect(lines[0]).toContain("listener(s) of 'paid' failed");
    expect(lines[0]).toContain('orders table is locked');
  });

  it('warnIfUnprotected() warns on stderr', () => {
    const wxpay = createWxPay(options(REAL_KEY));
    expect(wxpay.warnIfUnprotected({ address: '0.0.0.0' })).toBe(true);
    const lines = kitLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^wxpay-kit warn: .*Set bearerToken or authorize/);
    expect(createWxPay(options(REAL_KEY, { bearerToken: TOKEN })).warnIfUnprotected({ address: '0.0.0.0' })).toBe(false);
    expect(kitLines()).toHaveLength(1);
  });

  it('logger: false and LOG_LEVEL=silent silence it; LOG_LEVEL=error keeps errors only', async () => {
    const quiet = await expressApp(options(WRONG_KEY, { logger: false }));
    quiet.wxpay.on('paid', () => {});
    expect(await notify(quiet.url)).toContain('FAIL');
    expect(quiet.wxpay.wxpay.warnIfUnprotected({ address: '0.0.0.0' })).toBe(true);
    process.env['LOG_LEVEL'] = 'silent';
    const silent = await expressApp(options(WRONG_KEY));
    expect(await notify(silent.url)).toContain('FAIL');
    process.env['LOG_LEVEL'] = 'error';
    const errorsOnly = await expressApp(options(WRONG_KEY));
    expect(await notify(errorsOnly.url)).toContain('FAIL');
    expect(stderr.join('')).toBe('');
  });

  it('the fastify plugin logs through fastify.log when the server has a logger, else on stderr', async () => {
    const logged: string[] = [];
    const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => void logged.push(line) } } });
    await app.register(wxpayPlugin, options(REAL_KEY));
    await app.ready();
    expect(app.wxpay.warnIfUnprotected({ address: '0.0.0.0' })).toBe(true);
    await app.close();
    const line = logged.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.msg.includes('bearerToken'));
    expect(line?.level).toBe(40);
    expect(kitLines()).toHaveLength(0);

    const bare = Fastify();
    await bare.register(wxpayPlugin, options(REAL_KEY));
    await bare.ready();
    expect(bare.wxpay.warnIfUnprotected({ address: '0.0.0.0' })).toBe(true);
    await bare.close();
    expect(kitLines()).toHaveLength(1);
  });
});
