import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { isWxPay, type WxPay } from './wxpay.js';
import { createHandler } from './create-handler.js';
import { CORE_ROUTES } from './core-routes.js';
import { jsonResponse } from './respond.js';
import { definePlugin } from '../plugins/types.js';
import { APP_ID_1, bodyText, jsonRequest, recordingLogger, scriptedClient, testConfig } from '../../test/helpers/handler-fixtures.js';
import type { ResolvedConfig } from '../config/types.js';
import type { WxPayRequest } from './types.js';
import type { RefundedEvent } from '../events/event-map.js';

function make(overrides: Partial<ResolvedConfig> = {}) {
  const client = scriptedClient();
  const logger = recordingLogger();
  const wxpay = createHandler(testConfig({ logger, ...overrides }), client);
  return { wxpay, client, logger };
}

const query = { appId: APP_ID_1, payApp: 'shop', orderId: 'o1' };

async function json(wxpay: WxPay, request: WxPayRequest) {
  const out = await wxpay.handle(request);
  return { status: out.status, headers: out.headers, json: JSON.parse(bodyText(out.body)) as unknown };
}

describe('createHandler', () => {
  it('is branded as a WxPay instance and exposes its config and client', () => {
    const { wxpay, client } = make();
    expect(isWxPay(wxpay)).toBe(true);
    expect(isWxPay({ ...wxpay })).toBe(false);
    expect(wxpay.client).toBe(client);
    expect(wxpay.config.bodyLimit).toBe(65536);
  });

  describe('match()', () => {
    it('finds every core route with its body limit and whether it is signed', () => {
      const { wxpay } = make();
      expect(wxpay.match('POST', '/create-pay/JSAPI')).toEqual({ route: '/create-pay/:type', signed: false, bodyLimit: 65536 });
      expect(wxpay.match('post', '/notify-pay/shop')).toEqual({ route: '/notify-pay/:app', signed: true, bodyLimit: 65536 });
      expect(wxpay.match('POST', '/notify-refund/shop/')).toEqual({ route: '/notify-refund/:app', signed: true, bodyLimit: 65536 });
      expect(wxpay.match('POST', '/query-order?x=1')?.route).toBe('/query-order');
      expect(CORE_ROUTES.map((r) => r.path)).toEqual([
        '/create-pay/:type',
        '/query-order',
        '/close-order',
        '/create-refund',
        '/query-refund',
        '/confirm',
        '/micropay',
        '/notify-pay/:app',
        '/notify-refund/:app',
        '/create-transfer',
        '/query-transfer-bill',
        '/cancel-transfer',
        '/confirm-transfer',
        '/notify-transfer/:app',
      ]);
      expect(wxpay.match('POST', '/notify-transfer/shop')).toEqual({ route: '/notify-transfer/:app', signed: true, bodyLimit: 65536 });
    });

    it('leaves other paths and methods to the host', () => {
      const { wxpay } = make();
      expect(wxpay.match('GET', '/query-order')).toBeUndefined();
      expect(wxpay.match('POST', '/')).toBeUndefined();
      expect(wxpay.match('POST', '/create-pay')).toBeUndefined();
      expect(wxpay.match('POST', '/create-pay/JSAPI/extra')).toBeUndefined();
      expect(wxpay.match('POST', '/notify-pay/%E0%A4%A')).toBeUndefined();
      expect(wxpay.match('POST', 'query-order')).toBeUndefined();
    });

    it('finds a route a plugin added after the same path was looked up and missed', () => {
      const { wxpay } = make();
      expect(wxpay.match('POST', '/late/1')).toBeUndefined();
      wxpay.use({
        name: 'late',
        setup: (host) => host.addRoute({ method: 'POST', path: '/late/:id', handle: async () => jsonResponse(200, {}) }),
      });
      expect(wxpay.match('POST', '/late/1')).toEqual({ route: '/late/:id', signed: false, bodyLimit: 65536 });
    });

    it('gives each path its own parameters when they alternate', async () => {
      const { wxpay } = make();
      const apps: string[] = [];
      wxpay.use({
        name: 'echo',
        setup: (host) =>
          host.addRoute({
            method: 'POST',
            path: '/echo/:app',
            public: true,
            handle: async (_r, params) => (apps.push(params['app']!), jsonResponse(200, {})),
          }),
      });
      for (const app of ['a', 'b', 'b', 'a']) {
        wxpay.match('POST', `/echo/${app}`);
        await wxpay.handle({ method: 'POST', path: `/echo/${app}`, headers: {}, rawBody: new Uint8Array() });
      }
      expect(apps).toEqual(['a', 'b', 'b', 'a']);
    });
  });

  describe('handle()', () => {
    it('answers 404 and 405 as {code, msg}', async () => {
      const { wxpay } = make();
      expect(await json(wxpay, jsonRequest('/nope', {}))).toMatchObject({ status: 404, json: { code: 404 } });
      const wrongMethod = await json(wxpay, { ...jsonRequest('/query-order', query), method: 'GET' });
      expect(wrongMethod).toMatchObject({ status: 405, json: { code: 405 }, headers: { allow: 'POST' } });
    });

    it('answers 415 for a JSON route without a JSON content type', async () => {
      const { wxpay, client } = make();
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
        const request = jsonRequest('/query-order', query);
        const headers = type === undefined ? {} : { 'content-type': type };
        expect(await json(wxpay, { ...request, headers })).toMatchObject({ status: 415, json: { code: 415 } });
      }
      expect((await wxpay.handle(jsonRequest('/query-order', query, { 'content-type': 'application/json; charset=UTF-8' }))).status).toBe(
        200,
      );
      expect(client.calls).toHaveLength(1);
    });

    it('answers 400 for malformed JSON and for a body that is not an object', async () => {
      const { wxpay, client } = make();
      for (const body of ['{"appId":', '[1,2]', 'null', '"text"', '']) {
        expect(await json(wxpay, jsonRequest('/query-order', body))).toMatchObject({ status: 400, json: { code: 400 } });
      }
      const invalidUtf8 = { ...jsonRequest('/query-order', ''), rawBody: Uint8Array.of(0x7b, 0xff, 0x7d) };
      expect((await wxpay.handle(invalidUtf8)).status).toBe(400);
      expect(client.calls).toEqual([]);
    });

    it('answers 413 above the body limit', async () => {
      const { wxpay, client } = make({ bodyLimit: 64 });
      const out = await json(wxpay, jsonRequest('/query-order', { ...query, padding: 'x'.repeat(100) }));
      expect(out).toMatchObject({ status: 413, json: { code: 413 } });
      expect(wxpay.match('POST', '/query-order')?.bodyLimit).toBe(64);
      expect(client.calls).toEqual([]);
    });
  });

  describe('internal route protection', () => {
    it('requires the bearer token when one is configured', async () => {
      const { wxpay, client } = make({ bearerToken: 's3cret-token' });
      for (const authorization of [undefined, 'Bearer wrong', 'Bearer s3cret-token-longer', 'Basic s3cret-token', 'Bearer ']) {
        const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
        expect(await json(wxpay, jsonRequest('/query-order', query, headers))).toMatchObject({ status: 401, json: { code: 401 } });
      }
      expect(client.calls).toEqual([]);
      const ok = await wxpay.handle(jsonRequest('/query-order', query, { authorization: 'bearer s3cret-token' }));
      expect(ok.status).toBe(200);
    });

    it('runs authorize after the bearer check and refuses on false or a throw', async () => {
      const authorize = vi.fn((request: WxPayRequest) => {
        if (request.headers['x-role'] === 'boom') throw new Error('hook failed');
        return request.headers['x-role'] === 'admin';
      });
      const { wxpay, logger } = make({ bearerToken: 'tok', authorize });
      expect((await wxpay.handle(jsonRequest('/query-order', query, { 'x-role': 'admin' }))).status).toBe(401);
      expect(authorize).not.toHaveBeenCalled();
      const auth = { authorization: 'Bearer tok' };
      expect((await wxpay.handle(jsonRequest('/query-order', query, { ...auth, 'x-role': 'guest' }))).status).toBe(401);
      expect((await wxpay.handle(jsonRequest('/query-order', query, { ...auth, 'x-role': 'boom' }))).status).toBe(401);
      expect(logger.lines.some((l) => l.level === 'error')).toBe(true);
      expect((await wxpay.handle(jsonRequest('/query-order', query, { ...auth, 'x-role': 'admin' }))).status).toBe(200);
    });

    it('warns at start-up only when unprotected and listening beyond loopback', () => {
      const open = make();
      expect(open.wxpay.warnIfUnprotected({ address: '0.0.0.0' })).toBe(true);
      expect(open.wxpay.warnIfUnprotected('::')).toBe(true);
      expect(open.wxpay.warnIfUnprotected('192.168.1.5:3000')).toBe(true);
      expect(open.logger.lines.filter((l) => l.level === 'warn')).toHaveLength(3);
      // The warning names the guarded routes, read from the route table.
      expect(JSON.stringify(open.logger.lines[0])).toContain(
        'internal routes (create-pay, query-order, close-order, create-refund, query-refund, confirm, micropay, create-transfer, query-transfer-bill, cancel-transfer, confirm-transfer)',
      );
      for (const address of ['127.0.0.1', '::1', '[::1]:80', 'localhost', '::ffff:127.0.0.1', '/tmp/sock', null]) {
        expect(open.wxpay.warnIfUnprotected(address)).toBe(false);
      }
      expect(make({ bearerToken: 't' }).wxpay.warnIfUnprotected('0.0.0.0')).toBe(false);
      expect(make({ authorize: () => true }).wxpay.warnIfUnprotected('0.0.0.0')).toBe(false);
    });
  });

  describe('plugins', () => {
    it('gives setup the host, serves added routes through handle(), and guards internal ones', async () => {
      const { wxpay, client } = make({ bearerToken: 'tok' });
      const seen: string[] = [];
      wxpay.use(
        definePlugin({
          name: 'audit',
          async setup(host) {
            expect(host.client).toBe(client);
            expect(host.config.bodyLimit).toBe(65536);
            host.on('paid', (e) => void seen.push(e.orderId));
            host.addRoute({ method: 'GET', path: '/audit/:id', handle: async (_req, params) => jsonResponse(200, { id: params['id'] }) });
            host.addRoute({ method: 'POST', path: '/hook', public: true, handle: async () => jsonResponse(202, {}) });
          },
        }),
      );
      await wxpay.ready();
      expect(wxpay.match('GET', '/audit/7')).toEqual({ route: '/audit/:id', signed: false, bodyLimit: 65536 });
      const guarded = await wxpay.handle({ method: 'GET', path: '/audit/7', headers: {}, rawBody: new Uint8Array() });
      expect(guarded.status).toBe(401);
      const allowed = await json(wxpay, {
        method: 'GET',
        path: '/audit/7',
        headers: { authorization: 'Bearer tok' },
        rawBody: new Uint8Array(),
      });
      expect(allowed).toMatchObject({ status: 200, json: { id: '7' } });
      expect((await wxpay.handle({ method: 'POST', path: '/hook', headers: {}, rawBody: new Uint8Array() })).status).toBe(202);
    });

    it('refuses a second plugin of the same name and a route that is taken', () => {
      const { wxpay } = make();
      wxpay.use({ name: 'p', setup() {} });
      expect(() => wxpay.use({ name: 'p', setup() {} })).toThrow(/already registered/);
      wxpay.use({
        name: 'q',
        setup(host) {
          expect(() => host.addRoute({ method: 'POST', path: '/confirm', handle: async () => jsonResponse(200, {}) })).toThrow(
            /already registered/,
          );
        },
      });
    });

    it('lets plugin emit awaited events to listeners', async () => {
      const { wxpay } = make();
      const order: string[] = [];
      wxpay.on('refunded', async () => {
        await Promise.resolve();
        order.push('listener');
      });
      let emit!: (event: RefundedEvent) => Promise<void>;
      wxpay.use({ name: 'emitter', setup: (host) => void (emit = (e) => host.emit('refunded', e)) });
      await emit({ refundId: 'r' } as RefundedEvent);
      order.push('after');
      expect(order).toEqual(['listener', 'after']);
    });

    it('holds requests until async setup finished, and answers 500 when a setup failed', async () => {
      const { wxpay } = make();
      let finish!: () => void;
      const gate = new Promise<void>((resolve) => (finish = resolve));
      wxpay.use({
        name: 'slow',
        async setup(host) {
          await gate;
          host.addRoute({ method: 'POST', path: '/late', public: true, handle: async () => jsonResponse(200, { late: true }) });
        },
      });
      const pending = wxpay.handle({ method: 'POST', path: '/late', headers: {}, rawBody: new Uint8Array() });
      finish();
      expect((await pending).status).toBe(200);

      const broken = make().wxpay;
      broken.use({ name: 'broken', setup: async () => Promise.reject(new Error('no disk')) });
      await expect(broken.ready()).rejects.toThrow('no disk');
      const out = await json(broken, jsonRequest('/query-order', query));
      expect(out).toMatchObject({ status: 500, json: { code: 500, msg: 'internal error' } });
    });

    it('runs teardowns in reverse order on close, then closes the client, once', async () => {
      const { wxpay, client } = make();
      const order: string[] = [];
      wxpay.use({ name: 'a', setup: (host) => host.onClose(() => void order.push('a')) });
      wxpay.use({
        name: 'b',
        setup: (host) =>
          host.onClose(async () => {
            order.push('b');
            throw new Error('teardown failed');
          }),
      });
      await Promise.all([wxpay.close(), wxpay.close()]);
      expect(order).toEqual(['b', 'a']);
      expect(client.calls.filter((c) => c.method === 'close')).toHaveLength(1);
      expect(() => wxpay.use({ name: 'c', setup() {} })).toThrow(/after close/);
    });
  });

  it('never rejects, whatever the method, path, headers and body', async () => {
    const { wxpay } = make({ bearerToken: undefined });
    const paths = fc.oneof(
      fc.constantFrom(
        '/create-pay/JSAPI',
        '/create-pay/H5',
        '/query-order',
        '/close-order',
        '/create-refund',
        '/query-refund',
        '/confirm',
        '/notify-pay/shop',
        '/notify-refund/shop',
        '/notify-pay/x',
      ),
      fc.string().map((s) => `/${s}`),
      fc.string(),
    );
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.json().map((s) => new TextEncoder().encode(s)),
      fc
        .record({
          appId: fc.oneof(fc.string(), fc.constant(APP_ID_1)),
          payApp: fc.constantFrom('shop', 'other', ''),
          orderId: fc.string(),
          fee: fc.oneof(fc.integer(), fc.double()),
        })
        .map((o) => new TextEncoder().encode(JSON.stringify(o))),
      fc.string().map((s) => new TextEncoder().encode(`<xml><return_code>SUCCESS</return_code>${s}</xml>`)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'GET', 'PUT', 'post', ''),
        paths,
        fc.constantFrom('application/json', 'text/xml', undefined, 'text/plain'),
        bodies,
        async (method, path, type, rawBody) => {
          const out = await wxpay.handle({ method, path, headers: type ? { 'content-type': type } : {}, rawBody });
          expect(out.status).toBeGreaterThanOrEqual(200);
          expect(out.status).toBeLessThan(600);
          expect(out.headers['content-type']).toMatch(/^(application\/json|text\/xml); charset=utf-8$/);
        },
      ),
      { numRuns: 300 },
    );
  });
});
