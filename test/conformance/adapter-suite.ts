import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { WxPay } from '@wxpay-kit/core';
import { createFakeWxPay, decodeEcho, type FakeWxPay } from '../helpers/fake-wxpay.js';
import { defineEndToEndCases } from './adapter-e2e-cases.js';

/** How the suite asks an adapter test to build a host app. */
export interface MountOptions {
  /** Where the adapter is mounted, e.g. `/wxpay`; undefined mounts it at the root. */
  readonly prefix?: string;
  /**
   * Install the host's usual body parsers before the adapter: JSON, and XML (`text/xml`,
   * `application/xml`) as text.
   */
  readonly hostBodyParser?: boolean;
}

/** A running host app. */
export interface MountedApp {
  /** `http://127.0.0.1:<port>`; the adapter's routes are under `${url}${prefix}`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Builds a host app of the framework with the adapter serving `wxpay`, listening on
 * 127.0.0.1:0. Besides the adapter, the host registers its own route `POST /host-echo` at the
 * root and `POST <prefix>/host-echo`, each answering 200 with the body it received as text
 * (a parsed JSON body re-serialized with `JSON.stringify`).
 */
export type Mount = (wxpay: WxPay, options: MountOptions) => Promise<MountedApp>;

/** What differs between frameworks, declared by the adapter test. */
export interface AdapterTraits {
  /**
   * What the adapter gets on a signed route when a host JSON parser ran first: `'refused'` when
   * only the parsed object is left (express), `'raw'` when the raw text survives (koa-bodyparser's
   * `rawBody`) or the framework keeps host parsers away from the adapter's routes (fastify).
   */
  readonly parsedSignedBody: 'refused' | 'raw';
}

const PREFIX = '/wxpay';

async function post(url: string, body: string | Buffer, contentType = 'application/json', headers: Record<string, string> = {}) {
  const res = await request(url, { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/**
 * The conformance suite every adapter passes: the same cases against express, koa and fastify,
 * in real servers on loopback. Transport cases run against a stand-in `WxPay`; end-to-end cases
 * run the real core against `@wxpay-kit/simulator` as WeChat.
 */
export function defineAdapterSuite(name: string, mount: Mount, traits: AdapterTraits): void {
  describe(`${name} adapter`, () => {
    describe('transport', () => {
      let fake: FakeWxPay;
      let app: MountedApp;
      let parsed: MountedApp;
      let root: MountedApp;
      beforeAll(async () => {
        fake = createFakeWxPay({ bodyLimit: 1024 });
        [app, parsed, root] = await Promise.all([
          mount(fake, { prefix: PREFIX }),
          mount(fake, { prefix: PREFIX, hostBodyParser: true }),
          mount(fake, {}),
        ]);
      });
      afterAll(async () => {
        await Promise.all([app?.close(), parsed?.close(), root?.close()]);
      });

      it('hands the core the exact bytes, the path below the prefix, lower-case headers and the client address', async () => {
        const bytes = Buffer.concat([Buffer.from('<xml><a>中文</a>'), Buffer.from([0xff, 0x00]), Buffer.from('</xml>')]);
        const res = await post(`${app.url}${PREFIX}/notify/shop?x=1`, bytes, 'text/xml', { 'X-Trace': 't1' });
        expect(res.status).toBe(200);
        const echo = decodeEcho(res.text);
        expect(Buffer.from(echo.body, 'base64')).toEqual(bytes);
        expect(echo).toMatchObject({ method: 'POST', path: '/notify/shop' });
        expect(echo.headers['x-trace']).toBe('t1');
        expect(echo.headers['content-type']).toBe('text/xml');
        expect(echo.remoteAddress).toMatch(/127\.0\.0\.1$/);
      });

      it("writes the core's status, headers and body unchanged, content-type included", async () => {
        const res = await post(`${app.url}${PREFIX}/notify/shop`, '<xml/>', 'text/xml');
        expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
        expect(res.headers['x-fake']).toBe('yes');
        const json = await post(`${app.url}${PREFIX}/echo`, '{"a":1}');
        expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(decodeEcho(json.text).text).toBe('{"a":1}');
      });

      it('serves the routes at the root when mounted without a prefix', async () => {
        const res = await post(`${root.url}/echo`, '{"b":2}');
        expect(res.status).toBe(200);
        expect(decodeEcho(res.text)).toMatchObject({ path: '/echo', text: '{"b":2}' });
      });

      it("leaves requests that are not ours to the host's routes with their body intact", async () => {
        const before = fake.requests.length;
        for (const url of [
          `${app.url}/host-echo`,
          `${app.url}${PREFIX}/host-echo`,
          `${parsed.url}/host-echo`,
          `${parsed.url}${PREFIX}/host-echo`,
        ]) {
          const res = await post(url, '{"orderId":"o-1","fee":1}');
          expect(res.status, url).toBe(200);
          expect(res.text, url).toBe('{"orderId":"o-1","fee":1}');
        }
        expect((await post(`${app.url}${PREFIX}/nope`, '{}')).status).toBe(404);
        expect((await post(`${app.url}/echo`, '{}')).status).toBe(404);
        expect(fake.requests.length).toBe(before);
      });

      it('reads JSON and XML bodies correctly after a host body parser ran', async () => {
        const json = await post(`${parsed.url}${PREFIX}/echo`, '{"orderId":"o-2","fee":5}');
        expect(json.status).toBe(200);
        expect(JSON.parse(decodeEcho(json.text).text)).toEqual({ orderId: 'o-2', fee: 5 });
        const xml = '<xml><return_code><![CDATA[SUCCESS]]></return_code><attach>中文 &amp; more</attach></xml>';
        const notify = await post(`${parsed.url}${PREFIX}/notify/shop`, xml, 'text/xml');
        expect(notify.status).toBe(200);
        expect(decodeEcho(notify.text).text).toBe(xml);
      });

      it('refuses a signed body a host parser left only as an object, naming the fix', async () => {
        const res = await post(`${parsed.url}${PREFIX}/notify/shop`, '{"sign":"x"}', 'application/json');
        if (traits.parsedSignedBody === 'refused') {
          expect(res.status).toBe(400);
          expect(res.headers['content-type']).toMatch(/xml/);
          expect(res.text).toContain('FAIL');
          expect(res.text).toMatch(/mount wxpay-kit before the body parser/);
        } else {
          expect(res.status).toBe(200);
          expect(decodeEcho(res.text).text).toBe('{"sign":"x"}');
        }
      });

      it('answers a body over the route limit with 413 from the core, without calling handle()', async () => {
        const before = fake.requests.length;
        const json = await post(`${app.url}${PREFIX}/echo`, JSON.stringify({ pad: 'x'.repeat(2000) }));
        expect(json.status).toBe(413);
        expect(JSON.parse(json.text)).toMatchObject({ code: 413 });
        const xml = await post(`${app.url}${PREFIX}/notify/shop`, `<xml>${'y'.repeat(2000)}</xml>`, 'text/xml');
        expect(xml.status).toBe(413);
        expect(xml.text).toContain('FAIL');
        expect(fake.requests.length).toBe(before);
      });
    });

    defineEndToEndCases(mount);
  });
}
