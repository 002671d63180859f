import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { safeEqual, sign, signTypeOf, stringToSign, verifySign } from './sign.js';
import { appPayParams, jsapiPayParams } from './client-params.js';
import { PAY_NOTIFY_VECTOR } from '../../../test/helpers/v2-vectors.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const OFFICIAL = {
  appid: 'wxd930ea5d5a258f4f',
  mch_id: '10000100',
  device_info: '1000',
  body: 'test',
  nonce_str: 'ibuaiVcKdpRxkhJA',
};

describe('stringToSign', () => {
  it('sorts names, skips empty values and sign, appends the key (spec §2.3)', () => {
    expect(stringToSign({ ...OFFICIAL, attach: '', sign: 'X', detail: undefined }, KEY)).toBe(
      'appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA' +
        '&key=192006250b4c09247ec02edce69f6a2d',
    );
  });

  it('sorts by byte order, upper case before lower case', () => {
    expect(stringToSign({ b: '1', a: '2', B: '3', appid: '4', appId: '5' }, 'k')).toBe('B=3&a=2&appId=5&appid=4&b=1&key=k');
  });
});

describe('sign (spec §2.3, §2.4)', () => {
  it('reproduces the official MD5 vector', () => {
    expect(sign(OFFICIAL, KEY)).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
    expect(sign(OFFICIAL, KEY, 'MD5')).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
  });

  it('reproduces the official HMAC-SHA256 vector', () => {
    expect(sign(OFFICIAL, KEY, 'HMAC-SHA256')).toBe('6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6');
  });

  it('signs sign_type like any other field', () => {
    expect(sign({ ...OFFICIAL, sign_type: 'HMAC-SHA256' }, KEY, 'HMAC-SHA256')).toBe(
      '2C9DF1156522C0B2B03B4DBF3BCA5CACB602CBD5CA0F9E112458CF3E9855303B',
    );
  });

  it('skips empty values', () => {
    expect(sign({ ...OFFICIAL, attach: '' }, KEY)).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
  });

  it('hashes UTF-8 bytes of Chinese text', () => {
    expect(sign({ ...OFFICIAL, body: '腾讯充值中心-QQ会员充值' }, KEY)).toBe('385985D44CFE023026D6429EA056492E');
  });

  it('reproduces the unifiedorder reply vector', () => {
    const reply = {
      return_code: 'SUCCESS',
      return_msg: 'OK',
      appid: 'wxd930ea5d5a258f4f',
      mch_id: '10000100',
      nonce_str: 'IITRi8Iabbblz1Jc',
      result_code: 'SUCCESS',
      prepay_id: 'wx201410272009395522657a690389285100',
      trade_type: 'JSAPI',
    };
    expect(sign(reply, KEY)).toBe('84E8DCA507FAB48C6E664F67E96E4322');
  });

  it('reproduces the pay notification vectors (spec §7.4)', () => {
    expect(sign(PAY_NOTIFY_VECTOR, KEY)).toBe('55E403DC5990FB1AE83D71CBDFA6BD48');
    expect(sign({ ...PAY_NOTIFY_VECTOR, sign_type: 'HMAC-SHA256' }, KEY, 'HMAC-SHA256')).toBe(
      '466567F95C2BA8D044606FB6BD63EF5598E9A8DCB59E30F967A2644056DA74FA',
    );
  });
});

describe('client parameter signatures (spec §6.2, §6.3)', () => {
  const base = {
    appId: 'wxd930ea5d5a258f4f',
    prepayId: 'wx201410272009395522657a690389285100',
    apiKey: KEY,
    timestamp: 1414561699,
    nonce: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
  };

  it('JSAPI paySign with MD5', () => {
    expect(jsapiPayParams(base)).toEqual({
      appId: 'wxd930ea5d5a258f4f',
      timeStamp: '1414561699',
      nonceStr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
      package: 'prepay_id=wx201410272009395522657a690389285100',
      signType: 'MD5',
      paySign: 'FD19D752A746E5F238A6E53BD99EEBD0',
    });
  });

  it('JSAPI paySign with HMAC-SHA256', () => {
    const params = jsapiPayParams({ ...base, signType: 'HMAC-SHA256' });
    expect(params.signType).toBe('HMAC-SHA256');
    expect(params.paySign).toBe('FC7A79E4918B4FFA96E836F5AD4A510F31241FB46C14C971D6D7B4F8E15AF262');
  });

  it('APP sign', () => {
    expect(appPayParams({ ...base, partnerId: '10000100' })).toEqual({
      appid: 'wxd930ea5d5a258f4f',
      partnerid: '10000100',
      prepayid: 'wx201410272009395522657a690389285100',
      package: 'Sign=WXPay',
      noncestr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
      timestamp: '1414561699',
      sign: '1F88CC0F1B0560FF6D5EED1FBB7AE9C0',
    });
  });
});

