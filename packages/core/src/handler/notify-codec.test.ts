import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isV3Notification } from '../protocol/v3/notify.js';
import { isV3Request } from './notify-codec.js';

const encoder = new TextEncoder();

describe('isV3Request', () => {
  it('agrees with isV3Notification on bodies and v3 headers', () => {
    const starts = fc.constantFrom('<xml>', '{"id":1}', '\uFEFF{', '  {', '\n<xml/>', '', '<', 'x');
    const headers = fc.record(
      { 'wechatpay-signature': fc.constantFrom(undefined, 'sig'), 'wechatpay-serial': fc.constantFrom(undefined, 'PUB_KEY_ID_1') },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(starts, fc.string(), headers, (start, rest, h) => {
        const rawBody = encoder.encode(start + rest);
        expect(isV3Request({ method: 'POST', path: '/notify-pay/shop', headers: h, rawBody })).toBe(isV3Notification(h, rawBody));
      }),
    );
  });
});
