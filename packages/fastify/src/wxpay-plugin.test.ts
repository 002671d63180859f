import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createFakeWxPay } from '../../../test/helpers/fake-wxpay.js';
import wxpayDefault, { wxpayPlugin } from './index.js';

describe('wxpayPlugin', () => {
  it('decorates fastify.wxpay with the instance, leaves a passed instance open on close', async () => {
    const fake = createFakeWxPay();
    const app = Fastify();
    await app.register(wxpayPlugin, { instance: fake, prefix: '/pay' });
    await app.ready();
    expect(app.wxpay).toBe(fake);
    await app.close();
    expect(fake.closed).toBe(0);
  });

  it('is the default export too, and serves under its prefix while host routes keep their parsers', async () => {
    expect(wxpayDefault).toBe(wxpayPlugin);
    const fake = createFakeWxPay();
    const app = Fastify();
    await app.register(wxpayDefault, { instance: fake, prefix: '/pay' });
    app.post('/json', async (req) => ({ got: req.body }));
    const ours = await app.inject({
      method: 'POST',
      url: '/pay/echo',
      payload: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(ours.statusCode).toBe(200);
    expect(Buffer.from(JSON.parse(ours.body).body, 'base64').toString()).toBe('{"a":1}');
    const host = await app.inject({ method: 'POST', url: '/json', payload: { b: 2 } });
    expect(host.json()).toEqual({ got: { b: 2 } });
    await app.close();
  });

  it('serves under the prefixes of the scopes it is registered in', async () => {
    const fake = createFakeWxPay();
    const app = Fastify();
    await app.register(async (api) => api.register(wxpayPlugin, { instance: fake, prefix: '/wxpay' }), { prefix: '/api' });
    const res = await app.inject({
      method: 'POST',
      url: '/api/wxpay/echo',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).path).toBe('/echo');
    await app.close();
  });

  it('builds an instance from options and closes it with the server', async () => {
    const app = Fastify();
    await app.register(wxpayPlugin, {
      merchants: [{ name: 'main', mchId: '1900000109', apiKey: '192006250b4c09247ec02edce69f6a2d', baseUrl: 'http://127.0.0.1:9' }],
      apps: [{ name: 'shop', merchant: 'main', appIds: ['wxd930ea5d5a258f4f'] }],
      notifyPayUrl: 'https://shop.example/wxpay/notify-pay',
      notifyRefundUrl: 'https://shop.example/wxpay/notify-refund',
    });
    let closed = 0;
    app.wxpay.use({ name: 'probe', setup: (host) => host.onClose(() => void (closed += 1)) });
    await app.ready();
    expect(app.wxpay.match('POST', '/notify-pay/shop')).toMatchObject({ signed: true });
    await app.close();
    expect(closed).toBe(1);
  });

  it('asks the instance to warn once the server listens', async () => {
    const fake = createFakeWxPay();
    const seen: unknown[] = [];
    (fake as { warnIfUnprotected: (a: unknown) => boolean }).warnIfUnprotected = (address) => (seen.push(address), false);
    const app = Fastify();
    await app.register(wxpayPlugin, { instance: fake });
    await app.listen({ host: '127.0.0.1', port: 0 });
    await app.close();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ address: '127.0.0.1' });
  });
});
