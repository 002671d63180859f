import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** A fixture bundled into one file, run with `node <file>`. */
export interface BundledFixture {
  readonly file: string;
  remove(): Promise<void>;
}

/**
 * Bundles a TypeScript fixture with the workspace's packages into one ESM file, inside the
 * repository so its third-party imports resolve from node_modules. A process restarted many
 * times then loads one file instead of transpiling the sources on every start.
 */
export async function bundleFixture(name: string, fixture: string): Promise<BundledFixture> {
  const outDir = join(ROOT, 'node_modules', '.cache', `wxpay-forwarder-${name}-${process.pid}`);
  await build({
    entry: { [name]: fixture },
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    tsconfig: join(ROOT, 'tsconfig.json'),
    noExternal: [/^@wxpay-kit\//],
    skipNodeModulesBundle: true,
    dts: false,
    sourcemap: false,
    silent: true,
    config: false,
  });
  return { file: join(outDir, `${name}.js`), remove: () => rm(outDir, { recursive: true, force: true }) };
}
