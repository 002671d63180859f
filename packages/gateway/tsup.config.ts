import { defineConfig } from 'tsup';

const shared = { sourcemap: true, target: 'node20', platform: 'node' } as const;

export default defineConfig([
  // shims: import.meta.url (package.json look-ups of default mode) also works in the CommonJS build.
  { ...shared, entry: { index: 'src/index.ts' }, format: ['esm', 'cjs'], dts: true, shims: true },
  // The command line is an ES module program (top-level await), not a library entry.
  { ...shared, entry: { cli: 'src/cli.ts' }, format: ['esm'], dts: false },
]);
