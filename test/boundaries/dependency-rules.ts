import { join } from 'node:path';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

/**
 * The layers of `@wxpay-kit/core`'s `src`, lowest first (see ARCHITECTURE.md, "Where the core is
 * going"). A module in a layer may import modules of its own layer and of the layers named in
 * `may`, nothing else of the core's `src`. `folders` are matched at the start of the path below
 * `src/`. A module that is in no layer (today: the entry files and `testing/`) is not checked
 * as an importer, but nothing in a layer may import it.
 */
export const LAYERS: readonly { name: string; folders: string; may: readonly string[] }[] = [
  // protocol-neutral types: orders, payments, refunds, notifications, request/response contract
  { name: 'model', folders: 'model/', may: [] },
  // low-level utilities every layer may use: error classes, the logger interface
  { name: 'shared', folders: '(errors\\.ts|logger\\.ts|errors/|util/|utils/|shared/)', may: ['model'] },
  // wire formats: XML/JSON, signing, encryption, wire <-> model mappers, notification codecs
  { name: 'protocol', folders: 'protocol/', may: ['shared', 'model'] },
  // the dedup/outbox store interface and the in-memory store
  { name: 'stores', folders: 'stores/', may: ['shared', 'model'] },
  // merchant configuration: schemas, key loading, resolved config
  { name: 'config', folders: 'config/', may: ['protocol', 'stores', 'shared', 'model'] },
  // the typed event map and emitter
  { name: 'events', folders: 'events/', may: ['protocol', 'shared', 'model'] },
  // the outbound WeChat Pay client (one interface; v2/ and v3/ siblings; one executor)
  { name: 'client', folders: 'client/', may: ['config', 'protocol', 'shared', 'model'] },
  // payment flows (once-per-key, paid/refunded, sweeper, reconciliation) and the plugin API
  { name: 'flow', folders: '(flow/|plugins/)', may: ['client', 'events', 'stores', 'config', 'protocol', 'shared', 'model'] },
  // the HTTP layer (`handler/`): router, guard, respond, the notification codecs, the routes
  {
    name: 'http',
    folders: '(http/|handler/)',
    may: ['flow', 'client', 'events', 'stores', 'config', 'protocol', 'shared', 'model'],
  },
  // Node and Fetch-standard glue for adapters
  {
    name: 'glue',
    folders: '(node/|fetch/)',
    may: ['http', 'flow', 'client', 'events', 'stores', 'config', 'protocol', 'shared', 'model'],
  },
];

/** Folders whose versioned subfolders (`v2/`, `v3/`) are siblings: neither imports the other. */
export const VERSIONED = ['protocol', 'client'] as const;

const escapeRegExp = (s: string) => s.replace(/[/\\^$*+?.()|[\]{}-]/g, '\\$&');

/** The rules, for a core whose `src` is at `coreSrc` (a path relative to the cruise's base directory). */
export function coreRules(coreSrc = 'packages/core/src'): IForbiddenRuleType[] {
  const src = `^${escapeRegExp(coreSrc)}/`;
  const pathOf = (layer: string) => {
    const found = LAYERS.find((l) => l.name === layer);
    if (!found) throw new Error(`unknown layer ${layer}`);
    return `${src}${found.folders}`;
  };
  const rules: IForbiddenRuleType[] = LAYERS.map((layer) => ({
    name: `layer-${layer.name}`,
    comment: `${layer.name} imports only ${[layer.name, ...layer.may].join(', ')}`,
    severity: 'error',
    from: { path: pathOf(layer.name) },
    to: { path: src, pathNot: [pathOf(layer.name), ...layer.may.map(pathOf)] },
  }));
  for (const folder of VERSIONED) {
    rules.push({
      name: `siblings-${folder}`,
      comment: `${folder}/v2 and ${folder}/v3 are siblings: shared code goes in a module below both`,
      severity: 'error',
      from: { path: `${src}${folder}/(v[0-9]+)/` },
      to: { path: `${src}${folder}/v[0-9]+/`, pathNot: `${src}${folder}/$1/` },
    });
  }
  rules.push({
    name: 'no-testing-in-src',
    comment: 'test fixtures and encrypt helpers are for tests only',
    severity: 'error',
    from: { path: src, pathNot: `${src}testing/` },
    to: { path: `${src}testing/` },
  });
  return rules;
}

/** One import, `from` → `to`, paths relative to the repository root. */
export interface Edge {
  from: string;
  to: string;
}

export interface Graph {
  /** Every import between two source files that lies on an import cycle. */
  cyclic: Edge[];
  /** Every import that breaks a rule of {@link coreRules}, with the rule's name. */
  violations: (Edge & { rule: string })[];
  /** Every import between two source files (type-only imports included). */
  edges: Edge[];
  /** Imports of our own modules that did not resolve to a source file (so cannot be checked). */
  unresolved: string[];
}

/**
 * Cruise `dirs` (relative to `root`), following type-only imports too, and return the imports
 * between source files (tests excluded) that lie on a cycle or break a rule.
 */
