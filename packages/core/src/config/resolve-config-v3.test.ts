import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { generateTestRsaKeyPair } from '../testing/v3-fixtures.js';
import type { MerchantOptions, WxPayOptions } from './options.js';
import { resolveConfig } from './resolve-config.js';

const merchantKeys = generateTestRsaKeyPair();
const wechatKeys = generateTestRsaKeyPair();
const API_V3_KEY = '0123456789abcdef0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'wxpay-kit-v3-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function options(merchant: Partial<MerchantOptions> & Record<string, unknown>): WxPayOptions {
  return {
    merchants: [
      {
        name: 'main',
        mchId: '1230000109',
        apiVersion: 'v3',
        privateKey: merchantKeys.privateKey,
        certSerialNo: '408b07e79b8269fec3d5d3e6ab8ed163a6a380db',
        apiV3Key: API_V3_KEY,
        wechatpayPublicKey: wechatKeys.publicKey,
        wechatpayPublicKeyId: 'PUB_KEY_ID_0114232134912410000000000000',
        ...merchant,
      } as MerchantOptions,
    ],
    apps: [{ name: 'shop', merchant: 'main', appIds: ['wxd678efh567hg6787'] }],
    notifyPayUrl: 'https://pay.example.com/notify-pay',
    notifyRefundUrl: 'https://pay.example.com/notify-refund',
  };
}

function issues(o: WxPayOptions): string[] {
  try {
    resolveConfig(o);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('resolveConfig: API v3 merchants', () => {
  it('loads the keys (PEM text), upper-cases the serial, needs no v2 apiKey', () => {
    const m = resolveConfig(options({})).merchant('main')!;
    expect(m.apiVersion).toBe('v3');
    expect(m.apiKey).toBe('');
    expect(m.v3).toMatchObject({
      certSerialNo: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
      apiV3Key: API_V3_KEY,
      publicKeyId: 'PUB_KEY_ID_0114232134912410000000000000',
      platformCertificates: false,
    });
    expect(m.v3?.privateKey.asymmetricKeyType).toBe('rsa');
    expect(m.v3?.publicKey?.type).toBe('public');
  });

  it('reads keys from files and accepts platform-certificate mode alone', () => {
    writeFileSync(join(dir, 'apiclient_key.pem'), merchantKeys.privateKey);
    const m = resolveConfig(
      options({
        privateKey: join(dir, 'apiclient_key.pem'),
        wechatpayPublicKey: undefined,
        wechatpayPublicKeyId: undefined,
        platformCertificates: true,
      }),
    ).merchant('main')!;
    expect(m.v3?.platformCertificates).toBe(true);
    expect(m.v3?.publicKey).toBeUndefined();
  });

  it('never shows the keys in JSON or inspect output', () => {
    const m = resolveConfig(options({ apiKey: 'k'.repeat(32) })).merchant('main')!;
    for (const text of [JSON.stringify(m), inspect(m)]) {
      expect(text).not.toContain(API_V3_KEY);
      expect(text).not.toContain('k'.repeat(32));
      expect(text).toContain('[redacted]');
    }
  });

  it('lists every missing or malformed v3 option at once, without values', () => {
    const found = issues(options({ privateKey: undefined, certSerialNo: 'not hex', apiV3Key: 'short', wechatpayPublicKeyId: undefined }));
    expect(found).toEqual(
      expect.arrayContaining([
        'merchants[0].privateKey: is required for an API v3 merchant',
        'merchants[0].certSerialNo: must be the certificate serial number in hex',
        'merchants[0].apiV3Key: must be 32 bytes',
        'merchants[0].wechatpayPublicKeyId: is required with the other half of the WeChat Pay public key',
      ]),
    );
    expect(found.join('\n')).not.toContain('short');
  });

  it("needs a way to verify WeChat, refuses the sandbox, and takes a v2 merchant's v3 keys (for transfers) only as a whole set", () => {
    expect(issues(options({ wechatpayPublicKey: undefined, wechatpayPublicKeyId: undefined }))).toEqual([
      expect.stringMatching(/^merchants\[0\]\.wechatpayPublicKey: is required for an API v3 merchant unless platformCertificates/),
    ]);
    expect(issues(options({ sandbox: true }))).toEqual(['merchants[0].sandbox: is API v2 only (the sandbox has no v3 endpoints)']);
    // A v2 merchant that also holds the v3 keys pays on v2 and keeps the keys for the calls only v3 has.
    const both = resolveConfig(options({ apiVersion: 'v2', apiKey: 'k'.repeat(32) })).merchant('main')!;
    expect(both.apiVersion).toBe('v2');
    expect(both.v3?.apiV3Key).toBe(API_V3_KEY);
    expect(issues(options({ apiVersion: 'v2', apiKey: 'k'.repeat(32), certSerialNo: undefined, apiV3Key: undefined }))).toEqual([
      "merchants[0].certSerialNo: is required with a v2 merchant's v3 keys (used for transfers)",
      "merchants[0].apiV3Key: is required with a v2 merchant's v3 keys (used for transfers)",
    ]);
    expect(
      issues(
        options({
          apiVersion: 'v2',
          privateKey: undefined,
          certSerialNo: undefined,
          apiV3Key: undefined,
          wechatpayPublicKey: undefined,
          wechatpayPublicKeyId: undefined,
        }),
      ),
    ).toEqual(['merchants[0].apiKey: is required']);
  });

  it('fails at start-up for a key that does not load, a missing file, or a non-RSA key', () => {
    expect(issues(options({ privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }))).toEqual([
      'merchants[0].privateKey: could not be loaded as an RSA private key',
    ]);
    expect(issues(options({ wechatpayPublicKey: join(dir, 'missing.pem') }))).toEqual([
      'merchants[0].wechatpayPublicKey: file could not be read (ENOENT)',
    ]);
  });
});
