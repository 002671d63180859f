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

function sameDeps(a = {}, b = {}) {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
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
  if (lock.lockfileVersion < 2 || !lock.packages) return [`package-lock.json has lockfileVersion ${lock.lockfileVersion}; npm 7 or later writes version 3`];
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
    for (const field of DEP_FIELDS) {
      if (!sameDeps(pkg[field], locked[field])) problems.push(`${label}: ${field} differ from package-lock.json`);
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
        const spec = entry.optionalDependencies?.[name] ?? entry.dependencies?.[name] ?? entry.devDependencies?.[name] ?? entry.peerDependencies?.[name];
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
    console.error(`check-lockfile: package-lock.json is out of sync (${problems.length} problem(s)); npm ci would refuse it. Fix: npm install --package-lock-only, then commit package-lock.json.`);
    process.exit(1);
  }
}
