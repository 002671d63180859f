/** The configuration checks a mistyped file meets: did-you-mean, "is required", every problem at once, JSON positions. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@wxpay-kit/core';
import { didYouMean, formatConfigError, jsonErrorAt, loadGatewayConfig, parseGatewayConfig } from './load-config.js';
import { seedConfigSchema } from './seed-schema.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';

function config(): Record<string, unknown> {
  return {
    'notify-pay-url': 'http://pay.example.com/wxpay/notify-pay',
    'notify-refund-url': 'http://pay.example.com/wxpay/notify-refund',
    merchants: [{ name: 'mch', 'mch-id': '1530730681', 'mch-app-key': KEY }],
    apps: [{ name: 'shop', merchant: 'mch', 'app-ids': ['wxc914c55fba939e3c'] }],
  };
}

function problems(raw: unknown): string {
  try {
    parseGatewayConfig(raw, { checkFiles: false });
  } catch (error) {
    if (error instanceof ConfigError) return formatConfigError(error);
    throw error;
  }
  return 'no error';
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('gateway config checks', () => {
  it('names an unknown top-level key that looks like a known one, with a did-you-mean', () => {
    const raw = { ...config(), notifyPayURL: 'http://pay.example.com/x' };
    expect(problems(raw)).toContain('notifyPayURL: unknown key notifyPayURL; did you mean notify-pay-url?');
  });

  it('does the same inside merchants, apps and endpoints', () => {
    const raw = config();
    (raw['merchants'] as Record<string, unknown>[])[0]!['mch_app_key'] = KEY;
    (raw['apps'] as Record<string, unknown>[])[0]!['notify-pay-calback'] = 'http://127.0.0.1:1/pay';
    raw['endpoints'] = { 'query-ordr': '/q' };
    const line = problems(raw);
    expect(line).toContain('merchants[0].mch_app_key: unknown key mch_app_key; did you mean mch-app-key?');
    expect(line).toContain('apps[0].notify-pay-calback: unknown key notify-pay-calback; did you mean notify-pay-callback?');
    expect(line).toContain('endpoints.query-ordr: unknown key query-ordr; did you mean query-order?');
  });

  it('keeps a key that resembles nothing a warning, as before', () => {
    const { warnings } = parseGatewayConfig({ ...config(), comment: 'prod' }, { checkFiles: false });
    expect(warnings.some((w) => w.includes('unknown key "comment" is ignored'))).toBe(true);
  });

  it('knows every key of the schema, so keys added to it are never flagged', () => {
    for (const key of Object.keys(seedConfigSchema.shape)) expect(didYouMean(key, Object.keys(seedConfigSchema.shape))).toBe(key);
    expect(didYouMean('listenPort', Object.keys(seedConfigSchema.shape))).toBe('listen-port');
    expect(didYouMean('frobnicate', Object.keys(seedConfigSchema.shape))).toBeUndefined();
  });

  it('says "is required" for missing keys and reports every problem in one pass', () => {
    const raw = config();
    delete raw['merchants'];
    (raw['apps'] as Record<string, unknown>[]).push({ name: 'shop', merchant: 'mch' });
    raw['listen-port'] = 'eighty';
    raw['notifyRefundUrl'] = 'http://x.example.com';
    const line = problems(raw);
    expect(line).toContain('merchants: is required');
    expect(line).toContain('listen-port: must be a number');
    expect(line).toContain('notifyRefundUrl: unknown key notifyRefundUrl; did you mean notify-refund-url?');
    expect(line).toContain('apps[1].name: duplicate app name "shop"');
  });

  it('gives line and column of a JSON syntax error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxpay-conf-'));
    dirs.push(dir);
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{\n  "listen-port": 7080,\n  "store" "file:./var"\n}\n');
    let message = '';
    try {
      loadGatewayConfig(file);
    } catch (error) {
      message = formatConfigError(error as ConfigError);
    }
    expect(message).toMatch(/broken\.json: not valid JSON \(line 3, column 11: /);
    expect(jsonErrorAt('{"a":', 'Unexpected end of JSON input')).toBe('line 1, column 6: Unexpected end of JSON input');
  });
});
