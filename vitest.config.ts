import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Point every `@wxpay-kit/<pkg>[/<sub>]` at its TypeScript source, read from each package's
 * exports map, so tests never need a build.
 */
function sourceAliases(): { find: string | RegExp; replacement: string }[] {
  const aliases: { find: RegExp; replacement: string }[] = [];
  for (const dir of readdirSync(join(root, 'packages'))) {
    const manifest = join(root, 'packages', dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; exports?: Record<string, unknown> };
    for (const subpath of Object.keys(pkg.exports ?? { '.': null })) {
      if (subpath === './package.json') continue;
      const sub = subpath === '.' ? '' : subpath.slice(1);
      const file = sub === '' ? 'src/index.ts' : `src${sub}/index.ts`;
      const name = `${pkg.name}${sub}`.replace(/[/\\^$*+?.()|[\]{}-]/g, '\\$&');
      aliases.push({ find: new RegExp(`^${name}$`), replacement: join(root, 'packages', dir, file) });
    }
  }
  return aliases;
}

export default defineConfig({
  resolve: { alias: sourceAliases() },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/soak/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
