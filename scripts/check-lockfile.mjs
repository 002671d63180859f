#!/usr/bin/env node
// Fails when package-lock.json no longer matches the package.json files, the way `npm ci` would
// refuse it on a clean clone, without network and in well under a second:
//  - every workspace's package.json (root included) declares the same dependencies as its entry
//    in the lock (a dependency added or changed without `npm install` shows here);
//  - every workspace is in the lock and every locked workspace still exists;
//  - every dependency, optional dependency (the per-platform binaries of rollup, esbuild, ...) and
//    required peer dependency of every locked package resolves to a locked package, following
//    Node's node_modules lookup. `npm ci` builds the tree for all platforms, so an optional
//    package missing from the lock makes it refuse even on a platform that does not use it.
// Usage: node scripts/check-lockfile.mjs [project-dir]   (exit 1 and one line per problem on drift)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';

const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

/** Workspace folders (relative, POSIX) matched by the root's `workspaces` patterns (`dir`, `dir/*`). */
function workspaceDirs(root, patterns) {
  const dirs = [];
  for (const pattern of patterns) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      if (!existsSync(join(root, parent))) continue;
      for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
        if (entry.isDirectory() && existsSync(join(root, parent, entry.name, 'package.json'))) dirs.push(`${parent}/${entry.name}`);
      }
    } else if (!/[*?[{]/.test(pattern)) {
      if (existsSync(join(root, pattern, 'package.json'))) dirs.push(pattern.replace(/\/$/, ''));
    } else {
      throw new Error(`check-lockfile: workspace pattern ${pattern} is not supported (use "dir" or "dir/*")`);
    }
  }
  return dirs.sort();
}

const parse = (v) => {
  const m = /^v?(\d+)(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?(-[0-9A-Za-z.-]+)?$/.exec(v.trim());
  if (!m) return undefined;
  const num = (x) => (x === undefined || x === 'x' || x === '*' ? undefined : Number(x));
  return { major: Number(m[1]), minor: num(m[2]), patch: num(m[3]), pre: m[4] };
};
const cmp = (a, b) => a.major - b.major || (a.minor ?? 0) - (b.minor ?? 0) || (a.patch ?? 0) - (b.patch ?? 0);

/**
 * Whether `version` satisfies `range` for the range forms package.json files use (`1.2.3`, `^`,
 * `~`, `>=`, `*`, `1.x`, `||`); undefined for other forms (then the specs must be equal).
 */
function satisfies(version, range) {
  const v = parse(version);
  if (!v) return undefined;
  const one = (r) => {
    r = r.trim();
    if (r === '' || r === '*' || r === 'x' || r === 'latest') return !v.pre;
    let m;
    if ((m = /^>=\s*(.+)$/.exec(r))) {
      const lo = parse(m[1]);
      return lo ? cmp(v, lo) >= 0 : undefined;
    }
    const op = r[0] === '^' || r[0] === '~' ? r[0] : '';
    const lo = parse(op ? r.slice(1) : r);
    if (!lo) return undefined;
    if (v.pre && !(lo.pre && v.major === lo.major && v.minor === lo.minor && v.patch === lo.patch)) return false;
    if (cmp(v, lo) < 0 || (cmp(v, lo) === 0 && lo.pre && (!v.pre || v.pre < lo.pre))) return false;
    if (op === '' && lo.minor !== undefined && lo.patch !== undefined) return cmp(v, lo) === 0 && (v.pre ?? '') === (lo.pre ?? '');
    if (op === '^') {
      if (lo.major > 0 || lo.minor === undefined) return v.major === lo.major;
      if (lo.minor > 0 || lo.patch === undefined) return v.major === 0 && v.minor === lo.minor;
      return v.major === 0 && v.minor === 0 && v.patch === lo.patch;
    }
    // "~1.2.3" and "1.2" / "1.2.x": same minor; "~1" and "1" / "1.x": same major.
    return lo.minor === undefined ? v.major === lo.major : v.major === lo.major && v.minor === lo.minor;
  };
  const results = range.split('||').map(one);
  if (results.includes(true)) return true;
  return results.includes(undefined) ? undefined : false;
}

/** The lock path a dependency `name` of the package at `from` resolves to, or undefined. */
function resolveIn(packages, from, name) {
  let dir = from;
  for (;;) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (dir === '') return undefined;
    // Step out of ".../node_modules/<name>" or ".../node_modules/@scope/<name>", or up one folder.
    const cut = dir.lastIndexOf('/node_modules/');
    if (cut >= 0) dir = dir.slice(0, cut);
    else if (dir.startsWith('node_modules/')) dir = '';
    else dir = posix.dirname(dir) === '.' ? '' : posix.dirname(dir);
  }
}

