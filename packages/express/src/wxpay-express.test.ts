import { describe, expect, it } from 'vitest';
import { createFakeWxPay } from '../../../test/helpers/fake-wxpay.js';
import { wxpayExpress } from './index.js';

describe('wxpayExpress', () => {
  it('is the emitter of the instance it serves, and two middlewares share one emitter', () => {
    const fake = createFakeWxPay();
    const a = wxpayExpress(fake);
    const b = wxpayExpress(fake);
    const seen: string[] = [];
    expect(a.on('paid', (event) => void seen.push(event.orderId))).toBe(a);
    fake.emit('paid', { orderId: 'o1' });
    expect(seen).toEqual(['o1']);
    expect(a.wxpay).toBe(fake);
    expect(b.wxpay).toBe(fake);
  });

  it('passes requests that are not ours to next() without reading them', () => {
    const fake = createFakeWxPay();
    let nextCalls = 0;
    const req = {
      method: 'GET',
      path: '/echo',
      on: () => {
        throw new Error('read');
      },
    };
    wxpayExpress(fake)(req as never, {} as never, () => void (nextCalls += 1));
    expect(nextCalls).toBe(1);
    expect(fake.requests).toHaveLength(0);
  });
});
