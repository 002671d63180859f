import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@wxpay-kit/core';
import { formatConfigError, loadGatewayConfig, parseGatewayConfig } from './load-config.js';
import { DEFAULT_ENDPOINTS, isSandboxApp } from './gateway-config.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';

/** The configuration the seed README describes, as a go-wxpay-gateway user has it. */
function seedConfig(): Record<string, unknown> {
  return {
    'listen-host': '',
    'listen-port': 7080,
    'notify-pay-url': 'http://pay.example.com/wxpay/notify-pay',
    'notify-refund-url': 'http://pay.example.com/wxpay/notify-refund',
    'notify-file': 'wxpay-notify.txt',
    endpoints: {
      'create-pay': '/wxpay/create-pay',
      'notify-pay': '/wxpay/notify-pay',
      'create-refund': '/wxpay/create-refund',
      'notify-refund': '/wxpay/notify-refund',
      'query-order': '/wxpay/queryorder',
    },
    merchants: [
      { name: 'mch', 'mch-id': '1530730681', 'mch-app-key': KEY },
      { name: 'mch-sandbox', 'mch-id': '1530730681', 'mch-app-key': KEY },
    ],
    apps: [
      {
        name: 'shop',
        merchant: 'mch',
        'app-ids': ['wxc914c55fba939e3c'],
        'notify-pay-callback': 'http://127.0.0.1:9000/pay',
        'notify-refund-callback': 'http://127.0.0.1:9000/refund',
      },
      {
        name: 'shop-dev',
        merchant: 'mch-sandbox',
        'app-ids': ['wxc914c55fba939e3c'],
        'notify-pay-callback': 'http://127.0.0.1:9000/pay',
        'notify-refund-callback': 'http://127.0.0.1:9000/refund',
      },
    ],
  };
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('parseGatewayConfig', () => {
  it('reads the seed format as-is and applies defaults', () => {
    const { config, warnings } = parseGatewayConfig(seedConfig(), { baseDir: dir });
    expect(warnings).toEqual([]);
    expect(config.listenHost).toBe('');
    expect(config.listenPort).toBe(7080);
    expect(config.notifyPayUrl).toBe('http://pay.example.com/wxpay/notify-pay');
    expect(config.endpoints).toEqual({ ...DEFAULT_ENDPOINTS, queryOrder: '/wxpay/queryorder' });
    expect(config.merchants[0]).toMatchObject({ name: 'mch', mchId: '1530730681', signType: 'MD5', baseUrl: undefined, cert: undefined });
    expect(config.apps.map((a) => [a.name, a.sandbox, a.appIds])).toEqual([
      ['shop', false, ['wxc914c55fba939e3c']],
      ['shop-dev', true, ['wxc914c55fba939e3c']],
    ]);
    expect(config.apps[0]?.payCallback).toBe('http://127.0.0.1:9000/pay');
    // notify-file names the embedded outbox when `store` is absent.
    expect(config.store).toEqual({ kind: 'file', path: join(dir, 'wxpay-notify.txt') });
    expect(Object.isFrozen(config.apps[0])).toBe(true);
  });

  it('reads our additions: api-base-url, sign-type, p12 certificate, store, app-ids', () => {
    writeFileSync(join(dir, 'cert.p12'), 'x');
    const raw = seedConfig();
    raw.store = 'redis://127.0.0.1:6380/2';
    raw.merchants = [
      {
        name: 'mch',
        'mch-id': '1530730681',
        'mch-app-key': KEY,
        'api-base-url': 'http://127.0.0.1:9999/',
        'sign-type': 'HMAC-SHA256',
        'mch-cert-p12-file': 'cert.p12',
      },
      { name: 'mch-sandbox', 'mch-id': '1530730681', 'mch-app-key': KEY },
    ];
    (raw.apps as Record<string, unknown>[])[0]!['app-ids'] = ['wx1', 'wx2'];
    const { config } = parseGatewayConfig(raw, { baseDir: dir });
    expect(config.merchants[0]).toMatchObject({
      baseUrl: 'http://127.0.0.1:9999',
      signType: 'HMAC-SHA256',
      // WeChat's default .p12 passphrase is the merchant id.
      cert: { pfx: join(dir, 'cert.p12'), passphrase: '1530730681' },
    });
    expect(config.store).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6380/2' });
    expect(config.apps[0]?.appIds).toEqual(['wx1', 'wx2']);
  });

  it('resolves a file: store and PEM files against the config directory', () => {
    writeFileSync(join(dir, 'c.pem'), 'x');
    writeFileSync(join(dir, 'k.pem'), 'x');
    const raw = seedConfig();
    raw.store = 'file:data';
    (raw.merchants as Record<string, unknown>[])[0]!['mch-cert-pem-file'] = 'c.pem';
    (raw.merchants as Record<string, unknown>[])[0]!['mch-key-pem-file'] = 'k.pem';
    const { config } = parseGatewayConfig(raw, { baseDir: dir });
    expect(config.store).toEqual({ kind: 'file', path: join(dir, 'data') });
    expect(config.merchants[0]?.cert).toEqual({ cert: join(dir, 'c.pem'), key: join(dir, 'k.pem') });
  });

  it("warns once per unknown key, and not for go-wxpay-gateway's own keys", () => {
    const raw = seedConfig();
    raw['worker-num'] = 5;
    raw.colour = 'blue';
    (raw.endpoints as Record<string, unknown>).transfer = '/transfer';
    (raw.merchants as Record<string, unknown>[])[1]!.extra = true;
    const { warnings } = parseGatewayConfig(raw, { baseDir: dir, source: 'conf.json' });
    expect(warnings).toHaveLength(2);
    expect(warnings).toContain('conf.json: unknown key "colour" is ignored');
    expect(warnings).toContain('conf.json: unknown key "merchants[1].extra" is ignored');
  });

  it('stops on a wrong type, naming the key', () => {
    const raw = seedConfig();
    raw['listen-port'] = '7080';
    const error = errorOf(() => parseGatewayConfig(raw, { source: 'conf.json' }));
    expect(error.issues).toEqual([{ path: 'listen-port', message: 'must be a number, not a string' }]);
    expect(formatConfigError(error)).toBe('wxpay-gateway: invalid configuration conf.json: listen-port: must be a number, not a string');
  });

  it('names every bad key at once, with array indexes, in one line', () => {
    const raw = seedConfig();
    (raw.merchants as Record<string, unknown>[])[1]!['mch-id'] = 1530730681;
    (raw.apps as Record<string, unknown>[])[0]!['notify-pay-callback'] = 'not a url';
    delete (raw.merchants as Record<string, unknown>[])[0]!['mch-app-key'];
    const error = errorOf(() => parseGatewayConfig(raw));
    expect(error.issues.map((i) => i.path).sort()).toEqual([
      'apps[0].notify-pay-callback',
      'merchants[0].mch-api-key',
      'merchants[1].mch-id',
    ]);
    const line = formatConfigError(error);
    expect(line).not.toContain('\n');
    expect(line).toContain('merchants[0].mch-api-key: is required');
    expect(line).toContain('merchants[1].mch-id: must be a string, not a number');
  });

  it('checks the merchant id and the 32-character key without echoing the key', () => {
    const raw = seedConfig();
    (raw.merchants as Record<string, unknown>[])[0]!['mch-app-key'] = 'short-secret';
    (raw.merchants as Record<string, unknown>[])[1]!['mch-id'] = '15307-30681';
    const error = errorOf(() => parseGatewayConfig(raw));
    expect(error.issues).toEqual([
      { path: 'merchants[0].mch-app-key', message: 'must be 32 characters (the API v2 key)' },
      { path: 'merchants[1].mch-id', message: 'must be 1-32 letters or digits' },
    ]);
    expect(formatConfigError(error)).not.toContain('short-secret');
  });

  it('refuses an unknown sign-type and a bad store', () => {
    const raw = seedConfig();
    (raw.merchants as Record<string, unknown>[])[0]!['sign-type'] = 'SHA1';
    raw.store = 'mysql://x';
    const error = errorOf(() => parseGatewayConfig(raw));
    expect(error.issues).toEqual([
      { path: 'store', message: 'must be "file:<directory>" or a redis:// (rediss://) URL' },
      { path: 'merchants[0].sign-type', message: 'must be one of "MD5", "HMAC-SHA256"' },
    ]);
  });

  it('stops when an app names an unknown merchant', () => {
    const raw = seedConfig();
    (raw.apps as Record<string, unknown>[])[1]!.merchant = 'nope';
    const error = errorOf(() => parseGatewayConfig(raw));
    expect(formatConfigError(error)).toBe(
      'wxpay-gateway: invalid configuration (inline): apps[1].merchant: unknown merchant "nope" (merchants: mch, mch-sandbox)',
    );
  });

  it('stops on duplicate names, a missing certificate file and half a PEM pair', () => {
    const raw = seedConfig();
    (raw.merchants as Record<string, unknown>[])[1]!.name = 'mch';
    (raw.merchants as Record<string, unknown>[])[0]!['mch-cert-pem-file'] = 'missing.pem';
    const error = errorOf(() => parseGatewayConfig(raw, { baseDir: dir }));
    expect(error.issues).toEqual([
      { path: 'merchants[0].mch-cert-pem-file', message: 'file not found: missing.pem' },
      {
        path: 'merchants[0].mch-key-pem-file',
        message: 'is required with the other PEM file (the certificate and its private key go together)',
      },
      { path: 'merchants[1].name', message: 'duplicate merchant name "mch"' },
      { path: 'apps[1].merchant', message: 'unknown merchant "mch-sandbox" (merchants: mch)' },
    ]);
  });

  it('without app-ids an app accepts any appId (as go-wxpay-gateway did), with one warning line per app', () => {
    const raw = seedConfig();
    for (const app of raw.apps as Record<string, unknown>[]) delete app['app-ids'];
    const { config, warnings } = parseGatewayConfig(raw);
    expect(config.apps.map((a) => [a.name, a.appIds])).toEqual([
      ['shop', ['*']],
      ['shop-dev', ['*']],
    ]);
    expect(warnings).toEqual([
      '(inline): app "shop" lists no "app-ids", so it accepts any appId of its merchant; list the appIds (official account, mini-program, mobile app) it pays with',
      '(inline): app "shop-dev" lists no "app-ids", so it accepts any appId of its merchant; list the appIds (official account, mini-program, mobile app) it pays with',
    ]);
  });

  it('keeps app-ids when given, without a warning, and refuses an empty list', () => {
    const { config, warnings } = parseGatewayConfig(seedConfig());
    expect(config.apps.map((a) => a.appIds)).toEqual([['wxc914c55fba939e3c'], ['wxc914c55fba939e3c']]);
    expect(warnings.filter((w) => w.includes('app-ids'))).toEqual([]);
    const raw = seedConfig();
    (raw.apps as Record<string, unknown>[])[1]!['app-ids'] = [];
    const error = errorOf(() => parseGatewayConfig(raw));
    expect(error.issues.map((i) => i.path)).toEqual(['apps[1].app-ids']);
    expect(error.issues[0]?.message).toMatch(/^must list at least one appId/);
  });

  it('reads fetch-sandbox-key (default false)', () => {
    const raw = seedConfig();
    (raw.merchants as Record<string, unknown>[])[1]!['fetch-sandbox-key'] = true;
    expect(parseGatewayConfig(raw).config.merchants.map((m) => m.fetchSandboxKey)).toEqual([false, true]);
    (raw.merchants as Record<string, unknown>[])[1]!['fetch-sandbox-key'] = 'yes';
    expect(errorOf(() => parseGatewayConfig(raw)).issues.map((i) => i.path)).toEqual(['merchants[1].fetch-sandbox-key']);
  });

  it('reads order-expire-minutes (5 to 21600; absent keeps the core default of 120)', () => {
    expect(parseGatewayConfig(seedConfig()).config.orderExpireMinutes).toBeUndefined();
    expect(parseGatewayConfig({ ...seedConfig(), 'order-expire-minutes': 30 }).config.orderExpireMinutes).toBe(30);
    const bad = (value: unknown) => errorOf(() => parseGatewayConfig({ ...seedConfig(), 'order-expire-minutes': value })).issues;
    expect(bad(4)).toEqual([{ path: 'order-expire-minutes', message: 'must be at least 5' }]);
    expect(bad(21_601)).toEqual([{ path: 'order-expire-minutes', message: 'must be at most 21600' }]);
    expect(bad(1.5)).toEqual([{ path: 'order-expire-minutes', message: 'must be whole minutes' }]);
  });

  it('reads lease-ms (1 s to 1 h; absent keeps the core default)', () => {
    expect(parseGatewayConfig(seedConfig()).config.leaseMs).toBeUndefined();
    expect(parseGatewayConfig({ ...seedConfig(), 'lease-ms': 1_000 }).config.leaseMs).toBe(1_000);
    expect(parseGatewayConfig({ ...seedConfig(), 'lease-ms': 3_600_000 }).config.leaseMs).toBe(3_600_000);
    const bad = (value: unknown) => errorOf(() => parseGatewayConfig({ ...seedConfig(), 'lease-ms': value })).issues;
    expect(bad(999)).toEqual([{ path: 'lease-ms', message: 'must be at least 1000' }]);
    expect(bad(3_600_001)).toEqual([{ path: 'lease-ms', message: 'must be at most 3600000' }]);
    expect(bad(1_500.5)).toEqual([{ path: 'lease-ms', message: 'must be whole milliseconds' }]);
    expect(bad('60000')).toEqual([{ path: 'lease-ms', message: 'must be a number, not a string' }]);
  });

  it('reads sweep-schedule (ascending whole seconds from 1, or false), sweep-rate and sweep-lease-ms', () => {
    const read = (extra: Record<string, unknown>) => parseGatewayConfig({ ...seedConfig(), ...extra }).config;
    expect(read({})).toMatchObject({ sweepSchedule: undefined, sweepRate: undefined, sweepLeaseMs: undefined });
    expect(read({ 'sweep-schedule': [10, 30, 60, 180, 600, 1800, 3600], 'sweep-rate': 2.5, 'sweep-lease-ms': 5_000 })).toMatchObject({
      sweepSchedule: [10, 30, 60, 180, 600, 1800, 3600],
      sweepRate: 2.5,
      sweepLeaseMs: 5_000,
    });
    expect(read({ 'sweep-schedule': false }).sweepSchedule).toBe(false);
    const bad = (extra: Record<string, unknown>) => errorOf(() => parseGatewayConfig({ ...seedConfig(), ...extra })).issues;
    expect(bad({ 'sweep-schedule': [10, 5] })).toEqual([
      { path: 'sweep-schedule', message: 'must be ascending, each point later than the one before' },
    ]);
    expect(bad({ 'sweep-schedule': [0, 5] })).toEqual([{ path: 'sweep-schedule[0]', message: 'must be at least 1' }]);
    expect(bad({ 'sweep-schedule': [1.5] })).toEqual([
      { path: 'sweep-schedule', message: 'must be a list of whole seconds from 1 up, ascending (e.g. [10, 30, 60, 180]), or false' },
    ]);
    expect(bad({ 'sweep-schedule': true })).toEqual([
      { path: 'sweep-schedule', message: 'must be a list of whole seconds from 1 up, ascending (e.g. [10, 30, 60, 180]), or false' },
    ]);
    expect(bad({ 'sweep-schedule': [] })).toEqual([
      { path: 'sweep-schedule', message: 'must list at least one point (or be false to turn the sweeper off)' },
    ]);
    expect(bad({ 'sweep-rate': 0 })).toEqual([{ path: 'sweep-rate', message: 'must be above 0' }]);
    expect(bad({ 'sweep-rate': 1001 })).toEqual([{ path: 'sweep-rate', message: 'must be at most 1000' }]);
    expect(bad({ 'sweep-lease-ms': 999 })).toEqual([{ path: 'sweep-lease-ms', message: 'must be at least 1000' }]);
  });

  it('reads the micropay-* timing keys (ms) and leaves the ones not set to the core', () => {
    const read = (extra: Record<string, unknown>) => parseGatewayConfig({ ...seedConfig(), ...extra }).config.micropay;
    expect(read({})).toBeUndefined();
    expect(read({ 'micropay-query-interval-ms': 500, 'micropay-deadline-ms': 3_000 })).toEqual({ queryIntervalMs: 500, deadlineMs: 3_000 });
    expect(
      read({
        'micropay-query-interval-ms': 100,
        'micropay-deadline-ms': 1_000,
        'micropay-reverse-after-ms': 0,
        'micropay-reverse-interval-ms': 100,
        'micropay-reverse-attempts': 3,
      }),
    ).toEqual({ queryIntervalMs: 100, deadlineMs: 1_000, reverseAfterMs: 0, reverseIntervalMs: 100, reverseAttempts: 3 });
    const bad = (extra: Record<string, unknown>) => errorOf(() => parseGatewayConfig({ ...seedConfig(), ...extra })).issues;
    expect(bad({ 'micropay-query-interval-ms': 99 })).toEqual([{ path: 'micropay-query-interval-ms', message: 'must be at least 100' }]);
    expect(bad({ 'micropay-deadline-ms': 600_001 })).toEqual([{ path: 'micropay-deadline-ms', message: 'must be at most 600000' }]);
    expect(bad({ 'micropay-reverse-attempts': 0 })).toEqual([{ path: 'micropay-reverse-attempts', message: 'must be at least 1' }]);
  });

  it('refuses a non-object and empty lists', () => {
    expect(errorOf(() => parseGatewayConfig([])).issues).toEqual([{ path: '', message: 'must be a JSON object' }]);
    const raw = seedConfig();
    raw.apps = [];
    expect(errorOf(() => parseGatewayConfig(raw)).issues).toEqual([{ path: 'apps', message: 'must list at least one app' }]);
  });

  it('lets "" disable an endpoint and strips trailing slashes', () => {
    const raw = seedConfig();
    raw.endpoints = { 'close-order': '', 'create-pay': '/pay/create/' };
    const { config } = parseGatewayConfig(raw);
    expect(config.endpoints.closeOrder).toBe('');
    expect(config.endpoints.createPay).toBe('/pay/create');
    expect(errorOf(() => parseGatewayConfig({ ...raw, endpoints: { confirm: 'confirm' } })).issues[0]?.path).toBe('endpoints.confirm');
  });

  it('warns when a sandbox app would sign with HMAC-SHA256 or an app has no pay callback', () => {
    const raw = seedConfig();
    (raw.merchants as Record<string, unknown>[])[1]!['sign-type'] = 'HMAC-SHA256';
    delete (raw.apps as Record<string, unknown>[])[0]!['notify-pay-callback'];
    const { warnings } = parseGatewayConfig(raw);
    expect(warnings).toHaveLength(2);
    expect(warnings.some((w) => w.includes('app "shop-dev" uses the sandbox, which signs with MD5 only'))).toBe(true);
    expect(warnings.some((w) => w.includes('app "shop" has no "notify-pay-callback"'))).toBe(true);
  });
});

describe('loadGatewayConfig', () => {
  it('reads a file and resolves paths against its directory', () => {
    const file = join(dir, 'conf.json');
    writeFileSync(file, JSON.stringify(seedConfig()));
    const { config } = loadGatewayConfig(file);
    expect(config.source).toBe(file);
    expect(config.store).toEqual({ kind: 'file', path: join(dir, 'wxpay-notify.txt') });
  });

  it('fails with one line for a missing file', () => {
    const error = errorOf(() => loadGatewayConfig(join(dir, 'nope.json')));
    expect(formatConfigError(error)).toBe(`wxpay-gateway: invalid configuration ${join(dir, 'nope.json')}: file not found`);
  });

  it('fails with one line for a file that is not JSON', () => {
    const file = join(dir, 'conf.json');
    writeFileSync(file, '{ "listen-port": 7080, }');
    const line = formatConfigError(errorOf(() => loadGatewayConfig(file)));
    expect(line).toMatch(/^wxpay-gateway: invalid configuration .*conf\.json: not valid JSON \(/);
    expect(line).not.toContain('\n');
  });

  it('accepts the shipped sample (certificate files aside)', () => {
    const sample = fileURLToPath(new URL('../../wxpay-gateway.conf.sample.json', import.meta.url));
    const { config, warnings } = parseGatewayConfig(JSON.parse(readFileSync(sample, 'utf8')), { checkFiles: false });
    expect(warnings).toEqual([]);
    expect(config.apps.map((a) => a.name)).toEqual(['app-name', 'app-name-dev', 'app-name-v3']);
    expect(config.merchants.map((m) => [m.name, m.v3 === undefined ? 'v2' : 'v3'])).toEqual([
      ['mch-name', 'v2'],
      ['mch-name-sandbox', 'v2'],
      ['mch-name-v3', 'v3'],
    ]);
    expect(config.leaseMs).toBe(60_000);
    const root = fileURLToPath(new URL('../../../../wxpay-gateway.conf.sample.json', import.meta.url));
    expect(readFileSync(root, 'utf8')).toBe(readFileSync(sample, 'utf8'));
  });
});

describe('isSandboxApp', () => {
  it('is true for names ending in -dev with something before it', () => {
    expect(isSandboxApp('shop-dev')).toBe(true);
    expect(isSandboxApp('shop')).toBe(false);
    expect(isSandboxApp('-dev')).toBe(false);
    expect(isSandboxApp('shop-devx')).toBe(false);
  });
});
