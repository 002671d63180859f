import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const tsc = join(here, '../../node_modules/typescript/bin/tsc');

describe('public types', () => {
  it('type-check the assertions in test/types/*.test-d.ts', async () => {
    const result = await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', join(here, 'tsconfig.json')]).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, output: error.stdout ?? String(error) }),
    );
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);

  it('accept undefined for optional options under exactOptionalPropertyTypes (test/types/exact-optional)', async () => {
    const result = await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', join(here, 'exact-optional/tsconfig.json')]).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, output: error.stdout ?? String(error) }),
    );
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);

  it('keep the adapters typed when the framework has no types installed (test/types/untyped-frameworks)', async () => {
    const result = await promisify(execFile)(process.execPath, [
      tsc,
      '--noEmit',
      '-p',
      join(here, 'untyped-frameworks/tsconfig.json'),
    ]).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, output: error.stdout ?? String(error) }),
    );
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);
});
