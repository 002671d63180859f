/**
 * go-wxpay-gateway's current sample configuration, copied with its key files generated: every key
 * is known, `mch-api-key` is the API v2 key, the v3 keys do not move payments to v3, and the keys
 * without a use here say so in one start-up line each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '@wxpay-kit/core';
import { LIVE_API_KEY, SANDBOX_KEY, writeCurrentSampleCopy } from '../../test/helpers/current-sample.js';
import { forwarderApps } from '../runtime.js';
import { loadGatewayConfig, parseGatewayConfig } from './load-config.js';
import { startupNotes } from './startup-notes.js';
import { toWxPayOptions } from './to-options.js';

let dir: string;
let file: string;
let sample: Record<string, any>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-current-sample-'));
  ({ file, config: sample } = await writeCurrentSampleCopy(dir));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const clone = () => JSON.parse(JSON.stringify(sample)) as Record<string, any>;

describe("go-wxpay-gateway's current sample configuration", () => {
  it('loads with no warning about an unknown or ignored key', () => {
    const { warnings } = loadGatewayConfig(file);
    expect(warnings.filter((w) => /unknown key|ignored|not used/.test(w))).toEqual([]);
  });

  it('takes mch-api-key as the API v2 key and keeps a merchant with v3 keys and no api-version on v2', () => {
    const { config } = loadGatewayConfig(file);
    const live = config.merchants.find((m) => m.name === 'mch-name')!;
    expect(live.apiKey).toBe(LIVE_API_KEY);
    expect(live.v3).toBeUndefined();
    expect(live.transferKeys?.keys).toEqual(['mch-cert-serialno', 'wxpay-v3-key', 'wxpay-v3-cert', 'wxpay-pubkey-file', 'wxpay-pubkey-id']);
    expect(config.merchants.find((m) => m.name === 'mch-name-sandbox')!.apiKey).toBe(SANDBOX_KEY);
    const options = toWxPayOptions(config, { localBaseUrl: 'http://127.0.0.1:7085', simulatorUrl: 'http://127.0.0.1:9' });
    const coreLive = options.merchants.find((m) => m.name === 'mch-name')!;
    expect(coreLive.apiVersion).toBeUndefined();
    expect(coreLive.apiKey).toBe(LIVE_API_KEY);
    // Its v3 keys go along for the calls only API v3 has (transfers), with wxpay-v3-cert's platform certificates.
    expect(coreLive).toMatchObject({ certSerialNo: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1', platformCertificates: true });
    const resolved = resolveConfig(options).merchant('mch-name')!;
    expect(resolved.apiVersion).toBe('v2');
    expect(resolved.v3?.publicKeyId).toBe('PUB_KEY_ID_0112300001092025010100000000');
    // The sandbox merchant (only mch-cert-serialno) gets none.
    expect(options.merchants.find((m) => m.name === 'mch-name-sandbox')?.privateKey).toBeUndefined();
    // mch-key-pem-file without mch-cert-pem-file: the v3 signing key alone (refunds have no certificate then).
    const keyOnly = clone();
    delete keyOnly['merchants'][0]['mch-cert-pem-file'];
    const keyOnlyConfig = parseGatewayConfig(keyOnly, { baseDir: dir }).config;
    expect(keyOnlyConfig.merchants[0]?.cert).toBeUndefined();
    const keyOnlyOptions = toWxPayOptions(keyOnlyConfig, { localBaseUrl: 'http://x', simulatorUrl: 'http://y' });
    expect(keyOnlyOptions.merchants.find((m) => m.name === 'mch-name')?.privateKey).toMatch(/apiclient_key\.pem$/);
    // Without v3 keys the key alone is still refused: it goes with the certificate.
    delete keyOnly['merchants'][0]['wxpay-v3-key'];
    delete keyOnly['merchants'][0]['wxpay-v3-cert'];
    delete keyOnly['merchants'][0]['wxpay-pubkey-file'];
    delete keyOnly['merchants'][0]['wxpay-pubkey-id'];
    expect(() => parseGatewayConfig(keyOnly, { baseDir: dir })).toThrow(/mch-cert-pem-file: is required with the other PEM file/);
  });

  it('moves payments to v3 only when api-version says so, verifying WeChat with the key or the platform certificate', () => {
    const withVersion = clone();
    withVersion['merchants'][0]['api-version'] = 'v3';
    const { config } = parseGatewayConfig(withVersion, { baseDir: dir });
    const live = config.merchants.find((m) => m.name === 'mch-name')!;
    expect(live.v3).toMatchObject({ apiV3Key: '0123456789abcdef0123456789abcdef', platformCertificates: true });
    expect(live.transferKeys).toBeUndefined();
    const options = toWxPayOptions(config, { localBaseUrl: 'http://127.0.0.1:7085', simulatorUrl: 'http://127.0.0.1:9' });
    expect(options.merchants.find((m) => m.name === 'mch-name')).toMatchObject({ apiVersion: 'v3', platformCertificates: true });
  });

  it('says in one start-up line each what the reply shapes are, what worker-num and pay-log-file mean here, and what the v3 keys are for', () => {
    const { config } = loadGatewayConfig(file);
    expect(startupNotes(config)).toEqual([
      'reply shapes: "current" (detected: a merchant names its key "mch-api-key" (go-wxpay-gateway since 2020))',
      '"worker-num" (5) has no meaning here: one Node.js event loop serves every request',
      '"pay-log-file" (wxpay-gateway-log.txt) is not written: results are the JSON log lines on stdout and the records in the store',
      'apps "app-name", "app-name-dev" without "notify-pay-callback": results reach them by verify-notify-pay (/verify-notify-pay?app=<name>) for orders placed with the app\'s own notifyUrl; results of other orders are kept in the outbox until a callback is set',
      'merchant "mch-name" pays on API v2; its API v3 keys (mch-cert-serialno, wxpay-v3-key, wxpay-v3-cert, wxpay-pubkey-file, wxpay-pubkey-id) are for the calls only API v3 has, such as transfer bills ("api-version": "v3" moves its payments to v3)',
    ]);
    // what the line promises: the forwarder keeps those results without calling it an error
    expect(Object.entries(forwarderApps(config, '')).map(([name, app]) => [name, app.noCallbackNeeded])).toEqual([
      ['app-name', ['payCallback']],
      ['app-name-dev', ['payCallback']],
    ]);
    const withCallback = clone();
    withCallback['apps'][0]['notify-pay-callback'] = 'http://127.0.0.1:9/paid';
    const named = forwarderApps(parseGatewayConfig(withCallback, { baseDir: dir }).config, '');
    expect(named['app-name']).toMatchObject({ payCallback: 'http://127.0.0.1:9/paid' });
    expect(named['app-name']!.noCallbackNeeded).toBeUndefined();
    const partial = clone();
    delete partial['merchants'][0]['wxpay-v3-key'];
    delete partial['merchants'][0]['wxpay-v3-cert'];
    delete partial['merchants'][0]['wxpay-pubkey-id'];
    const { config: partialConfig } = parseGatewayConfig(partial, { baseDir: dir });
    expect(startupNotes(partialConfig)).toContain(
      'merchant "mch-name" pays on API v2; its API v3 keys (mch-cert-serialno, wxpay-pubkey-file) are not used: transfers need wxpay-v3-key, wxpay-pubkey-id too',
    );
    // An incomplete set is not given to the core (which would refuse it): the merchant pays on v2.
    const options = toWxPayOptions(partialConfig, { localBaseUrl: 'http://x', simulatorUrl: 'http://y' });
    expect(options.merchants.find((m) => m.name === 'mch-name')?.privateKey).toBeUndefined();
    expect(() => resolveConfig(options)).not.toThrow();
  });

  it('does not warn that the results of apps without notify-pay-callback are lost while they can check them at verify-notify-pay', () => {
    const { warnings } = loadGatewayConfig(file);
    expect(warnings.filter((w) => w.includes('notify-pay-callback'))).toEqual([]);
    // With verify-notify-pay switched off there is no other way: the warning says where results wait.
    const off = clone();
    off['endpoints']['verify-notify-pay'] = '';
    const { config, warnings: offWarnings } = parseGatewayConfig(off, { baseDir: dir });
    expect(offWarnings).toContainEqual(
      expect.stringContaining('app "app-name" has no "notify-pay-callback"; results of its orders are kept in the outbox until one is set'),
    );
    expect(startupNotes(config).filter((n) => n.includes('notify-pay-callback'))).toEqual([]);
    // and the forwarder reports their waiting results as the mistake it then is
    expect(Object.values(forwarderApps(config, '')).map((app) => app.noCallbackNeeded)).toEqual([undefined, undefined]);
  });

  it('maps timeout (seconds; 0 keeps the default) onto the client timeout and receipt onto the merchant', () => {
    const zero = loadGatewayConfig(file).config;
    expect(toWxPayOptions(zero, { localBaseUrl: 'http://x', simulatorUrl: 'http://y' }).client).toBeUndefined();
    const edited = clone();
    edited['timeout'] = 5;
    edited['merchants'][0]['receipt'] = true;
    const { config } = parseGatewayConfig(edited, { baseDir: dir });
    const options = toWxPayOptions(config, { localBaseUrl: 'http://x', simulatorUrl: 'http://y' });
    expect(options.client).toEqual({ timeoutMs: 5000 });
    expect(options.merchants.find((m) => m.name === 'mch-name')).toMatchObject({ receipt: true });
    expect(resolveConfig(options).merchant('mch-name')?.receipt).toBe(true);
    edited['timeout'] = -1;
    expect(() => parseGatewayConfig(edited, { baseDir: dir })).toThrow(/timeout: must be at least 0/);
  });

  it('detects the reply shapes: 2019 for a first-README file, current for mch-api-key or a verify-notify endpoint, api-shape wins', () => {
    const old = clone();
    for (const m of old['merchants']) {
      m['mch-app-key'] = m['mch-api-key'];
      delete m['mch-api-key'];
    }
    delete old['endpoints']['verify-notify-pay'];
    delete old['endpoints']['verify-notify-refund'];
    expect(parseGatewayConfig(old, { baseDir: dir }).config.apiShape?.shape).toBe('2019');
    old['endpoints']['verify-notify-refund'] = '/verify-notify-refund';
    expect(parseGatewayConfig(old, { baseDir: dir }).config.apiShape).toEqual({
      shape: 'current',
      reason: 'detected: endpoints configure "verify-notify-refund" (go-wxpay-gateway\'s current version)',
    });
    const chosen = clone();
    chosen['api-shape'] = '2019';
    expect(parseGatewayConfig(chosen, { baseDir: dir }).config.apiShape).toEqual({ shape: '2019', reason: '"api-shape" in the config' });
    chosen['api-shape'] = '2025';
    expect(() => parseGatewayConfig(chosen, { baseDir: dir })).toThrow(/api-shape: must be one of "2019", "current"/);
  });

  it('takes mch-app-key and mch-api-key together only when they agree, and needs one of them for API v2', () => {
    const both = clone();
    both['merchants'][0]['mch-app-key'] = LIVE_API_KEY;
    expect(parseGatewayConfig(both, { baseDir: dir }).config.merchants[0]!.apiKey).toBe(LIVE_API_KEY);
    both['merchants'][0]['mch-app-key'] = SANDBOX_KEY;
    const issues = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
      }
      throw new Error('expected a ConfigError');
    };
    expect(issues(() => parseGatewayConfig(both, { baseDir: dir }))).toEqual([
      'merchants[0].mch-api-key: is not the same key as "mch-app-key"; give the API v2 key once, as "mch-api-key" (or "mch-app-key")',
    ]);
    const none = clone();
    delete none['merchants'][0]['mch-api-key'];
    expect(issues(() => parseGatewayConfig(none, { baseDir: dir }))).toEqual([
      'merchants[0].mch-api-key: is required (the API v2 key; "mch-app-key" is the older name), or set "api-version": "v3" with the v3 keys',
    ]);
  });

  it('refuses a wxpay-v3-cert that is no certificate, naming the key', () => {
    const bad = clone();
    bad['merchants'][0]['wxpay-v3-cert'] = './pub_key.pem';
    expect(() => parseGatewayConfig(bad, { baseDir: dir })).toThrow(/merchants\[0\]\.wxpay-v3-cert: is not a PEM certificate/);
  });
});
