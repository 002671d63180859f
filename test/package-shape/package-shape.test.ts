/**
 * The published shape of every package: packed with `npm pack` and installed from the tarballs
 * into a directory outside the repository, each entry of its exports map loads with `import()`
 * from an ES module and with `require()` from a CommonJS one (the same names both ways), the
 * `types` condition of each points at a declaration file that TypeScript picks for that kind of
 * consumer, the commands start, the built code imports only what the manifest declares, and
 * publint finds nothing to warn about.
 * Runs on the build (`npm test` builds first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer, exportEntries, publishedManifests, ROOT, type Consumer } from './pack.js';

let consumer: Consumer;

beforeAll(() => {
  consumer = createConsumer();
}, 120_000);

afterAll(() => {
  consumer?.remove();
});

const strip = (path: string) => path.replace(/^\.\//, '');

/** Every entry specifier of every package, with its package. */
function allEntries() {
  return consumer.packages.flatMap((pkg) => exportEntries(pkg.manifest).map((entry) => ({ pkg, ...entry })));
}

describe('published packages', () => {
  it('are every package under packages/, each with an exports map', () => {
    const names = publishedManifests().map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining([
        '@wxpay-kit/core',
        '@wxpay-kit/express',
        '@wxpay-kit/koa',
        '@wxpay-kit/fastify',
        '@wxpay-kit/forwarder',
        '@wxpay-kit/simulator',
        '@wxpay-kit/gateway',
      ]),
    );
    for (const pkg of consumer.packages) {
      expect(exportEntries(pkg.manifest).length, `${pkg.manifest.name} has no exports map`).toBeGreaterThan(0);
      expect(pkg.manifest.exports?.['./package.json'], `${pkg.manifest.name} exports ./package.json`).toBe('./package.json');
    }
  });

  it('ship every file their exports map, main, module, types and bin name', () => {
    const problems: string[] = [];
    for (const pkg of consumer.packages) {
      const m = pkg.manifest;
      const named = new Set<string>();
      for (const entry of exportEntries(m)) {
        for (const [condition, target] of [
          ['import', entry.import],
          ['require', entry.require],
        ] as const) {
          if (target.default === undefined) problems.push(`${entry.specifier}: no "${condition}" file`);
          else named.add(target.default);
          if (target.types === undefined) problems.push(`${entry.specifier}: no "types" for "${condition}"`);
          else named.add(target.types);
        }
      }
      for (const field of [m.main, m.module, m.types]) if (field !== undefined) named.add(field);
      for (const bin of typeof m.bin === 'string' ? [m.bin] : Object.values(m.bin ?? {})) named.add(bin);
      for (const file of named) if (!pkg.files.includes(strip(file))) problems.push(`${m.name}: ${file} is not in the tarball`);
    }
    expect(problems).toEqual([]);
  });

  it('ship a README and the MIT LICENSE, and name their repository, homepage and issue tracker', () => {
    const problems: string[] = [];
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    for (const pkg of consumer.packages) {
      const m = pkg.manifest as typeof pkg.manifest & {
        license?: string;
        repository?: { type?: string; url?: string; directory?: string };
        homepage?: string;
        bugs?: { url?: string };
      };
      const dir = `packages/${m.name.split('/')[1] ?? ''}`;
      if (!pkg.files.includes('README.md')) problems.push(`${m.name}: README.md is not in the tarball`);
      if (!pkg.files.includes('LICENSE')) problems.push(`${m.name}: LICENSE is not in the tarball`);
      else if (readFileSync(join(pkg.dir, 'LICENSE'), 'utf8') !== license)
        problems.push(`${m.name}: LICENSE differs from the repository's`);
      if (m.license !== 'MIT') problems.push(`${m.name}: license is ${String(m.license)}, not MIT`);
      if (m.repository?.url !== 'git+https://github.com/wxpay-kit/wxpay-kit.git')
        problems.push(`${m.name}: repository.url is ${String(m.repository?.url)}`);
      if (m.repository?.directory !== dir)
        problems.push(`${m.name}: repository.directory is ${String(m.repository?.directory)}, not ${dir}`);
      if (m.homepage !== `https://github.com/wxpay-kit/wxpay-kit/tree/main/${dir}#readme`)
        problems.push(`${m.name}: homepage is ${String(m.homepage)}`);
      if (m.bugs?.url !== 'https://github.com/wxpay-kit/wxpay-kit/issues') problems.push(`${m.name}: bugs.url is ${String(m.bugs?.url)}`);
    }
    expect(license).toMatch(/^MIT License/);
    expect(problems).toEqual([]);
  });

  it('give ES module types to import and CommonJS types to require', () => {
    const problems: string[] = [];
    for (const { specifier, import: esm, require: cjs, pkg } of allEntries()) {
      const esmTypes = pkg.manifest.type === 'module' ? /\.d\.(ts|mts)$/ : /\.d\.mts$/;
      const cjsTypes = pkg.manifest.type === 'module' ? /\.d\.cts$/ : /\.d\.(ts|cts)$/;
      if (!esmTypes.test(esm.types ?? '')) problems.push(`${specifier}: import types ${esm.types} are not ES module declarations`);
      if (!cjsTypes.test(cjs.types ?? '')) problems.push(`${specifier}: require types ${cjs.types} are not CommonJS declarations`);
    }
    expect(problems).toEqual([]);
  });

  it('load with import() from an .mjs consumer and require() from a .cjs one, with the same names', () => {
    const specifiers = allEntries().map((e) => e.specifier);
    writeFileSync(
      join(consumer.dir, 'check.mjs'),
      `const out = {};
for (const s of JSON.parse(process.argv[2])) {
  try { out[s] = { names: Object.keys(await import(s)).filter((k) => k !== 'default').sort() }; }
  catch (e) { out[s] = { error: String(e && e.message || e).split('\\n')[0] }; }
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
`,
    );
    writeFileSync(
      join(consumer.dir, 'check.cjs'),
      `const out = {};
for (const s of JSON.parse(process.argv[2])) {
  try { out[s] = { names: Object.keys(require(s)).filter((k) => k !== 'default' && k !== '__esModule').sort() }; }
  catch (e) { out[s] = { error: String(e && e.message || e).split('\\n')[0] }; }
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
`,
    );
    const run = (script: string) =>
      JSON.parse(execFileSync(process.execPath, [script, JSON.stringify(specifiers)], { cwd: consumer.dir, encoding: 'utf8' })) as Record<
        string,
        { names?: string[]; error?: string }
      >;
    const esm = run('check.mjs');
    const cjs = run('check.cjs');
    for (const s of specifiers) {
      expect(esm[s]?.error, `import('${s}')`).toBeUndefined();
      expect(cjs[s]?.error, `require('${s}')`).toBeUndefined();
      expect(esm[s]?.names?.length, `import('${s}') has no exports`).toBeGreaterThan(0);
      expect(cjs[s]?.names, `require('${s}') and import('${s}') export different names`).toEqual(esm[s]?.names);
    }
  });

  it('resolve to their declaration files in TypeScript, for an ES module and for a CommonJS consumer', () => {
    const entries = allEntries();
    writeFileSync(
      join(consumer.dir, 'consumer.mts'),
      `${entries.map((e, i) => `import * as e${i} from '${e.specifier}';`).join('\n')}\nexport const loaded: unknown[] = [${entries.map((_, i) => `e${i}`).join(', ')}];\n`,
    );
    writeFileSync(
      join(consumer.dir, 'consumer.cts'),
      `${entries.map((e, i) => `import e${i} = require('${e.specifier}');`).join('\n')}\nexport const loaded: unknown[] = [${entries.map((_, i) => `e${i}`).join(', ')}];\n`,
    );
    writeFileSync(
      join(consumer.dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['consumer.mts', 'consumer.cts'],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--listFiles'],
      {
        cwd: consumer.dir,
        encoding: 'utf8',
      },
    );
    // An entry whose types do not resolve is an implicit `any` module: an error under strict.
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    const listed = new Set(tsc.stdout.split('\n').map((l) => l.trim()));
    for (const { pkg, specifier, import: esm, require: cjs } of entries) {
      expect(listed.has(join(pkg.dir, strip(esm.types ?? ''))), `${specifier}: TypeScript did not use ${esm.types} for import`).toBe(true);
      expect(listed.has(join(pkg.dir, strip(cjs.types ?? ''))), `${specifier}: TypeScript did not use ${cjs.types} for require`).toBe(true);
    }
  });

  it('have commands that start from the installed package', () => {
    for (const pkg of consumer.packages) {
      for (const [name, bin] of Object.entries(
        typeof pkg.manifest.bin === 'string' ? { [pkg.manifest.name]: pkg.manifest.bin } : (pkg.manifest.bin ?? {}),
      )) {
        const file = join(pkg.dir, strip(bin));
        expect(readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n'), `${name}: ${bin} has no node shebang`).toBe(true);
        const run = spawnSync(process.execPath, [file, '--help'], { cwd: consumer.dir, encoding: 'utf8', timeout: 20_000 });
        expect(run.status, `${name} --help: ${run.stderr}`).toBe(0);
        expect(run.stdout + run.stderr).toMatch(/usage/i);
      }
    }
  });

  it('pass publint with no warning', async () => {
    const problems: string[] = [];
    for (const pkg of consumer.packages) {
      // The unpacked tarball is exactly what is published, so nothing is packed again.
      const { messages } = await publint({ pkgDir: pkg.dir, pack: false, level: 'warning' });
      const manifest = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      for (const message of messages)
        problems.push(`${pkg.manifest.name}: ${message.type}: ${formatMessage(message, manifest, { color: false }) ?? message.code}`);
    }
    expect(problems).toEqual([]);
  });

  it('import only packages their manifest declares', () => {
    const builtins = new Set(builtinModules);
    const problems: string[] = [];
    const patterns = [
      /\bfrom\s*["']([^"'.][^"']*)["']/g,
      /\bimport\s*["']([^"'.][^"']*)["']/g,
      /\bimport\(\s*["']([^"'.][^"']*)["']\s*\)/g,
      /\brequire\(\s*["']([^"'.][^"']*)["']\s*\)/g,
    ];
    for (const pkg of consumer.packages) {
      const m = pkg.manifest;
      const declared = new Set([m.name, ...Object.keys({ ...m.dependencies, ...m.peerDependencies, ...m.optionalDependencies })]);
      for (const file of pkg.files.filter((f) => /\.(c|m)?js$/.test(f))) {
        const code = readFileSync(join(pkg.dir, file), 'utf8');
        for (const pattern of patterns) {
          for (const [, specifier = ''] of code.matchAll(pattern)) {
            if (specifier.startsWith('node:') || builtins.has(specifier)) continue;
            const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
            if (!declared.has(name)) problems.push(`${m.name}: ${file} imports "${specifier}", which package.json does not declare`);
          }
        }
      }
    }
    expect([...new Set(problems)]).toEqual([]);
  });
});
