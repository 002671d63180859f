import { describe, expect, it } from 'vitest';
import { createFakeWxPay } from '../../../test/helpers/fake-wxpay.js';
import { wxpayKoa } from './index.js';

describe('wxpayKoa', () => {
  it('is the emitter of the instance it serves', () => {
    const fake = createFakeWxPay();
    const mw = wxpayKoa(fake, { prefix: '/wxpay' });
    const seen: string[] = [];
    expect(mw.once('paid', (event) => void seen.push(event.orderId))).toBe(mw);
    fake.emit('paid', { orderId: 'o1' });
    fake.emit('paid', { orderId: 'o2' });
    expect(seen).toEqual(['o1']);
    expect(mw.wxpay).toBe(fake);
  });

  it('calls next() for paths outside its prefix or without a route, without reading them', async () => {
    const fake = createFakeWxPay();
    const mw = wxpayKoa(fake, { prefix: '/wxpay' });
    let nextCalls = 0;
    for (const path of ['/echo', '/wxpay/none', '/wxpayecho']) {
      await mw({ path, method: 'POST', req: {}, request: {} } as never, async () => void (nextCalls += 1));
    }
    expect(nextCalls).toBe(3);
    expect(fake.requests).toHaveLength(0);
  });
});
