import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { skipWithout } from '../../../../test/helpers/external-tools.js';
import type { z } from 'zod';
import type { wxPayOptionsSchema } from './schema.js';
import { ConfigError } from '../errors.js';
import { generateTestCertificates, type TestCertificates } from '../testing/index.js';
import type { WxPayOptions } from './options.js';
import { randomNonce, resolveConfig } from './resolve-config.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';

function options(overrides: Partial<WxPayOptions> = {}): WxPayOptions {
  return {
    merchants: [{ name: 'main', mchId: '1900000109', apiKey: KEY }],
    apps: [{ name: 'shop', merchant: 'main', appIds: ['wxd930ea5d5a258f4f'] }],
    notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
    notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund/',
    ...overrides,
  };
}

function configError(input: unknown): ConfigError {
  try {
    resolveConfig(input as WxPayOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('applies defaults and normalizes URLs', () => {
    const config = resolveConfig(options());
    const merchant = config.merchant('main')!;
    expect(merchant).toMatchObject({
      mchId: '1900000109',
      signType: 'MD5',
      baseUrl: 'https://api.mch.weixin.qq.com',
      sandbox: false,
      apiVersion: 'v2',
      cert: undefined,
    });
    expect(config.notifyRefundUrl).toBe('https://pay.example.com/wxpay/notify-refund');
    expect(config.bodyLimit).toBe(65_536);
    expect(config.client).toEqual({ timeoutMs: 10_000, retries: 2, retryDelayMs: 200, connections: 16, ca: undefined });
    expect(config.nonce()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(typeof config.now()).toBe('number');
  });

  it('orderExpireMinutes: default 120 (WeChat), 5 to 21600, whole minutes', () => {
    expect(resolveConfig(options()).orderExpireMinutes).toBe(120);
    expect(resolveConfig(options({ orderExpireMinutes: 30 })).orderExpireMinutes).toBe(30);
    for (const bad of [4, 21_601, 1.5, '120']) {
      const error = configError(options({ orderExpireMinutes: bad as never }));
      expect(error.message).toContain('orderExpireMinutes');
    }
  });

  it('looks up merchants, apps and app ids', () => {
    const config = resolveConfig(
      options({
        merchants: [
          { name: 'main', mchId: '1900000109', apiKey: KEY },
          { name: 'sandbox', mchId: '1900000109', apiKey: KEY, sandbox: true, baseUrl: 'http://127.0.0.1:9999/' },
        ],
        apps: [
          { name: 'shop', merchant: 'main', appIds: ['wx1', 'wx2'] },
          { name: 'shop-dev', merchant: 'sandbox', appIds: ['wx1'] },
        ],
      }),
    );
    expect(config.app('shop-dev')?.merchant).toBe('sandbox');
    expect(config.merchantOfApp('shop-dev')?.baseUrl).toBe('http://127.0.0.1:9999');
    expect(config.merchantOfApp('nope')).toBeUndefined();
    expect(config.appsByAppId('wx1').map((a) => a.name)).toEqual(['shop', 'shop-dev']);
    expect(config.appsByAppId('wx2').map((a) => a.name)).toEqual(['shop']);
    expect(config.appsByAppId('wx3')).toEqual([]);
  });

  it('deep-freezes the result', () => {
    const config = resolveConfig(options());
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.merchants)).toBe(true);
    expect(Object.isFrozen(config.merchants[0])).toBe(true);
    expect(Object.isFrozen(config.apps[0]!.appIds)).toBe(true);
    expect(Object.isFrozen(config.client)).toBe(true);
    expect(() => {
      (config.merchants[0] as { apiKey: string }).apiKey = 'x';
    }).toThrow(TypeError);
  });

  it('hides the API key and bearer token from JSON and inspect', () => {
    const config = resolveConfig(options({ bearerToken: 'a-long-enough-bearer-token' }));
    expect(JSON.stringify(config)).not.toContain(KEY);
    expect(JSON.stringify(config)).not.toContain('a-long-enough-bearer-token');
    expect(inspect(config, { depth: 5 })).not.toContain(KEY);
    expect(config.merchants[0]!.apiKey).toBe(KEY);
    expect(config.bearerToken).toBe('a-long-enough-bearer-token');
  });

  it('masks secrets before they reach the logger', () => {
    const seen: object[] = [];
    const log = (obj: object) => void seen.push(obj);
    const config = resolveConfig(options({ logger: { debug: log, info: log, warn: log, error: log } }));
    config.logger.info({ apiKey: KEY, sign: 'ABC', mchId: '1' });
    expect(seen).toEqual([{ apiKey: '[redacted]', sign: '[redacted]', mchId: '1' }]);
  });

  it('lists every bad path in one ConfigError and never echoes values', () => {
    const secretKey = 'short-secret-key';
    const error = configError({
      merchants: [
        { name: 'main', mchId: '1900000109', apiKey: KEY },
        { name: 'bad name!', mchId: '', apiKey: secretKey, signType: 'SHA1', baseUrl: 'ftp://x', apikey: 'typo' },
        { name: 'main', mchId: '1', apiKey: KEY, apiVersion: 'v3' },
      ],
      apps: [
        { name: 'shop', merchant: 'nowhere', appIds: [] },
        { name: 'shop', merchant: 'main', appIds: ['wx 1'] },
      ],
      notifyPayUrl: 'https://pay.example.com/notify?x=1',
      notifyRefundUrl: 'not a url',
      bodyLimit: 10,
      client: { timeoutMs: -1 },
      bearerToken: 'short',
    });
    const paths = error.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'merchants[1].name',
        'merchants[1].mchId',
        'merchants[1].apiKey',
        'merchants[1].signType',
        'merchants[1].baseUrl',
        'merchants[1]',
        'merchants[2].privateKey',
        'merchants[2].name',
        'apps[0].merchant',
        'apps[0].appIds',
        'apps[1].name',
        'apps[1].appIds[0]',
        'notifyPayUrl',
        'notifyRefundUrl',
        'bodyLimit',
        'client.timeoutMs',
        'bearerToken',
      ]),
    );
    expect(error.message).toContain('merchants[1].apiKey: must be 32 characters');
    expect(error.message).toContain('merchants[2].privateKey: is required for an API v3 merchant');
    expect(error.message).not.toContain(secretKey);
    expect(error.message).not.toContain('short');
    expect(error.message).not.toContain(KEY);
    expect(error.code).toBe('WXPAY_ERR_CONFIG');
  });

  it('refuses HMAC-SHA256 for a sandbox merchant and subAppId without subMchId', () => {
    const error = configError(
      options({ merchants: [{ name: 'main', mchId: '1', apiKey: KEY, sandbox: true, signType: 'HMAC-SHA256', subAppId: 'wx9' }] }),
    );
    expect(error.issues.map((i) => i.path).sort()).toEqual(['merchants[0].signType', 'merchants[0].subAppId']);
  });

  it('reports a missing root and missing lists', () => {
    expect(configError(undefined).issues[0]!.path).toBe('');
    const error = configError({ merchants: [], apps: [], notifyPayUrl: 'https://a/b', notifyRefundUrl: 'https://a/c' });
    expect(error.issues.map((i) => i.path).sort()).toEqual(['apps', 'merchants']);
  });
});

