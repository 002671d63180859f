import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { maskingLogger, maskSecrets, type Logger } from '../logger.js';
import type { MerchantOptions, WxPayOptions } from './options.js';
import { resolveConfig } from './resolve-config.js';

const API_KEY = '192006250b4c09247ec02edce69f6a2d';
const SANDBOX_KEY = 'SandboxKey-0123456789abcdefABCDE';

function options(merchant: Partial<MerchantOptions>): WxPayOptions {
  return {
    merchants: [{ name: 'dev', mchId: '1900000109', apiKey: API_KEY, sandbox: true, ...merchant }],
    apps: [{ name: 'shop-dev', merchant: 'dev', appIds: ['*'] }],
    notifyPayUrl: 'https://pay.example.com/notify-pay',
    notifyRefundUrl: 'https://pay.example.com/notify-refund',
  };
}

function issuesOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

describe('MerchantOptions.sandboxKey', () => {
  it('is kept on the resolved sandbox merchant', () => {
    const config = resolveConfig(options({ sandboxKey: SANDBOX_KEY }));
    expect(config.merchant('dev')?.sandboxKey).toBe(SANDBOX_KEY);
    expect(resolveConfig(options({})).merchant('dev')?.sandboxKey).toBeUndefined();
  });

  it('must be 32 printable characters, and the message never echoes it', () => {
    const short = issuesOf(() => resolveConfig(options({ sandboxKey: 'tooShortSandboxKey' })));
    expect(short).toEqual([{ path: 'merchants[0].sandboxKey', message: 'must be 32 characters' }]);
    const spaces = issuesOf(() => resolveConfig(options({ sandboxKey: 'has spaces in it 0123456789abcde' })));
    expect(spaces).toEqual([{ path: 'merchants[0].sandboxKey', message: 'must be printable ASCII' }]);
    expect(JSON.stringify(spaces)).not.toContain('has spaces');
  });

  it('needs sandbox: true', () => {
    const issues = issuesOf(() => resolveConfig(options({ sandbox: false, sandboxKey: SANDBOX_KEY })));
    expect(issues).toEqual([{ path: 'merchants[0].sandboxKey', message: expect.stringContaining('sandbox: true') }]);
  });

  it('is hidden from JSON.stringify and util.inspect, like apiKey', () => {
    const merchant = resolveConfig(options({ sandboxKey: SANDBOX_KEY })).merchant('dev');
    const json = JSON.stringify(merchant);
    expect(json).not.toContain(SANDBOX_KEY);
    expect(JSON.parse(json)).toMatchObject({ name: 'dev', sandbox: true, sandboxKey: '[redacted]', apiKey: '[redacted]' });
    expect(inspect(merchant)).not.toContain(SANDBOX_KEY);
  });

  it('is masked in log objects', () => {
    expect(maskSecrets({ merchant: { sandboxKey: SANDBOX_KEY, sandbox_key: SANDBOX_KEY, sandboxSignKey: SANDBOX_KEY } })).toEqual({
      merchant: { sandboxKey: '[redacted]', sandbox_key: '[redacted]', sandboxSignKey: '[redacted]' },
    });
    const lines: unknown[] = [];
    const sink: Logger = { debug: () => {}, info: (o) => lines.push(o), warn: () => {}, error: () => {} };
    maskingLogger(sink).info({ options: { sandboxKey: SANDBOX_KEY } }, 'configured');
    expect(JSON.stringify(lines)).not.toContain(SANDBOX_KEY);
  });
});
