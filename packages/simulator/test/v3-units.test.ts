import { createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { createSimulator, startSimulator } from '@wxpay-kit/simulator';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAuthorization } from '../src/v3/auth.js';
import { selfSignedCertificate } from '../src/v3/certificate.js';
import { encryptResource } from '../src/v3/resource.js';
import { merchantKeys, v3, verifyWechatpay } from './v3-helpers.js';

const keys = merchantKeys();
const wechatpayKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const API_V3_KEY = '0123456789abcdef0123456789abcdef';

describe('AEAD_AES_256_GCM resources', () => {
  it('reproduces the spec test vector', () => {
    const plaintext =
      '{"mchid":"1230000109","appid":"wxd678efh567hg6787","out_trade_no":"T20240101000001","transaction_id":"4200000000202401010000000001","trade_type":"JSAPI","trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"OTHERS","attach":"","success_time":"2024-01-01T12:00:00+08:00","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},"amount":{"total":100,"payer_total":100,"currency":"CNY","payer_currency":"CNY"}}';
    const out = encryptResource(plaintext, API_V3_KEY, 'transaction', 'fdasflkja484');
    expect(out).toMatchObject({ algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction', nonce: 'fdasflkja484' });
    expect(
      out.ciphertext.startsWith(
        'DUcegK33A8MEOgdJt8PWwAdrzVDy3c3BTENCdjZ/7K2gbkFM2sU/cZ/UPNrLir4DXaSrqBdzgGy/sMCWIPKVQdMoXvM4xWshZxJ+TXwOBs8X7UOQ511F3CKsPI+GAo+HPlfJ2hKZ1jwbGTSkNREMzUaUdyQag+sHnnisNS4C5dQE',
      ),
    ).toBe(true);
    expect(Buffer.from(out.ciphertext, 'base64').subarray(-16).toString('hex')).toBe('b5b37ab6db51089bcddae69f6f785fc2');
    expect(encryptResource('x', API_V3_KEY, '').nonce).toMatch(/^[A-Za-z0-9]{12}$/);
  });
});

describe('platform certificate encoding', () => {
  it('issues a self-signed certificate node parses and verifies, with the serial and validity asked for', () => {
    const serial = Buffer.from('7F'.padEnd(40, '0A'), 'hex');
    const notBefore = Date.UTC(2024, 0, 1, 4, 0, 0);
    const pem = selfSignedCertificate({ serial, privateKey: wechatpayKey, notBefore, notAfter: Date.UTC(2055, 5, 1) });
    const cert = new X509Certificate(pem);
    expect(cert.serialNumber).toBe(serial.toString('hex').toUpperCase());
    expect(Date.parse(cert.validFrom)).toBe(notBefore);
    expect(Date.parse(cert.validTo)).toBe(Date.UTC(2055, 5, 1));
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.subject).toContain('CN=Tenpay.com Root CA');
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(
      createPublicKey(wechatpayKey).export({ type: 'spki', format: 'pem' }),
    );
  });
});

describe('Authorization parsing', () => {
  const base = 'WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",timestamp="1",serial_no="AB",signature="c2ln"';
  it('reads the five pairs in any order and refuses duplicates, junk and other schemes', () => {
    expect(parseAuthorization(base)).toEqual({ mchid: '1', nonceStr: 'n', timestamp: '1', serialNo: 'AB', signature: 'c2ln' });
    expect(
      parseAuthorization('WECHATPAY2-SHA256-RSA2048 signature="c2ln",serial_no="AB",timestamp="1",nonce_str="n",mchid="1"'),
    ).toBeDefined();
    expect(parseAuthorization(`${base},mchid="2"`)).toBeUndefined();
    expect(parseAuthorization(`${base} junk`)).toBeUndefined();
    expect(parseAuthorization(base.replace('WECHATPAY2-SHA256-RSA2048', 'WECHATPAY2-SM2-WITH-SM3'))).toBeUndefined();
    expect(parseAuthorization(base.replace(',signature="c2ln"', ''))).toBeUndefined();
    expect(parseAuthorization(undefined)).toBeUndefined();
  });
});

describe('v3 options', () => {
  const merchant = (v3: Record<string, unknown>) => ({
    mchId: '1',
    apiKey: 'k'.repeat(32),
    appIds: ['wx1'],
    v3: { publicKey: keys.publicKey, serialNo: keys.serialNo, apiV3Key: API_V3_KEY, ...v3 } as never,
  });

  it('refuses bad merchant keys with a TypeError naming the field', () => {
    expect(() => createSimulator({ merchants: [merchant({ apiV3Key: 'short' })] })).toThrow(/merchants\[0\]\.v3\.apiV3Key/);
    expect(() => createSimulator({ merchants: [merchant({ serialNo: 'not hex' })] })).toThrow(/serialNo/);
    expect(() => createSimulator({ merchants: [merchant({ publicKey: 'garbage' })] })).toThrow(/publicKey/);
    const ed = generateKeyPairSync('ed25519').publicKey;
    expect(() => createSimulator({ merchants: [merchant({ publicKey: ed })] })).toThrow(/RSA/);
    expect(() => createSimulator({ merchants: [merchant({ wechatpayKey: 'both' })] })).toThrow(/wechatpayKey/);
    expect(() => createSimulator({ v3: { privateKey: 'nope' } })).toThrow(/v3\.privateKey/);
    expect(() => createSimulator({ v3: { publicKeyId: 'KEY_1' } })).toThrow(/publicKeyId/);
    expect(() => createSimulator({ v3: { timestampWindowS: -1 } })).toThrow(/timestampWindowS/);
  });

  it('accepts the merchant key as a certificate or a KeyObject', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cert = selfSignedCertificate({ serial: randomBytes(8), privateKey, notBefore: Date.now(), notAfter: Date.now() + 1e9 });
    const expected = publicKey.export({ type: 'spki', format: 'pem' });
    expect(createSimulator({ merchants: [merchant({ publicKey: cert })] }).merchants[0]!.v3!.publicKey).toBe(expected);
    expect(createSimulator({ merchants: [merchant({ publicKey: privateKey })] }).merchants[0]!.v3!.publicKey).toBe(expected);
    expect(createSimulator({ merchants: [merchant({})] }).merchants[0]).toMatchObject({
      apiVersion: 'v3',
      v3: { serialNo: keys.serialNo, wechatpayKey: 'public-key' },
    });
    expect(createSimulator().merchants[0]).toMatchObject({ apiVersion: 'v2', v3: undefined });
  });

  it('uses a given WeChat Pay key; its id is given or derived from the key, stable across restarts', async () => {
    const pem = wechatpayKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const a = await createSimulator({ v3: { privateKey: pem, platformPrivateKey: wechatpayKey } }).wechatpayKeys();
    const b = await createSimulator({ v3: { privateKey: wechatpayKey, platformPrivateKey: wechatpayKey } }).wechatpayKeys();
    expect(a.publicKeyId).toMatch(/^PUB_KEY_ID_01\d{26}$/);
    expect(b.publicKeyId).toBe(a.publicKeyId);
    expect(a.publicKey).toBe(createPublicKey(wechatpayKey).export({ type: 'spki', format: 'pem' }));
    expect(b.publicKey).toBe(a.publicKey);
    const named = await createSimulator({
      v3: { privateKey: wechatpayKey, platformPrivateKey: wechatpayKey, publicKeyId: 'PUB_KEY_ID_0114232134912410000000000000' },
    }).wechatpayKeys();
    expect(named.publicKeyId).toBe('PUB_KEY_ID_0114232134912410000000000000');
  });
});

