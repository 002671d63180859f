import { describe, expect, it } from 'vitest';
import { appPayParams, jsapiPayParams, mwebPayUrl } from './client-params.js';
import { verifySign } from './sign.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';

describe('mwebPayUrl (spec §6.5)', () => {
  const mweb = 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2016&package=1405458241';

  it('returns mweb_url unchanged without a redirect', () => {
    expect(mwebPayUrl(mweb)).toBe(mweb);
    expect(mwebPayUrl(mweb, '')).toBe(mweb);
  });

  it('appends redirect_url URL-encoded', () => {
    expect(mwebPayUrl(mweb, 'https://shop.example.com/paid?order=1&x=中')).toBe(
      `${mweb}&redirect_url=https%3A%2F%2Fshop.example.com%2Fpaid%3Forder%3D1%26x%3D%E4%B8%AD`,
    );
    expect(mwebPayUrl('https://wx.tenpay.com/x', 'http://localhost:11083')).toBe(
      'https://wx.tenpay.com/x?redirect_url=http%3A%2F%2Flocalhost%3A11083',
    );
  });
});

describe('signed client params', () => {
  const input = { appId: 'wx1', prepayId: 'wx2', apiKey: KEY, timestamp: 1700000000, nonce: 'n' };

  it('JSAPI params verify with paySign as the signature', () => {
    const p = jsapiPayParams({ ...input, signType: 'HMAC-SHA256' });
    const { paySign, ...rest } = p;
    expect(verifySign({ ...rest, sign: paySign }, KEY)).toBe(true);
    expect(Object.keys(p).sort()).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
  });

  it('APP params verify and keep lower-case keys', () => {
    const p = appPayParams({ ...input, partnerId: '1900000109' });
    expect(verifySign({ ...p }, KEY)).toBe(true);
    expect(p.package).toBe('Sign=WXPay');
    expect(p.partnerid).toBe('1900000109');
  });

  it('refuses a timestamp that is not whole seconds', () => {
    expect(() => jsapiPayParams({ ...input, timestamp: 1.5 })).toThrow(RangeError);
  });
});