export function checkLockfile(root) {
  const problems = [];
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const lockPath = join(root, 'package-lock.json');
  if (!existsSync(lockPath)) return ['package-lock.json is missing: run npm install'];
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
  if (lock.lockfileVersion < 2 || !lock.packages)
    return [`package-lock.json has lockfileVersion ${lock.lockfileVersion}; npm 7 or later writes version 3`];
  const packages = lock.packages;

  const workspaces = ['', ...workspaceDirs(root, manifest.workspaces ?? [])];
  for (const dir of workspaces) {
    const pkg = dir === '' ? manifest : JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const locked = packages[dir];
    const label = dir === '' ? 'package.json' : `${dir}/package.json`;
    if (!locked) {
      problems.push(`${label}: workspace is not in package-lock.json`);
      continue;
    }
    // What npm ci checks: each declared dependency resolves in the lock to a version its range
    // accepts. A range edited by hand that the locked version still satisfies is accepted, as npm
    // ci accepts it; anything else (added, removed, unsatisfied, an unknown range form) is drift.
    for (const field of DEP_FIELDS) {
      const declared = pkg[field] ?? {};
      const recorded = locked[field] ?? {};
      for (const name of new Set([...Object.keys(declared), ...Object.keys(recorded)])) {
        const want = declared[name];
        const had = recorded[name];
        if (want === had) continue;
        if (want === undefined) {
          problems.push(`${label}: ${field}.${name} was removed, but package-lock.json still lists it`);
          continue;
        }
        const at = resolveIn(packages, dir, name);
        const entry = at && packages[at];
        const version = entry?.link ? undefined : entry?.version;
        if (had !== undefined && version !== undefined && satisfies(version, want) === true) continue;
        problems.push(
          `${label}: ${field}.${name} is "${want}", but package-lock.json ${had === undefined ? 'does not list it' : `has "${had}"${version ? ` (locked ${version})` : ''}`}`,
        );
      }
    }
    if (dir !== '' && pkg.name && packages[`node_modules/${pkg.name}`]?.resolved !== dir) {
      problems.push(`${label}: package-lock.json does not link node_modules/${pkg.name} to ${dir}`);
    }
  }
  const workspaceSet = new Set(workspaces);
  for (const [path, entry] of Object.entries(packages)) {
    if (entry.link && !workspaceSet.has(entry.resolved) && !existsSync(join(root, entry.resolved))) {
      problems.push(`package-lock.json links ${path} to ${entry.resolved}, which does not exist`);
    }
  }

  for (const [path, entry] of Object.entries(packages)) {
    if (entry.link) continue;
    const peersOptional = entry.peerDependenciesMeta ?? {};
    const wanted = new Set([
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((n) => !peersOptional[n]?.optional),
    ]);
    // Workspaces' dev dependencies are installed too; other packages' are not.
    if (workspaceSet.has(path)) for (const n of Object.keys(entry.devDependencies ?? {})) wanted.add(n);
    for (const name of wanted) {
      if (!resolveIn(packages, path, name)) {
        const spec =
          entry.optionalDependencies?.[name] ??
          entry.dependencies?.[name] ??
          entry.devDependencies?.[name] ??
          entry.peerDependencies?.[name];
        problems.push(`missing from package-lock.json: ${name}@${spec} (needed by ${path || 'the root package'})`);
      }
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('check-lockfile.mjs')) {
  const root = resolve(process.argv[2] ?? '.');
  const problems = checkLockfile(root);
  if (problems.length > 0) {
    for (const p of problems.slice(0, 40)) console.error(`check-lockfile: ${p}`);
    if (problems.length > 40) console.error(`check-lockfile: ... and ${problems.length - 40} more`);
    console.error(
      `check-lockfile: package-lock.json is out of sync (${problems.length} problem(s)); npm ci would refuse it. Fix: npm install --package-lock-only, then commit package-lock.json.`,
    );
    process.exit(1);
  }
}
