/**
 * Packs the published packages with `npm pack` and lays them out as a consumer's `node_modules`
 * in a temporary directory outside the repository: each `@wxpay-kit/*` package is the content of
 * its tarball (so a file left out of `files` is missing there too), and every third-party
 * dependency is a link to the workspace's installed copy (so no registry is needed).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The fields of a package.json the checks read. */
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly type?: string;
  readonly main?: string;
  readonly module?: string;
  readonly types?: string;
  readonly bin?: string | Record<string, string>;
  readonly exports?: Record<string, unknown>;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

/** One packed package, unpacked where a consumer's `node_modules` has it. */
export interface PackedPackage {
  readonly manifest: Manifest;
  /** `node_modules/@wxpay-kit/<name>` in the consumer directory. */
  readonly dir: string;
  /** The paths the tarball holds, relative to the package root. */
  readonly files: readonly string[];
}

/** A consumer directory with every published package installed from its tarball. */
export interface Consumer {
  readonly dir: string;
  readonly packages: readonly PackedPackage[];
  remove(): void;
}

/** The workspace packages under packages/ that are published (not private). */
export function publishedManifests(): Manifest[] {
  const out: Manifest[] = [];
  for (const entry of readdirSync(join(ROOT, 'packages'))) {
    const file = join(ROOT, 'packages', entry, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    if (!manifest.private) out.push(manifest);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Packs every published package and unpacks it into a new consumer directory. */
export function createConsumer(): Consumer {
  const manifests = publishedManifests();
  const missing = manifests.filter((m) => !existsSync(join(ROOT, 'packages', m.name.split('/')[1] ?? '', 'dist')));
  if (missing.length > 0) {
    throw new Error(
      `the package shape is checked on the build; run "npm run build" first (no dist/ in ${missing.map((m) => m.name).join(', ')})`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-kit-consumer-'));
  try {
    const tarballs = join(dir, 'tarballs');
    mkdirSync(tarballs);
    const packed = JSON.parse(
      execFileSync(
        'npm',
        ['pack', '--ignore-scripts', '--json', '--pack-destination', tarballs, ...manifests.flatMap((m) => ['-w', m.name])],
        {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    ) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>;

    const modules = join(dir, 'node_modules');
    linkThirdPartyModules(modules);
    const packages = manifests.map((manifest): PackedPackage => {
      const entry = packed.find((p) => p.name === manifest.name);
      if (!entry) throw new Error(`npm pack did not pack ${manifest.name}`);
      const target = join(modules, manifest.name);
      mkdirSync(target, { recursive: true });
      execFileSync('tar', ['-xzf', join(tarballs, entry.filename), '-C', target, '--strip-components=1']);
      return { manifest, dir: target, files: entry.files.map((f) => f.path) };
    });
    return { dir, packages, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Links every installed module of the workspace but its own packages into `modules`. */
function linkThirdPartyModules(modules: string): void {
  const installed = join(ROOT, 'node_modules');
  mkdirSync(modules, { recursive: true });
  for (const name of readdirSync(installed)) {
    if (name === '@wxpay-kit' || name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      mkdirSync(join(modules, name));
      for (const scoped of readdirSync(join(installed, name))) symlinkSync(join(installed, name, scoped), join(modules, name, scoped));
    } else {
      symlinkSync(join(installed, name), join(modules, name));
    }
  }
}

/** A resolved condition of an exports-map entry: the file for `import` or `require`, and its types. */
export interface ConditionTarget {
  readonly types: string | undefined;
  readonly default: string | undefined;
}

/**
 * The entry points of a package's exports map (without `./package.json`), each with what the
 * `import` and the `require` conditions resolve to.
 */
export function exportEntries(
  manifest: Manifest,
): Array<{ subpath: string; specifier: string; import: ConditionTarget; require: ConditionTarget }> {
  const out = [];
  for (const [subpath, value] of Object.entries(manifest.exports ?? {})) {
    if (subpath === './package.json') continue;
    out.push({
      subpath,
      specifier: subpath === '.' ? manifest.name : `${manifest.name}${subpath.slice(1)}`,
      import: conditionOf(value, 'import'),
      require: conditionOf(value, 'require'),
    });
  }
  return out;
}

function conditionOf(value: unknown, condition: 'import' | 'require'): ConditionTarget {
  if (typeof value === 'string') return { types: undefined, default: value };
  if (typeof value !== 'object' || value === null) return { types: undefined, default: undefined };
  const record = value as Record<string, unknown>;
  const branch = record[condition] ?? record['default'];
  if (typeof branch === 'string') return { types: typeof record['types'] === 'string' ? record['types'] : undefined, default: branch };
  if (typeof branch !== 'object' || branch === null) return { types: undefined, default: undefined };
  const inner = branch as Record<string, unknown>;
  return {
    types: typeof inner['types'] === 'string' ? inner['types'] : typeof record['types'] === 'string' ? record['types'] : undefined,
    default: typeof inner['default'] === 'string' ? inner['default'] : undefined,
  };
}
