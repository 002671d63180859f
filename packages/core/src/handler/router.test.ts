import { describe, expect, it } from 'vitest';
import { Router } from './router.js';

describe('Router', () => {
  it('captures decoded params and tells a wrong method from an unknown path', () => {
    const router = new Router<string>();
    router.add({ method: 'POST', path: '/notify-pay/:app', value: 'pay' });
    router.add({ method: 'GET', path: '/notify-pay/:app', value: 'get' });
    const found = router.lookup('POST', '/notify-pay/my%20app');
    expect(found).toMatchObject({ kind: 'found', params: { app: 'my app' }, entry: { value: 'pay' } });
    expect(router.lookup('DELETE', '/notify-pay/a')).toEqual({ kind: 'method-not-allowed', allow: ['POST', 'GET'] });
    expect(router.lookup('POST', '/notify-pay/')).toEqual({ kind: 'not-found' });
    expect(router.lookup('POST', '/notify-pay/a/b')).toEqual({ kind: 'not-found' });
  });

  it('refuses a duplicate route and malformed patterns', () => {
    const router = new Router<number>();
    router.add({ method: 'POST', path: '/a/:x', value: 1 });
    expect(() => router.add({ method: 'post', path: '/a/:y', value: 2 })).toThrow(/already registered/);
    expect(() => router.add({ method: 'POST', path: 'a', value: 3 })).toThrow(/must start with/);
    expect(() => router.add({ method: 'POST', path: '/a/:1x', value: 3 })).toThrow(/bad parameter/);
  });

  it('gives params a null prototype so a "__proto__" segment cannot pollute', () => {
    const router = new Router<string>();
    router.add({ method: 'POST', path: '/:name', value: 'x' });
    const found = router.lookup('POST', '/__proto__');
    expect(found.kind).toBe('found');
    if (found.kind === 'found') {
      expect(Object.getPrototypeOf(found.params)).toBeNull();
      expect(found.params['name']).toBe('__proto__');
    }
  });
});
