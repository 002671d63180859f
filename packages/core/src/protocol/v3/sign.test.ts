import { createVerify, verify as cryptoVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateTestRsaKeyPair } from '../../testing/v3-fixtures.js';
import { appPayParamsV3, jsapiPayParamsV3 } from './client-params.js';
import { buildAuthorization, buildRequestMessage, parseAuthorization } from './sign.js';

const merchant = generateTestRsaKeyPair();
const verifyWith = (publicKey: string, message: string, signature: string): boolean =>
  cryptoVerify('sha256', Buffer.from(message, 'utf8'), publicKey, Buffer.from(signature, 'base64'));

describe('buildRequestMessage', () => {
  it('matches the official GET /v3/certificates example byte for byte', () => {
    expect(buildRequestMessage('GET', '/v3/certificates', 1554208460, '593BEC0C930BF1AFEB40B4A08C8FB242', '')).toBe(
      'GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n',
    );
  });
});

describe('buildAuthorization', () => {
  const body = '{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"商品","amount":{"total":1}}';
  const header = buildAuthorization({
    mchId: '1230000109',
    serialNo: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
    privateKey: merchant.privateKey,
    method: 'post',
    urlPathWithQuery: '/v3/pay/transactions/native',
    body,
    timestamp: 1554208460,
    nonce: '593BEC0C930BF1AFEB40B4A08C8FB242',
  });

  it('has the scheme, the five quoted parts and no spaces between them', () => {
    expect(header).toMatch(/^WECHATPAY2-SHA256-RSA2048 [a-z_]+="[^"]*"(?:,[a-z_]+="[^"]*"){4}$/);
    const parts = Object.fromEntries([...header.matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    expect(parts).toMatchObject({
      mchid: '1230000109',
      nonce_str: '593BEC0C930BF1AFEB40B4A08C8FB242',
      timestamp: '1554208460',
      serial_no: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
    });
    // Checked with node:crypto over a message written out here, not with the code under test.
    const message = `POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n${body}\n`;
    expect(verifyWith(merchant.publicKey, message, parts['signature'] as string)).toBe(true);
    expect(verifyWith(merchant.publicKey, message.replace('total":1', 'total":2'), parts['signature'] as string)).toBe(false);
  });

  it('round-trips through parseAuthorization, and parseAuthorization refuses malformed headers', () => {
    expect(parseAuthorization(header)).toMatchObject({
      mchId: '1230000109',
      timestamp: '1554208460',
      serialNo: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
    });
    expect(parseAuthorization(header.replace('WECHATPAY2-SHA256-RSA2048', 'Bearer'))).toBeUndefined();
    expect(parseAuthorization(header.replace(/,serial_no="[^"]*"/, ''))).toBeUndefined();
    expect(parseAuthorization(`${header},mchid="1"`)).toBeUndefined();
    expect(parseAuthorization(undefined)).toBeUndefined();
  });

  it('generates a fresh nonce and the current time when none is given', () => {
    const a = parseAuthorization(
      buildAuthorization({
        mchId: '1',
        serialNo: 'AB',
        privateKey: merchant.privateKey,
        method: 'GET',
        urlPathWithQuery: '/v3/x',
        body: '',
      }),
    );
    const b = parseAuthorization(
      buildAuthorization({
        mchId: '1',
        serialNo: 'AB',
        privateKey: merchant.privateKey,
        method: 'GET',
        urlPathWithQuery: '/v3/x',
        body: '',
      }),
    );
    expect(a?.nonce).toMatch(/^[0-9A-F]{32}$/);
    expect(a?.nonce).not.toBe(b?.nonce);
    expect(Math.abs(Number(a?.timestamp) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('refuses a header value that could break the quoting', () => {
    expect(() =>
      buildAuthorization({
        mchId: '12"3',
        serialNo: 'AB',
        privateKey: merchant.privateKey,
        method: 'GET',
        urlPathWithQuery: '/',
        body: '',
      }),
    ).toThrow(RangeError);
  });
});

describe('v3 client parameters', () => {
  it('JSAPI paySign is RSA over appId\\ntimeStamp\\nnonceStr\\npackage\\n with signType RSA', () => {
    const params = jsapiPayParamsV3({
      appId: 'wxd678efh567hg6787',
      prepayId: 'wx201410272009395522657a690389285100',
      privateKey: merchant.privateKey,
      timestamp: 1414561699,
      nonce: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
    });
    expect(params).toMatchObject({
      appId: 'wxd678efh567hg6787',
      timeStamp: '1414561699',
      package: 'prepay_id=wx201410272009395522657a690389285100',
      signType: 'RSA',
    });
    const message = 'wxd678efh567hg6787\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n';
    expect(createVerify('RSA-SHA256').update(message).verify(merchant.publicKey, params.paySign, 'base64')).toBe(true);
  });

  it('APP sign covers the bare prepay id', () => {
    const params = appPayParamsV3({
      appId: 'wxapp',
      partnerId: '1230000109',
      prepayId: 'wx123',
      privateKey: merchant.privateKey,
      timestamp: 1700000000,
      nonce: 'N1',
    });
    expect(params).toMatchObject({
      appid: 'wxapp',
      partnerid: '1230000109',
      prepayid: 'wx123',
      package: 'Sign=WXPay',
      noncestr: 'N1',
      timestamp: '1700000000',
    });
    expect(verifyWith(merchant.publicKey, 'wxapp\n1700000000\nN1\nwx123\n', params.sign)).toBe(true);
    expect(verifyWith(merchant.publicKey, 'wxapp\n1700000000\nN1\nprepay_id=wx123\n', params.sign)).toBe(false);
  });
});