describe('v3 under a base path', () => {
  let close: (() => Promise<void>) | undefined;
  afterAll(async () => close?.());

  it('accepts a signature over the full path or over the path below the base path', async () => {
    const sim = await startSimulator({
      port: 0,
      basePath: '/wechat',
      v3: { privateKey: wechatpayKey, platformPrivateKey: wechatpayKey, timestampWindowS: 10 },
      merchants: [
        {
          mchId: '1',
          apiKey: 'k'.repeat(32),
          appIds: ['wx1'],
          v3: { publicKey: keys.publicKey, serialNo: keys.serialNo, apiV3Key: API_V3_KEY },
        },
      ],
    });
    close = () => sim.close();
    expect(sim.url).toMatch(/\/wechat$/);
    const path = '/v3/pay/transactions/out-trade-no/X?mchid=1';
    const full = await v3(sim.url, 'GET', path, undefined, { mchid: '1', keys });
    expect(full.status).toBe(404);
    expect(full.json).toMatchObject({ code: 'ORDER_NOT_EXIST' });
    const relative = await v3(sim.url, 'GET', path, undefined, { mchid: '1', keys, signedUrl: path });
    expect(relative.status).toBe(404);
    const { publicKeyId, publicKey } = await sim.wechatpayKeys();
    expect(verifyWechatpay(relative.headers, relative.text, new Map([[publicKeyId, publicKey]]))).toBe(true);
    const stale = await v3(sim.url, 'GET', path, undefined, { mchid: '1', keys, timestamp: Math.floor(Date.now() / 1000) - 30 });
    expect(stale.status).toBe(401);
  });
});
