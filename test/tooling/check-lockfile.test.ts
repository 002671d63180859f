import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts/check-lockfile.mjs');

function check(dir: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A small project: a root with one workspace, and the lock `npm install` would write for it. */
function project(mutate: (p: { root: any; ws: any; lock: any }) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-kit-lock-'));
  dirs.push(dir);
  const rootPkg = { name: 'demo', private: true, workspaces: ['packages/*'], devDependencies: { tool: '^1.0.0' } };
  const ws = { name: '@demo/a', version: '1.0.0', dependencies: { bundler: '^2.0.0' } };
  const lock = {
    name: 'demo',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'demo', workspaces: ['packages/*'], devDependencies: { tool: '^1.0.0' } },
      'packages/a': { name: '@demo/a', version: '1.0.0', dependencies: { bundler: '^2.0.0' } },
      'node_modules/@demo/a': { resolved: 'packages/a', link: true },
      'node_modules/tool': { version: '1.2.0', dev: true },
      'node_modules/bundler': {
        version: '2.1.0',
        dependencies: { helper: '^1.0.0' },
        optionalDependencies: { '@bundler/linux-x64': '2.1.0', '@bundler/darwin-arm64': '2.1.0' },
      },
      'node_modules/bundler/node_modules/helper': { version: '1.0.0' },
      'node_modules/@bundler/linux-x64': { version: '2.1.0', optional: true, os: ['linux'], cpu: ['x64'] },
      'node_modules/@bundler/darwin-arm64': { version: '2.1.0', optional: true, os: ['darwin'], cpu: ['arm64'] },
    } as Record<string, any>,
  };
  mutate({ root: rootPkg, ws, lock });
  mkdirSync(join(dir, 'packages/a'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(rootPkg));
  writeFileSync(join(dir, 'packages/a/package.json'), JSON.stringify(ws));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock));
  return dir;
}

describe('lockfile check', () => {
  it("accepts this repository's package-lock.json (npm ci works on a clean clone)", () => {
    const r = check(root);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('accepts a lock in sync', () => {
    expect(check(project(() => {})).status).toBe(0);
  });

  it('fails when an optional platform package of a locked package is missing', () => {
    const r = check(project(({ lock }) => delete lock.packages['node_modules/@bundler/darwin-arm64']));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('missing from package-lock.json: @bundler/darwin-arm64@2.1.0 (needed by node_modules/bundler)');
    expect(r.stderr).toContain('npm install --package-lock-only');
  });

  it('fails when a nested dependency does not resolve', () => {
    const r = check(project(({ lock }) => delete lock.packages['node_modules/bundler/node_modules/helper']));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('helper@^1.0.0 (needed by node_modules/bundler)');
  });

  it('fails when a package.json gained, lost or changed a dependency without npm install', () => {
    const added = check(project(({ ws }) => (ws.dependencies.extra = '^1.0.0')));
    expect(added.status).toBe(1);
    expect(added.stderr).toContain('packages/a/package.json: dependencies.extra is "^1.0.0", but package-lock.json does not list it');
    const changed = check(project(({ root: r }) => (r.devDependencies.tool = '^2.0.0')));
    expect(changed.status).toBe(1);
    expect(changed.stderr).toContain('package.json: devDependencies.tool is "^2.0.0", but package-lock.json has "^1.0.0" (locked 1.2.0)');
    const removed = check(project(({ ws }) => delete ws.dependencies.bundler));
    expect(removed.status).toBe(1);
    expect(removed.stderr).toContain('packages/a/package.json: dependencies.bundler was removed, but package-lock.json still lists it');
  });

  it('accepts a range edited by hand that the locked version satisfies, as npm ci does', () => {
    for (const range of ['1.2.0', '~1.2.0', '^1.1.0', '>=1.0.0', '1.x', '1', '*', '^0.9.0 || ^1.0.0']) {
      expect(check(project(({ root: r }) => (r.devDependencies.tool = range))).status, range).toBe(0);
    }
    for (const range of ['1.2.1', '~1.1.0', '^2.0.0', '>=1.3.0', '2.x', '^0.1.0', 'github:someone/tool']) {
      expect(check(project(({ root: r }) => (r.devDependencies.tool = range))).status, range).toBe(1);
    }
  });

  it('fails when a workspace is not in the lock', () => {
    const r = check(
      project(({ lock }) => {
        delete lock.packages['packages/a'];
        delete lock.packages['node_modules/@demo/a'];
      }),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('packages/a/package.json: workspace is not in package-lock.json');
  });
});