describe.skipIf(skipWithout(import.meta.url, ['openssl'], "'resolveConfig certificates'"))('resolveConfig certificates', () => {
  let certs: TestCertificates;
  let dir: string;
  beforeAll(async () => {
    certs = await generateTestCertificates({ mchId: '1900000109' });
    dir = await mkdtemp(join(tmpdir(), 'wxpay-config-'));
    await writeFile(join(dir, 'apiclient_cert.p12'), certs.clientPfx);
    await writeFile(join(dir, 'apiclient_cert.pem'), certs.clientCert);
    await writeFile(join(dir, 'apiclient_key.pem'), certs.clientKey);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const withCert = (cert: unknown) => options({ merchants: [{ name: 'main', mchId: '1900000109', apiKey: KEY, cert: cert as never }] });

  it('loads PKCS#12 bytes with the merchant id as the default passphrase', () => {
    const merchant = resolveConfig(withCert({ pfx: certs.clientPfx })).merchants[0]!;
    expect(merchant.cert).toMatchObject({ kind: 'pfx', passphrase: '1900000109' });
    expect(JSON.stringify(resolveConfig(withCert({ pfx: certs.clientPfx })))).not.toContain('1900000109"}');
  });

  it('loads PKCS#12 and PEM files by path, and PEM text', () => {
    expect(resolveConfig(withCert({ pfx: join(dir, 'apiclient_cert.p12'), passphrase: '1900000109' })).merchants[0]!.cert?.kind).toBe(
      'pfx',
    );
    expect(
      resolveConfig(withCert({ cert: join(dir, 'apiclient_cert.pem'), key: join(dir, 'apiclient_key.pem') })).merchants[0]!.cert?.kind,
    ).toBe('pem');
    expect(resolveConfig(withCert({ cert: certs.clientCert, key: certs.clientKey })).merchants[0]!.cert?.kind).toBe('pem');
  });

  it('fails at start-up for a wrong passphrase, a missing file, or a key that does not match', () => {
    expect(configError(withCert({ pfx: certs.clientPfx, passphrase: 'wrong' })).issues).toEqual([
      { path: 'merchants[0].cert', message: expect.stringContaining('PKCS#12 could not be opened') },
    ]);
    expect(configError(withCert({ pfx: join(dir, 'missing.p12') })).issues).toEqual([
      { path: 'merchants[0].cert.pfx', message: 'file could not be read (ENOENT)' },
    ]);
    const mismatch = configError(withCert({ cert: certs.clientCert, key: certs.serverKey }));
    expect(mismatch.issues[0]!.path).toBe('merchants[0].cert');
    expect(mismatch.message).not.toContain('BEGIN');
  });

  it('reports certificate problems together with other problems', () => {
    const error = configError({
      ...withCert({ pfx: certs.clientPfx, passphrase: 'wrong' }),
      notifyPayUrl: 'nope',
    });
    expect(error.issues.map((i) => i.path).sort()).toEqual(['merchants[0].cert', 'notifyPayUrl']);
  });
});

describe('randomNonce', () => {
  it('makes 32 alphanumerics, different each time', () => {
    const seen = new Set(Array.from({ length: 100 }, () => randomNonce()));
    expect(seen.size).toBe(100);
    for (const n of seen) expect(n).toMatch(/^[A-Za-z0-9]{32}$/);
  });
});

describe('schema and WxPayOptions agree', () => {
  it('every WxPayOptions value is schema input, and the parsed output fits back', () => {
    type Input = z.input<typeof wxPayOptionsSchema>;
    type Output = z.output<typeof wxPayOptionsSchema>;
    expectTypeOf<WxPayOptions>().toExtend<Input>();
    expectTypeOf<Output['merchants'][number]['signType']>().toEqualTypeOf<'MD5' | 'HMAC-SHA256'>();
    expectTypeOf<Output['merchants'][number]>().toExtend<Omit<WxPayOptions['merchants'][number], 'cert'>>();
    expectTypeOf<Output['apps'][number]>().toExtend<WxPayOptions['apps'][number]>();
  });
});