describe('verifySign', () => {
  it('accepts the official vector and the notification vectors', () => {
    expect(verifySign({ ...OFFICIAL, sign: '9A0A8659F005D6984697E2CA0A9CF3B7' }, KEY)).toBe(true);
    expect(verifySign({ ...PAY_NOTIFY_VECTOR, sign: '55E403DC5990FB1AE83D71CBDFA6BD48' }, KEY)).toBe(true);
    expect(
      verifySign(
        { ...PAY_NOTIFY_VECTOR, sign_type: 'HMAC-SHA256', sign: '466567F95C2BA8D044606FB6BD63EF5598E9A8DCB59E30F967A2644056DA74FA' },
        KEY,
      ),
    ).toBe(true);
  });

  it('accepts lower-case hex', () => {
    expect(verifySign({ ...OFFICIAL, sign: '9a0a8659f005d6984697e2ca0a9cf3b7' }, KEY)).toBe(true);
  });

  it('picks HMAC-SHA256 by signature length when sign_type is absent', () => {
    expect(verifySign({ ...OFFICIAL, sign: '6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6' }, KEY)).toBe(true);
    expect(signTypeOf({ sign: 'A'.repeat(64) })).toBe('HMAC-SHA256');
    expect(signTypeOf({ sign: 'A'.repeat(32) })).toBe('MD5');
  });

  it('rejects a missing, empty or altered signature, a wrong key, an unknown field change', () => {
    expect(verifySign({ ...OFFICIAL }, KEY)).toBe(false);
    expect(verifySign({ ...OFFICIAL, sign: '' }, KEY)).toBe(false);
    expect(verifySign({ ...OFFICIAL, sign: '9A0A8659F005D6984697E2CA0A9CF3B8' }, KEY)).toBe(false);
    expect(verifySign({ ...OFFICIAL, sign: '9A0A8659F005D6984697E2CA0A9CF3B7' }, KEY.replace('1', '2'))).toBe(false);
    expect(verifySign({ ...OFFICIAL, extra: 'x', sign: '9A0A8659F005D6984697E2CA0A9CF3B7' }, KEY)).toBe(false);
  });

  it('rejects an unknown sign_type and one outside accept (no downgrade)', () => {
    const md5Signed = { ...OFFICIAL, sign_type: 'MD5' };
    const signed = { ...md5Signed, sign: sign(md5Signed, KEY, 'MD5') };
    expect(verifySign(signed, KEY)).toBe(true);
    expect(verifySign(signed, KEY, { accept: ['HMAC-SHA256'] })).toBe(false);
    const sha1 = { ...OFFICIAL, sign_type: 'SHA1' };
    expect(verifySign({ ...sha1, sign: sign(sha1, KEY) }, KEY)).toBe(false);
  });

  it('a signature made with one algorithm does not verify as the other', () => {
    const declared = { ...OFFICIAL, sign_type: 'HMAC-SHA256' };
    expect(verifySign({ ...declared, sign: sign(declared, KEY, 'MD5') }, KEY)).toBe(false);
  });

  it('round-trips over arbitrary parameters (property)', () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/).filter((n) => n !== 'sign' && n !== 'sign_type');
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.string({ unit: 'grapheme', maxLength: 20 }), { maxKeys: 12 }),
        fc.constantFrom('MD5' as const, 'HMAC-SHA256' as const),
        fc.string({ minLength: 32, maxLength: 32 }),
        (params, signType, key) => {
          const withType = { ...params, sign_type: signType };
          const signed = { ...withType, sign: sign(withType, key, signType) };
          expect(verifySign(signed, key)).toBe(true);
          const names = Object.keys(params).filter((n) => params[n] !== '');
          if (names.length > 0) {
            const victim = names[0]!;
            expect(verifySign({ ...signed, [victim]: `${params[victim]}x` }, key)).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('safeEqual', () => {
  it('compares content and length', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
