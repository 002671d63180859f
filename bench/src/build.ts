/**
 * Bundles each child-process entry once per run (our packages from their TypeScript sources,
 * every other package left to Node), so children start as plain `node` processes: faster than a
 * TypeScript loader, and the measured code runs as it would from a build.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const BUILD_DIR = join(here, '..', '.build');
export const ENTRIES = ['micro', 'stub', 'client', 'fw-server', 'load', 'memory', 'notify-count'] as const;

/** Bare imports stay external, except `@wxpay-kit/*`, which tsconfig paths map to sources. */
const externals: Plugin = {
  name: 'externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@wxpay-kit/') ? undefined : { path: args.path, external: true }));
  },
};

/** How every bench bundle is made: one ES module for Node 20, our packages inlined. */
const bundled: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [externals],
  logLevel: 'warning',
};

export async function buildEntries(): Promise<void> {
  await build({
    ...bundled,
    entryPoints: ENTRIES.map((e) => join(here, `${e}.ts`)),
    outdir: BUILD_DIR,
    outExtension: { '.js': '.mjs' },
    tsconfig: join(here, '..', 'tsconfig.json'),
  });
}

/**
 * Bundles this checkout's notify-path.ts against the sources of the checkout at `root` (its
 * tsconfig paths; other packages left to Node, so they load from `root`'s node_modules) into
 * `root/bench/.build/notify-path.mjs`, and returns that file.
 */
export async function bundleNotifyPaths(root: string): Promise<string> {
  const outfile = join(root, 'bench', '.build', 'notify-path.mjs');
  await build({
    stdin: { contents: readFileSync(join(here, 'notify-path.ts'), 'utf8'), resolveDir: join(root, 'bench', 'src'), loader: 'ts' },
    ...bundled,
    outfile,
    tsconfig: join(root, 'bench', 'tsconfig.json'),
  });
  return outfile;
}
