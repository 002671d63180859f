/**
 * `@wxpay-kit/core/fetch`: the Fetch-standard handler serves the core's routes from `Request`
 * objects, as Next.js route handlers, Bun, Deno and workers hand them over.
 */
import { describe, expect, it } from 'vitest';
import { createFetchHandler } from '@wxpay-kit/core/fetch';
import { createFakeWxPay, decodeEcho } from '../../../test/helpers/fake-wxpay.js';
import { createHandler } from '../src/handler/create-handler.js';
import { scriptedClient, testConfig } from './helpers/handler-fixtures.js';

const post = (url: string, body: BodyInit, type = 'application/json', headers: Record<string, string> = {}) =>
  new Request(url, { method: 'POST', body, headers: { 'content-type': type, ...headers } });

describe('createFetchHandler', () => {
  it('hands the core the exact bytes, the path below the prefix and lower-case headers', async () => {
    const fake = createFakeWxPay();
    const handler = createFetchHandler(fake, { prefix: '/api/wxpay/', remoteAddress: () => '203.0.113.9' });
    const bytes = new Uint8Array([...Buffer.from('<xml><a>中文</a>'), 0xff, 0x00, ...Buffer.from('</xml>')]);
    const res = await handler(post('https://shop.example/api/wxpay/notify/shop?x=1', bytes, 'text/xml', { 'X-Trace': 't1' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/xml/);
    const echo = decodeEcho(await res.text());
    expect(Buffer.from(echo.body, 'base64')).toEqual(Buffer.from(bytes));
    expect(echo).toMatchObject({ method: 'POST', path: '/notify/shop', remoteAddress: '203.0.113.9' });
    expect(echo.headers['x-trace']).toBe('t1');
  });

  it('answers 404 outside the prefix without asking the core', async () => {
    const fake = createFakeWxPay();
    const handler = createFetchHandler(fake, { prefix: '/api/wxpay' });
    for (const url of ['http://h/elsewhere/echo', 'http://h/api/wxpayx/echo']) {
      const res = await handler(post(url, '{}'));
      expect(res.status, url).toBe(404);
      expect(await res.json()).toMatchObject({ code: 404, msg: '@wxpay-kit/core: no such route' });
    }
    expect(fake.requests).toEqual([]);
  });

  it("answers unknown routes and methods under the prefix with the core's 404 and 405", async () => {
    const wxpay = createHandler(testConfig(), scriptedClient());
    const handler = createFetchHandler(wxpay, { prefix: '/api/wxpay' });
    expect((await handler(post('http://h/api/wxpay/nope', '{}'))).status).toBe(404);
    const get = await handler(new Request('http://h/api/wxpay/query-order'));
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    await wxpay.close();
  });

  it('refuses a body over the route limit with 413, declared or streamed, without calling handle()', async () => {
    const fake = createFakeWxPay({ bodyLimit: 100 });
    const handler = createFetchHandler(fake);
    const declared = await handler(post('http://h/echo', JSON.stringify({ pad: 'x'.repeat(200) })));
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ code: 413 });
    // A streamed body with no content-length: cut off once it passes the limit.
    const chunks = [new Uint8Array(60).fill(0x3c), new Uint8Array(60).fill(0x3c), new Uint8Array(60).fill(0x3c)];
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks[pulled++];
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const streamed = await handler(
      new Request('http://h/notify/shop', {
        method: 'POST',
        body: stream,
        headers: { 'content-type': 'text/xml' },
        duplex: 'half',
      } as RequestInit),
    );
    expect(streamed.status).toBe(413);
    expect(await streamed.text()).toContain('FAIL');
    expect(pulled).toBeLessThan(chunks.length + 1);
    expect(fake.requests).toEqual([]);
  });
});
