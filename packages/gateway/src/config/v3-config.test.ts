import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createWxPay } from '@wxpay-kit/core';
import { parseGatewayConfig } from './load-config.js';
import { toWxPayOptions } from './to-options.js';
import { forwarderApps } from '../runtime.js';

const V2_KEY = '192006250b4c09247ec02edce69f6a2d';
const V3_KEY = '0123456789abcdef0123456789abcdef';
const SERIAL = '408b07e79b8269fec3d5d3e6ab8ed163a6a380db';
const PUB_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-v3-config-'));
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const wechatpay = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'apiclient_key.pem'), merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'pub_key.pem'), wechatpay.publicKey.export({ type: 'spki', format: 'pem' }));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A merchant with go-wxpay-gateway's v3 keys, moved to API v3 by "api-version". */
function v3Merchant(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'mch3',
    'mch-id': '1230000109',
    'api-version': 'v3',
    'mch-app-key': V2_KEY,
    'mch-key-pem-file': 'apiclient_key.pem',
    'mch-cert-serialno': SERIAL,
    'wxpay-v3-key': V3_KEY,
    'wxpay-pubkey-file': 'pub_key.pem',
    'wxpay-pubkey-id': PUB_KEY_ID,
    ...extra,
  };
}

const parse = (
  merchant: Record<string, unknown>,
  apps: unknown[] = [{ name: 'shop', merchant: 'mch3', 'app-ids': ['wx1'], 'notify-pay-callback': 'http://127.0.0.1:9/p' }],
) => parseGatewayConfig({ merchants: [merchant], apps }, { baseDir: dir });

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('API v3 merchants in the gateway config', () => {
  it('reads the v3 keys of an api-version "v3" merchant and maps them onto a v3 core merchant the core accepts', () => {
    const { config, warnings } = parse(v3Merchant());
    expect(warnings).toEqual([]);
    expect(config.merchants[0]?.v3).toEqual({
      privateKey: join(dir, 'apiclient_key.pem'),
      certSerialNo: SERIAL.toUpperCase(),
      apiV3Key: V3_KEY,
      wechatpayPublicKey: join(dir, 'pub_key.pem'),
      wechatpayPublicKeyId: PUB_KEY_ID,
      platformCertificates: false,
    });
    const options = toWxPayOptions(config, { localBaseUrl: 'http://127.0.0.1:7080' });
    expect(options.merchants).toEqual([
      {
        name: 'mch3',
        mchId: '1230000109',
        apiVersion: 'v3',
        privateKey: join(dir, 'apiclient_key.pem'),
        certSerialNo: SERIAL.toUpperCase(),
        apiV3Key: V3_KEY,
        wechatpayPublicKey: join(dir, 'pub_key.pem'),
        wechatpayPublicKeyId: PUB_KEY_ID,
        apiKey: V2_KEY,
      },
    ]);
    const wxpay = createWxPay(options);
    expect(wxpay.config.merchants[0]?.apiVersion).toBe('v3');
    return wxpay.close();
  });

  it('takes an explicit api-version: "v3" and the legacy platform-certificates mode, alone or with the public key', () => {
    const legacy = parse(
      v3Merchant({ 'api-version': 'v3', 'wxpay-pubkey-file': undefined, 'wxpay-pubkey-id': undefined, 'platform-certificates': true }),
    );
    expect(legacy.config.merchants[0]?.v3).toMatchObject({
      platformCertificates: true,
      wechatpayPublicKey: undefined,
      wechatpayPublicKeyId: undefined,
    });
    const legacyOptions = toWxPayOptions(legacy.config, { localBaseUrl: 'http://x' }).merchants[0];
    expect(legacyOptions).toMatchObject({ apiVersion: 'v3', platformCertificates: true });
    expect(legacyOptions).not.toHaveProperty('wechatpayPublicKey');
    const migrating = toWxPayOptions(parse(v3Merchant({ 'platform-certificates': true })).config, { localBaseUrl: 'http://x' })
      .merchants[0];
    expect(migrating).toMatchObject({ platformCertificates: true, wechatpayPublicKeyId: PUB_KEY_ID });
  });

  it('keeps a merchant with v3 keys on v2 when api-version is "v2" or absent (as go-wxpay-gateway does), keeping the keys for transfers', () => {
    for (const version of ['v2', undefined]) {
      const { config, warnings } = parse(v3Merchant({ 'api-version': version, 'mch-key-pem-file': undefined }));
      expect(config.merchants[0]?.v3).toBeUndefined();
      expect(config.merchants[0]?.transferKeys).toMatchObject({
        keys: ['mch-cert-serialno', 'wxpay-v3-key', 'wxpay-pubkey-file', 'wxpay-pubkey-id'],
        apiV3Key: V3_KEY,
        wechatpayPublicKeyId: PUB_KEY_ID,
      });
      expect(toWxPayOptions(config, { localBaseUrl: 'http://x' }).merchants[0]).not.toHaveProperty('apiVersion');
      expect(warnings).toEqual([]);
    }
  });

  it('names every missing v3 key, and never prints the keys', () => {
    const issues = issuesOf(() =>
      parse({ name: 'mch3', 'mch-id': '1230000109', 'api-version': 'v3', 'wxpay-v3-key': undefined, 'mch-app-key': V2_KEY }),
    );
    expect(issues).toEqual([
      'merchants[0].mch-key-pem-file: is required for API v3 (the merchant API private key, apiclient_key.pem)',
      'merchants[0].mch-cert-serialno: is required for API v3 (the serial number of the merchant API certificate)',
      'merchants[0].wxpay-v3-key: is required for API v3 (the APIv3 key)',
      'merchants[0].wxpay-pubkey-file: is required for API v3 with "wxpay-pubkey-id" (the WeChat Pay public key), unless the merchant still uses platform certificates ("platform-certificates": true)',
    ]);
    expect(issuesOf(() => parse(v3Merchant({ 'wxpay-pubkey-id': undefined })))).toEqual([
      'merchants[0].wxpay-pubkey-id: is required with "wxpay-pubkey-file" (the id of the WeChat Pay public key, PUB_KEY_ID_…)',
    ]);
    expect(issuesOf(() => parse(v3Merchant({ 'wxpay-pubkey-file': undefined })))).toEqual([
      'merchants[0].wxpay-pubkey-file: is required with "wxpay-pubkey-id" (the WeChat Pay public key, pub_key.pem)',
    ]);
    const bad = issuesOf(() =>
      parse(
        v3Merchant({ 'wxpay-pubkey-file': 'missing.pem', 'wxpay-pubkey-id': 'PUB_1', 'wxpay-v3-key': 'short', 'mch-cert-serialno': 'xyz' }),
      ),
    );
    expect(bad).toEqual([
      'merchants[0].mch-cert-serialno: must be the hex serial number of the merchant API certificate',
      'merchants[0].wxpay-v3-key: must be 32 characters (the APIv3 key)',
      'merchants[0].wxpay-pubkey-id: must be the WeChat Pay public key id, "PUB_KEY_ID_" followed by digits',
    ]);
    expect(issuesOf(() => parse(v3Merchant({ 'wxpay-pubkey-file': 'missing.pem' })))).toEqual([
      'merchants[0].wxpay-pubkey-file: file not found: missing.pem',
    ]);
    expect(issuesOf(() => parse(v3Merchant({ 'wxpay-v3-key': 'short' }))).join('\n')).not.toContain('short');
  });

  it('makes mch-app-key optional for a v3 merchant (with a warning) but not for a v2 one', () => {
    const { config, warnings } = parse(v3Merchant({ 'mch-app-key': undefined }));
    expect(warnings).toEqual([
      '(inline): merchant "mch3" (API v3) has no "mch-api-key": refunds started in the merchant console, which WeChat notifies in v2 XML, cannot be read',
    ]);
    expect(toWxPayOptions(config, { localBaseUrl: 'http://x' }).merchants[0]).not.toHaveProperty('apiKey');
    // Forwarded callbacks without a callback-secret are signed with a secret derived from the APIv3 key.
    expect(forwarderApps(config, 'http://x')['shop']?.secret).toMatch(/^[\w-]{43}$/);
    expect(issuesOf(() => parse({ name: 'mch3', 'mch-id': '1230000109' }))).toEqual([
      'merchants[0].mch-api-key: is required (the API v2 key; "mch-app-key" is the older name), or set "api-version": "v3" with the v3 keys',
    ]);
  });

  it('warns that a PKCS#12 certificate is not used by a v3 merchant, and passes no client certificate', () => {
    const { config, warnings } = parse(v3Merchant({ 'mch-cert-p12-file': 'apiclient_key.pem' }));
    expect(warnings).toEqual([
      '(inline): merchant "mch3" uses API v3, which needs no client certificate: "mch-cert-p12-file" is not used (its private key goes in "mch-key-pem-file")',
    ]);
    expect(config.merchants[0]?.cert).toBeUndefined();
    expect(toWxPayOptions(config, { localBaseUrl: 'http://x' }).merchants[0]).not.toHaveProperty('cert');
  });

  it('refuses a -dev (sandbox) app on a v3 merchant: WeChat has no v3 sandbox', () => {
    expect(issuesOf(() => parse(v3Merchant(), [{ name: 'shop-dev', merchant: 'mch3', 'app-ids': ['wx1'] }]))).toEqual([
      'apps[0].merchant: a "-dev" app uses WeChat\'s sandbox, which API v3 does not have; give it an API v2 merchant ("mch3" uses API v3)',
    ]);
  });
});
