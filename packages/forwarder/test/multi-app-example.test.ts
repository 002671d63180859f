import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('examples/multi-app', () => {
  it('delivers each app its own result, signed with its own secret', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/multi-app/index.ts', '--once'], {
      cwd: ROOT,
      timeout: 60_000,
    });
    expect(stdout).toMatch(/\[shop\] paid: order shop-\d+, 9900 fen \(webhook msg_/);
    expect(stdout).toMatch(/\[members\] paid: order members-\d+, 1800 fen \(webhook msg_/);
  }, 60_000);
});
