import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const packagesDir = join(root, 'packages');

/** Every module specifier a TypeScript source imports, re-exports or requires. */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bdeclare\s+module\s+['"]([^'"]+)['"]/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) specifiers.push(m[1] as string);
  return specifiers;
}

const FRAMEWORK = /^(express|koa|fastify|fastify-plugin|@koa\/|@fastify\/)(\/|$)/;
const OWN_PACKAGE = /^@wxpay-kit\//;
const DEEP_PATH = /^@wxpay-kit\/[^/]+\/(src|dist)(\/|$)/;

/** Why `specifier`, imported by `file` (relative to the repo), breaks a package boundary; undefined when it does not. */
export function violation(file: string, specifier: string): string | undefined {
  const [, pkg] = file.split('/');
  const isTest = /\.test(-d)?\.ts$/.test(file);
  if (pkg === 'core') {
    if (FRAMEWORK.test(specifier)) return 'the core never imports a web framework';
    if (!isTest && OWN_PACKAGE.test(specifier)) return 'the core imports no other wxpay-kit package';
  }
  if (DEEP_PATH.test(specifier)) return 'packages import each other only through their public entry points';
  if (!isTest && specifier.startsWith('.')) {
    const target = relative(join(root, 'packages', pkg ?? ''), resolve(root, dirname(file), specifier));
    if (target.startsWith('..')) return 'relative imports stay inside their package';
  }
  return undefined;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(c|m)?tsx?$/.test(entry.name) ? [path] : [];
  });
}

describe('package boundaries', () => {
  it('recognizes each kind of violation', () => {
    const sample = `/** declare module '@wxpay-kit/core' */\n// import 'fastify';\nimport express from 'express';\nimport type { X } from "@wxpay-kit/core/src/errors.js";\nexport * from '../../../core/src/index.js';\nconst k = await import('koa');`;
    expect(importsOf(sample)).toEqual(['express', '@wxpay-kit/core/src/errors.js', '../../../core/src/index.js', 'koa']);
    expect(violation('packages/core/src/handler/x.ts', 'express')).toMatch(/web framework/);
    expect(violation('packages/core/src/handler/x.ts', 'fastify-plugin')).toMatch(/web framework/);
    expect(violation('packages/core/src/handler/x.ts', '@wxpay-kit/simulator')).toMatch(/no other/);
    expect(violation('packages/core/src/handler/x.test.ts', '@wxpay-kit/simulator')).toBeUndefined();
    expect(violation('packages/express/src/x.ts', '@wxpay-kit/core/src/errors.js')).toMatch(/public entry/);
    expect(violation('packages/express/src/x.ts', '@wxpay-kit/core/dist/node.js')).toMatch(/public entry/);
    expect(violation('packages/express/src/x.ts', '../../core/src/index.js')).toMatch(/inside their package/);
    expect(violation('packages/express/src/x.ts', '@wxpay-kit/core/node')).toBeUndefined();
    expect(violation('packages/express/src/x.ts', './y.js')).toBeUndefined();
    expect(violation('packages/express/src/x.test.ts', '../../../test/helpers/loopback.js')).toBeUndefined();
    expect(violation('packages/core/src/node/x.ts', 'node:http')).toBeUndefined();
  });

  it('holds across packages/*/src', () => {
    const found: string[] = [];
    for (const pkg of readdirSync(packagesDir)) {
      const dir = join(packagesDir, pkg, 'src');
      let files: string[];
      try {
        files = sources(dir);
      } catch {
        continue;
      }
      for (const path of files) {
        const file = relative(root, path).split(sep).join('/');
        for (const specifier of importsOf(readFileSync(path, 'utf8'))) {
          const why = violation(file, specifier);
          if (why) found.push(`${file}: '${specifier}': ${why}`);
        }
      }
    }
    expect(found).toEqual([]);
  });
});