export async function analyse(root: string, dirs: string[], rules = coreRules()): Promise<Graph> {
  const tsConfig = extractTSConfig(join(root, 'tsconfig.json'));
  const reported = await cruise(
    dirs,
    {
      baseDir: root,
      validate: true,
      ruleSet: { forbidden: rules },
      doNotFollow: { path: '(^|/)node_modules/' },
      exclude: { path: '(\\.test(-d)?\\.ts$|/node_modules/|/dist/)' },
      tsPreCompilationDeps: true,
      tsConfig: { fileName: join(root, 'tsconfig.json') },
      enhancedResolveOptions: { extensions: ['.ts', '.js'], conditionNames: ['import', 'types', 'default'] },
    },
    { extensions: ['.ts', '.js'] },
    { tsConfig },
  );
  const result = reported.output as ICruiseResult;
  const edges: Edge[] = [];
  const cyclic: Edge[] = [];
  const unresolved: string[] = [];
  for (const module of result.modules) {
    if (!/(^|\/)src\//.test(module.source)) continue;
    for (const dep of module.dependencies) {
      const ours = dep.module.startsWith('.') || dep.module.startsWith('@wxpay-kit/');
      if (ours && (dep.couldNotResolve || !/(^|\/)src\//.test(dep.resolved))) {
        unresolved.push(`${module.source} imports '${dep.module}' (resolved: ${dep.couldNotResolve ? 'nothing' : dep.resolved})`);
      }
      if (dep.couldNotResolve || dep.coreModule || !/(^|\/)src\//.test(dep.resolved)) continue;
      const edge = { from: module.source, to: dep.resolved };
      edges.push(edge);
      if (dep.circular) cyclic.push(edge);
    }
  }
  const violations = result.summary.violations
    .filter((v) => v.rule.name !== 'not-in-allowed' && !v.cycle)
    .map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
  return { cyclic, violations, edges, unresolved };
}

/** A shortest import path from `start` to `goal` over `edges` (both ends included), or undefined. */
export function shortestPath(edges: readonly Edge[], start: string, goal: string): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const cameFrom = new Map<string, string>([[start, start]]);
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift() as string;
    if (at === goal) {
      const path = [goal];
      while (path[0] !== start) path.unshift(cameFrom.get(path[0] as string) as string);
      return path;
    }
    for (const to of next.get(at) ?? []) {
      if (!cameFrom.has(to)) {
        cameFrom.set(to, at);
        queue.push(to);
      }
    }
  }
  return undefined;
}

/** An allowlisted cycle: `cycle[0]` imports `cycle[1]` … the last imports `cycle[0]`. */
export interface KnownCycle {
  cycle: readonly string[];
  why: string;
}

/** An allowlisted upward (or sideways) import. */
export interface KnownViolation {
  rule: string;
  from: string;
  to: string;
  why: string;
}

const short = (path: string) => path.replace(/^packages\//, '');
const arrow = (e: Edge) => `${short(e.from)} → ${short(e.to)}`;

/**
 * What is wrong with `graph` given the allowlists: each line names one new cycle, one new rule
 * break, or one allowlisted entry that no longer exists. Empty when the graph matches.
 * Allowlist paths are relative to `packages/`.
 */
export function compare(graph: Graph, knownCycles: readonly KnownCycle[], knownViolations: readonly KnownViolation[]): string[] {
  const problems = graph.unresolved.map((u) => `cannot follow an import to a source file: ${u}; map the entry in tsconfig.json "paths"`);
  const key = (from: string, to: string) => `${from}\n${to}`;
  const existing = new Set(graph.edges.map((e) => key(short(e.from), short(e.to))));
  const allowedCyclic = new Set<string>();
  for (const known of knownCycles) {
    const pairs = known.cycle.map((from, i) => [from, known.cycle[(i + 1) % known.cycle.length] as string] as const);
    const missing = pairs.filter(([from, to]) => !existing.has(key(from, to)));
    if (missing.length > 0) {
      problems.push(
        `allowlisted cycle ${known.cycle.join(' → ')} → ${known.cycle[0]} no longer exists ` +
          `(${missing.map(([f, t]) => `${f} → ${t}`).join(', ')} gone): remove it from the allowlist`,
      );
    }
    for (const [from, to] of pairs) allowedCyclic.add(key(from, to));
  }
  const newCycles = new Set<string>();
  for (const edge of graph.cyclic) {
    if (allowedCyclic.has(key(short(edge.from), short(edge.to)))) continue;
    const back = shortestPath(graph.edges, edge.to, edge.from) ?? [edge.to, '…', edge.from];
    const cycle = [edge.from, ...back.slice(0, -1)].map(short);
    // start at the smallest name so each cycle is told once, whichever of its new imports found it
    const first = cycle.indexOf([...cycle].sort()[0] as string);
    const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
    newCycles.add(`new import cycle: ${[...rotated, rotated[0]].join(' → ')}`);
  }
  problems.push(...newCycles);
  const found = new Set(graph.violations.map((v) => `${v.rule}\n${short(v.from)}\n${short(v.to)}`));
  const allowed = new Set(knownViolations.map((v) => `${v.rule}\n${v.from}\n${v.to}`));
  for (const v of graph.violations) {
    if (!allowed.has(`${v.rule}\n${short(v.from)}\n${short(v.to)}`)) problems.push(`new ${v.rule} violation: ${arrow(v)}`);
  }
  for (const v of knownViolations) {
    if (!found.has(`${v.rule}\n${v.from}\n${v.to}`)) {
      problems.push(`allowlisted ${v.rule} import ${v.from} → ${v.to} no longer exists: remove it from the allowlist`);
    }
  }
  return problems;
}
