/**
 * The public surface of `@wxpay-kit/core`, entry by entry: every runtime name and every type name
 * each entry exports, read from the sources. A change to these lists is a change to what users
 * can import; update the snapshot deliberately (`npx vitest run test/package-shape/exports.test.ts -u`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const core = join(root, 'packages/core');
const manifest = JSON.parse(readFileSync(join(core, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
const entries = Object.keys(manifest.exports).filter((s) => s !== './package.json');
const sourceOf = (subpath: string): string => join(core, subpath === '.' ? 'src/index.ts' : `src${subpath.slice(1)}/index.ts`);

/** Every name an entry exports, values and types, as the compiler sees it. */
function exportedNames(): Map<string, { values: string[]; types: string[] }> {
  const files = entries.map(sourceOf);
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, { values: string[]; types: string[] }>();
  for (const subpath of entries) {
    const file = program.getSourceFile(sourceOf(subpath));
    const symbol = file && checker.getSymbolAtLocation(file);
    if (!symbol) throw new Error(`no module symbol for ${subpath}`);
    const values: string[] = [];
    const types: string[] = [];
    for (const exported of checker.getExportsOfModule(symbol)) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      (target.flags & ts.SymbolFlags.Value ? values : types).push(exported.name);
    }
    out.set(subpath, { values: values.sort(), types: types.sort() });
  }
  return out;
}

describe('@wxpay-kit/core entries', () => {
  const names = exportedNames();

  it.each(entries)('%s exports exactly the names on record', async (subpath) => {
    const listed = names.get(subpath)!;
    const specifier = subpath === '.' ? '@wxpay-kit/core' : `@wxpay-kit/core${subpath.slice(1)}`;
    const loaded = Object.keys(await import(/* @vite-ignore */ specifier)).sort();
    // What the compiler lists as values is what the module really exports at run time.
    expect(loaded).toEqual(listed.values);
    expect(listed).toMatchSnapshot();
  });

  it('keeps wire-level helpers and test helpers out of the main entry', () => {
    const main = names.get('.')!;
    for (const internal of [
      'WXPAY_SERVE',
      'parseXmlGeneral',
      'stringToSign',
      'MAX_XML_REFERENCES',
      'SIGNATURE_PROBE_PREFIX',
      'encryptRefundInfo',
      'encryptResource',
    ]) {
      expect(main.values, internal).not.toContain(internal);
    }
    expect(names.get('./protocol')!.values).toEqual(expect.arrayContaining(['stringToSign', 'parseXmlGeneral', 'SIGNATURE_PROBE_PREFIX']));
    expect(names.get('./testing')!.values).toEqual(expect.arrayContaining(['encryptRefundInfo', 'encryptResource']));
  });
});
