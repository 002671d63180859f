import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KNOWN_CYCLES, KNOWN_VIOLATIONS } from './dependency-allowlist.js';
import { analyse, compare, coreRules, type Graph } from './dependency-rules.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const edge = (from: string, to: string) => ({ from: `packages/${from}`, to: `packages/${to}` });

describe('import cycles and core layers', () => {
  it('compares a graph with the allowlist: new cycles, new breaks and stale entries', () => {
    const a = 'core/src/a.ts';
    const b = 'core/src/b.ts';
    const c = 'core/src/c.ts';
    const graph: Graph = {
      edges: [edge(a, b), edge(b, a), edge(b, c)],
      cyclic: [edge(a, b), edge(b, a)],
      violations: [{ rule: 'layer-model', ...edge(b, c) }],
      unresolved: [],
    };
    const known = [{ cycle: [a, b], why: '' }];
    const knownBreak = [{ rule: 'layer-model', from: b, to: c, why: '' }];
    expect(compare(graph, known, knownBreak)).toEqual([]);
    // a new cycle, reported once with its path
    expect(compare(graph, [], knownBreak)).toEqual([`new import cycle: ${a} → ${b} → ${a}`]);
    // a new break
    expect(compare(graph, known, [])).toEqual([`new layer-model violation: ${b} → ${c}`]);
    // entries that no longer exist must be removed
    const fixed: Graph = { edges: [edge(a, b)], cyclic: [], violations: [], unresolved: [] };
    expect(compare(fixed, known, knownBreak)).toEqual([
      `allowlisted cycle ${a} → ${b} → ${a} no longer exists (${b} → ${a} gone): remove it from the allowlist`,
      `allowlisted layer-model import ${b} → ${c} no longer exists: remove it from the allowlist`,
    ]);
    // a cycle that grows by a new import is new, even when its other imports are allowlisted
    const grown: Graph = {
      edges: [edge(a, b), edge(b, a), edge(b, c), edge(c, a)],
      cyclic: [edge(a, b), edge(b, a), edge(b, c), edge(c, a)],
      violations: [{ rule: 'layer-model', ...edge(b, c) }],
      unresolved: [],
    };
    expect(compare(grown, known, knownBreak)).toEqual([`new import cycle: ${a} → ${b} → ${c} → ${a}`]);
  });

  it('finds the cycle and each kind of layer break in a fixture tree', async () => {
    const fixture = 'test/boundaries/fixtures/layered/core/src';
    const graph = await analyse(root, ['test/boundaries/fixtures/layered'], coreRules(fixture));
    const at = (path: string) => `${fixture}/${path}`;
    const pairs = (edges: { from: string; to: string }[]) => edges.map((e) => `${e.from} → ${e.to}`).sort();
    expect(pairs(graph.cyclic)).toEqual(
      [`${at('client/api.ts')} → ${at('protocol/v2/wire.ts')}`, `${at('protocol/v2/wire.ts')} → ${at('client/api.ts')}`].sort(),
    );
    expect(graph.violations.map((v) => `${v.rule}: ${v.from} → ${v.to}`).sort()).toEqual([
      `layer-model: ${at('model/order.ts')} → ${at('errors.ts')}`,
      `layer-protocol: ${at('protocol/v2/wire.ts')} → ${at('client/api.ts')}`,
      `siblings-protocol: ${at('protocol/v3/wire.ts')} → ${at('protocol/v2/wire.ts')}`,
    ]);
    expect(graph.unresolved).toEqual([]);
  });

  it('packages/*/src has no import cycle and core no upward import, except the shrinking allowlist', async () => {
    const graph = await analyse(root, ['packages']);
    // the cruise saw the code base (type-only imports included), not an empty tree
    expect(graph.edges.length).toBeGreaterThan(100);
    expect(compare(graph, KNOWN_CYCLES, KNOWN_VIOLATIONS), 'imports against test/boundaries/dependency-allowlist.ts').toEqual([]);
  });
});
