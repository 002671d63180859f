/**
 * `npm run bench -- --compare <commit> [--quick] [--only M,H1,F-express,...] [--rounds N] [--write] [--rebuild]`
 *
 * Runs this checkout (working tree included) and an older commit side by side in one run. The
 * older commit is checked out as a git worktree under the OS temp folder, installed with
 * `npm ci` and its own bench entries bundled there, once per commit (kept for the next run;
 * `--rebuild` redoes it). Each scenario then runs on both builds in interleaved rounds (new,
 * old, then old, new, …), so noise on the machine hits both; the table gives each metric's median
 * on both, the median of the per-round ratios new/old (each round's two runs are neighbours in
 * time, so slow drift of the machine cancels in a round) and the lowest and highest of them, which
 * shows how far one round can be off. Stubs and load generators come from this checkout, so only the
 * code under test differs. `--write` puts the table into docs/benchmarks.md (between markers,
 * replacing an earlier comparison); it is always printed and written under the OS temp folder.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { BUILD_DIR, buildEntries, bundleNotifyPaths } from './build.js';
import { writeCertificates } from './certs.js';
import { median, pairedRatios } from './harness.js';
import { PATHS } from './notify-path.js';
import { type Child, type Core, canPin, run, start, useBuilt } from './proc.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');

export const COMPARE_BEGIN = '<!-- bench:compare -->';
export const COMPARE_END = '<!-- /bench:compare -->';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const execFileAsync = promisify(execFile);

/** One build of the bench entries: where its bundled children are, and how to name it. */
interface Build {
  readonly side: 'new' | 'old';
  readonly dir: string;
  readonly label: string;
}

/** One measured number of one run. */
interface Sample {
  readonly metric: string;
  readonly value: number;
  readonly better: 'higher' | 'lower';
}

interface Sizes {
  rounds: number;
  microRounds: number;
  sliceMs: number;
  warmupMs: number;
  durationMs: number;
  fwWarmup: number;
  fwDuration: number;
  fwPool: number;
  /** `I`: the numbers of notifications counted per path and build, ascending; the last is also the pool. */
  counts: number[];
}

/** One metric's samples on both builds, in round order. */
interface Row {
  readonly better: 'higher' | 'lower';
  readonly new: number[];
  readonly old: number[];
}

interface Scenario {
  readonly id: string;
  readonly group: 'M' | 'H' | 'F' | 'Mem';
  /** One run on one build. */
  readonly measure: (build: Build, shared: Shared) => Promise<Sample[]>;
}

interface Shared {
  certDir: string;
  url?: string;
}

function git(args: string[], cwd = repo): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The environment for a command in another checkout: none of the outer npm run's settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  return env;
}

/** Runs one preparation step; on failure prints the lines of its output that say why. */
function step(what: string, cmd: string, args: string[], cwd: string): boolean {
  log(`compare: ${what} (${cmd} ${args.join(' ')} in ${cwd})`);
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status === 0) return true;
  const why = `${r.stdout ?? ''}\n${r.stderr ?? ''}`
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^npm (warn|error)\s*$|EBADENGINE|^npm error {3}/.test(l))
    .slice(0, 6);
  log(`compare: ${what} failed (${r.error?.message ?? `exit ${r.status}`}):\n  ${why.join('\n  ')}`);
  return false;
}

/** Checks out, installs and bundles `sha` once, under the OS temp folder; later runs reuse it. */
function prepareOld(sha: string, rebuild: boolean): string {
  const dir = join(tmpdir(), 'wxpay-kit-bench', 'builds', sha);
  const ready = `${dir}.ready`;
  if (rebuild) rmSync(ready, { force: true });
  if (existsSync(ready) && existsSync(join(dir, 'bench', '.build'))) {
    log(`compare: reusing the build of ${sha.slice(0, 7)} in ${dir}`);
    return dir;
  }
  if (existsSync(dir)) {
    try {
      git(['worktree', 'remove', '--force', dir]);
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  git(['worktree', 'prune']);
  mkdirSync(dirname(dir), { recursive: true });
  git(['worktree', 'add', '--detach', dir, sha]);
  if (!existsSync(join(dir, 'bench', 'src', 'build.ts'))) {
    throw new Error(`commit ${sha.slice(0, 7)} has no bench/src/build.ts: compare with a commit whose bench bundles its entries`);
  }
  if (!step('npm ci', 'npm', ['ci', '--no-audit', '--no-fund'], dir)) {
    // An older lock file may miss entries that this npm wants; install from package.json then.
    if (!step('npm ci failed; npm install instead', 'npm', ['install', '--no-audit', '--no-fund'], dir)) {
      throw new Error(`npm could not install commit ${sha.slice(0, 7)} in ${dir}`);
    }
  }
  const entry = pathToFileURL(join(dir, 'bench', 'src', 'build.ts')).href;
  const script = `const m = await import(${JSON.stringify(entry)}); await m.buildEntries();`;
  if (!step('bundle its bench entries', process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], dir)) {
    throw new Error(`bundling the bench entries of ${sha.slice(0, 7)} failed`);
  }
  writeFileSync(ready, `${sha}\n`);
  return dir;
}

/** Runs `fn` with the children taken from `build`'s bundle. */
function from<T>(build: Build, fn: () => T): T {
  useBuilt(build.dir);
  try {
    return fn();
  } finally {
    useBuilt(BUILD_DIR);
  }
}

function runOn<T>(build: Build, script: string, args: string[], core: Core, flags: string[] = []): Promise<T> {
  return from(build, () => run<T>(script, args, core, flags));
}

async function withChild<T>(child: Child, fn: (ready: unknown) => Promise<T>): Promise<T> {
  try {
    return await fn(await child.ready);
  } finally {
    await child.stop();
  }
}

function scenarios(S: Sizes, microGroups: string[], newBuild: Build): Scenario[] {
  const list: Scenario[] = [];
  if (microGroups.length > 0) {
    list.push({
      id: 'M',
      group: 'M',
      measure: async (build) => {
        const result = await runOn<Record<string, Record<string, number>>>(
          build,
          'micro.ts',
          ['--groups', microGroups.join(','), '--rounds', String(S.microRounds), '--slice', String(S.sliceMs)],
          0,
        );
        return Object.entries(result).flatMap(([group, cases]) =>
          Object.entries(cases)
            .filter(([id]) => id.startsWith('wxpay-kit') || id.startsWith('floor:'))
            .map(([id, value]) => ({ metric: `${group} ${id}, ops/s`, value, better: 'higher' as const })),
        );
      },
    });
  }
  const client = (id: string, tls: 'none' | 'mtls', c: number): Scenario => ({
    id,
    group: 'H',
    measure: async (build, shared) => {
      const r = await runOn<{ rps: number; p99: number; errors: number; error?: string }>(
        build,
        'client.ts',
        [
          '--impl',
          'wxpay-kit',
          '--url',
          shared.url!,
          '--certs',
          shared.certDir,
          '--c',
          String(c),
          '--warmup',
          String(S.warmupMs),
          '--duration',
          String(S.durationMs),
        ],
        0,
      );
      if (r.errors > 0) log(`  ${id} ${build.side}: ${r.errors} errors (${r.error})`);
      return [
        { metric: `unifiedOrder c=${c}${tls === 'mtls' ? ' over TLS' : ''}, req/s`, value: r.rps, better: 'higher' },
        { metric: `unifiedOrder c=${c}${tls === 'mtls' ? ' over TLS' : ''}, p99 ms`, value: r.p99, better: 'lower' },
      ];
    },
  });
  list.push(client('H1', 'none', 1), client('H2', 'none', 50), client('H3', 'mtls', 1));
  for (const framework of ['raw', 'express', 'koa', 'fastify']) {
    list.push({
      id: `F-${framework}`,
      group: 'F',
      measure: async (build) =>
        withChild(
          from(build, () => start('fw-server.ts', ['--variant', `${framework}-wxpay-kit`], 1)),
          async (ready) => {
            const { port } = ready as { port: number };
            const load = await runOn<{ rps: number; p99: number; non2xx: number; errors: number }>(
              newBuild,
              'load.ts',
              [
                ...['--url', `http://127.0.0.1:${port}/wxpay/notify-pay/shop`, '--connections', '50'],
                ...['--warmup', String(S.fwWarmup), '--duration', String(S.fwDuration), '--unique', '--pool', String(S.fwPool)],
              ],
              0,
            );
            if (load.non2xx > 0 || load.errors > 0) log(`  F-${framework} ${build.side}: ${load.non2xx} non-2xx, ${load.errors} errors`);
            const name = framework === 'raw' ? 'node:http' : framework;
            return [
              { metric: `${name} notify route, req/s`, value: load.rps, better: 'higher' },
              { metric: `${name} notify route, p99 ms`, value: load.p99, better: 'lower' },
            ];
          },
        ),
    });
  }
  list.push({
    id: 'Mem',
    group: 'Mem',
    measure: async (build) => {
      const { alloc } = await runOn<{ alloc: Record<string, number | null> }>(build, 'memory.ts', ['--phase', 'alloc'], 1, [
        '--expose-gc',
        '--min-semi-space-size=64',
        '--max-semi-space-size=64',
      ]);
      return Object.entries(alloc).map(([path, value]) => ({
        metric: `${path}, bytes allocated per notification`,
        value: value ?? Number.NaN,
        better: 'lower' as const,
      }));
    },
  });
  return list;
}

/** What a scenario shares between both builds: the HTTP stub for the client scenarios. */
async function session(scenario: Scenario, certDir: string, newBuild: Build, fn: (shared: Shared) => Promise<void>): Promise<void> {
  if (scenario.group !== 'H') return fn({ certDir });
  const mode = scenario.id === 'H3' ? 'mtls' : 'none';
  const stub = from(newBuild, () => start('stub.ts', ['--tls', mode, '--certs', certDir], 1));
  await withChild(stub, async (ready) => {
    const { port } = ready as { port: number };
    await fn({ certDir, url: `${mode === 'none' ? 'http' : 'https'}://127.0.0.1:${port}` });
  });
}

const fmt = (n: number): string =>
  !Number.isFinite(n)
    ? 'n/a'
    : n.toLocaleString('en-US', { maximumFractionDigits: n >= 100 ? 0 : 2, minimumFractionDigits: n >= 100 ? 0 : 2 });

/** The verdict for a ratio new/old: empty within 5 %, else how much better or worse. */
export function judge(ratio: number, better: 'higher' | 'lower'): string {
  if (!Number.isFinite(ratio)) return '';
  const change = better === 'higher' ? ratio - 1 : 1 - ratio;
  const pct = `${Math.abs(change * 100).toFixed(0)} %`;
  if (change <= -0.05) return `**worse by ${pct}**`;
  if (change >= 0.05) return `better by ${pct}`;
  return '';
}

/** valgrind on the PATH, for `I`; without it `I` is left out with one line saying so. */
function hasValgrind(): boolean {
  if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0) return true;
  log('compare: I (instructions per notification) needs valgrind (apt-get install valgrind): left out');
  return false;
}

/** Instructions (cachegrind's `I refs`) one run of notify-count.ts executes. */
async function instructions(paths: string, path: string, n: number, pool: number): Promise<number> {
  const script = join(BUILD_DIR, 'notify-count.mjs');
  const argv = [
    '--tool=cachegrind',
    '--cache-sim=no',
    '--cachegrind-out-file=/dev/null',
    process.execPath,
    '--single-threaded',
    '--expose-gc',
  ];
  const { stderr } = await execFileAsync(
    'valgrind',
    [...argv, script, '--paths', paths, '--path', path, '--n', String(n), '--pool', String(pool), '--gc-every', '500'],
    { env: { ...process.env, NODE_ENV: 'production' }, maxBuffer: 64 * 2 ** 20 },
  );
  const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr)?.[1];
  if (refs === undefined) throw new Error(`valgrind printed no instruction count for ${path}: ${stderr.slice(-500)}`);
  return Number(refs.replaceAll(',', ''));
}

/**
 * `I`: instructions per notification on every way in, for both builds. Each path runs under
 * cachegrind at several numbers of notifications (`S.counts`, the same signed pool, so start-up
 * and signing cancel); each stretch between two neighbouring counts gives the instructions of one
 * notification, and a build's figure is the median over the stretches. A count does not depend on
 * what else the machine runs (V8 single-threaded, so compilation and GC are deterministic too):
 * repeated counts agree within about 0.5 %. What still moves a stretch is a one-off that lands in
 * it: an optimizing compilation, or an old-generation collection (notify-count.ts forces a full
 * one every 500 notifications, so those fall alike in every stretch). The median over the
 * stretches leaves a single one-off out; the table's range column shows the stretches' own ratios.
 */
async function countInstructions(S: Sizes, files: { new: string; old: string }): Promise<Map<string, Row>> {
  const pool = S.counts[S.counts.length - 1]!;
  const tasks = PATHS.flatMap((path) =>
    (['new', 'old'] as const).flatMap((side) => S.counts.map((n) => ({ path, side, n, count: Number.NaN }))),
  );
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let task = tasks[next++]; task !== undefined; task = tasks[next++]) {
      task.count = await instructions(files[task.side], task.path, task.n, pool);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker));
  const metrics = new Map<string, Row>();
  for (const path of PATHS) {
    const row: Row = { better: 'lower', new: [], old: [] };
    for (const side of ['new', 'old'] as const) {
      const counts = tasks.filter((t) => t.path === path && t.side === side);
      for (let i = 1; i < counts.length; i++) {
        row[side].push((counts[i]!.count - counts[i - 1]!.count) / (counts[i]!.n - counts[i - 1]!.n));
      }
      log(`  I ${path} ${side}: ${row[side].map(fmt).join(', ')} instructions per notification`);
    }
    metrics.set(`${path} notify path, instructions per notification`, row);
  }
  return metrics;
}

export async function compareBuilds(argv: readonly string[]): Promise<void> {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i === -1) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  };
  const commit = value('--compare')!;
  const quick = argv.includes('--quick');
  const write = argv.includes('--write');
  if (write && quick) throw new Error('--write is for a full comparison: quick numbers are not meaningful');
  const only = value('--only')?.split(',');
  const S: Sizes = quick
    ? {
        rounds: 2,
        microRounds: 1,
        sliceMs: 20,
        warmupMs: 100,
        durationMs: 400,
        fwWarmup: 0,
        fwDuration: 1,
        fwPool: 5000,
        counts: [20, 40, 60, 80],
      }
    : {
        rounds: 5,
        microRounds: 3,
        sliceMs: 200,
        warmupMs: 1000,
        durationMs: 3000,
        fwWarmup: 1,
        fwDuration: 5,
        fwPool: 150_000,
        counts: [2000, 3000, 4000, 5000],
      };
  if (value('--rounds') !== undefined) S.rounds = Number(value('--rounds'));
  if (!Number.isInteger(S.rounds) || S.rounds < 1) throw new Error('--rounds must be a whole number of at least 1');

  let sha: string;
  try {
    sha = git(['rev-parse', '--verify', `${commit}^{commit}`]);
  } catch {
    throw new Error(`--compare ${commit}: not a commit of this repository`);
  }
  const head = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  const subject = git(['log', '-1', '--format=%s', sha]);
  const oldBuild: Build = { side: 'old', dir: '', label: sha.slice(0, 7) };
  const newBuild: Build = { side: 'new', dir: BUILD_DIR, label: `${head}${dirty ? '+' : ''}` };

  const microAll = ['M1', 'M2', 'M3', 'M4', 'M5', 'M6'];
  const wanted = (id: string, group: string) => only === undefined || only.includes(id) || only.includes(group);
  const microGroups = microAll.filter((g) => wanted(g, 'M'));
  const all = scenarios(S, microGroups, newBuild);
  const chosen = all.filter((s) => (s.group === 'M' ? microGroups.length > 0 : wanted(s.id, s.group)));
  const counts = wanted('I', 'I') && hasValgrind();
  if (chosen.length === 0 && !counts) {
    throw new Error(`--only ${only?.join(',')} names no scenario: use M, M1–M6, H, H1–H3, F, F-raw, F-express, F-koa, F-fastify, Mem, I`);
  }

  const started = Date.now();
  const oldDir = prepareOld(sha, argv.includes('--rebuild'));
  const old: Build = { ...oldBuild, dir: join(oldDir, 'bench', '.build') };
  log('compare: bundling this checkout');
  await buildEntries();
  useBuilt(BUILD_DIR);
  const certDir = await writeCertificates();

  // samples[scenario][metric] = { better, new: [...], old: [...] }
  const rows = new Map<string, Map<string, Row>>();
  if (counts) {
    log(`compare: I, instructions per notification under valgrind (${S.counts.join(', ')} notifications per path and build)`);
    rows.set('I', await countInstructions(S, { new: await bundleNotifyPaths(repo), old: await bundleNotifyPaths(oldDir) }));
  }
  for (const scenario of chosen) {
    await session(scenario, certDir, newBuild, async (shared) => {
      for (let round = 0; round < S.rounds; round++) {
        const order = round % 2 === 0 ? [newBuild, old] : [old, newBuild];
        for (const build of order) {
          log(`compare: ${scenario.id} round ${round + 1}/${S.rounds} ${build.side} (${build.label})`);
          const samples = await scenario.measure(build, shared);
          log(`  ${samples.map((x) => `${x.metric} ${fmt(x.value)}`).join('; ')}`);
          for (const sample of samples) {
            const metrics = rows.get(scenario.id) ?? new Map();
            rows.set(scenario.id, metrics);
            const row = metrics.get(sample.metric) ?? { better: sample.better, new: [], old: [] };
            metrics.set(sample.metric, row);
            row[build.side].push(sample.value);
          }
        }
      }
    });
  }

  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  const lines = [
    COMPARE_BEGIN,
    `## Side by side: ${newBuild.label} against ${old.label}`,
    '',
    quick
      ? '> **Quick run** (`--quick`): it proves the comparison runs; the numbers are not meaningful.'
      : `> \`npm run bench -- --compare ${commit}\`: this checkout (${newBuild.label}${dirty ? ', with uncommitted changes' : ''}) against ${old.label} ("${subject.length > 80 ? `${subject.slice(0, 77)}...` : subject}").`,
    '',
    `Run on ${new Date(started).toISOString().slice(0, 16).replace('T', ' ')} UTC, ${minutes} min, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}${canPin && availableParallelism() >= 2 ? ', clients on core 0, servers on core 1' : ''}. Each scenario ran ${S.rounds} interleaved round(s) on both builds (new then old, then old then new, …); the old and new columns are the medians over the rounds, new/old is the median of the rounds' own ratios (each round's two runs are neighbours in time) and the next column their lowest and highest (for I, instructions counted under valgrind, the rounds are the stretches between the counts; see bench/README.md). Stubs and load generators are this checkout's in both columns. For rates new/old above 1 is faster; for latency and bytes below 1 is better; a change of 5 % or more is marked.`,
    '',
    `| scenario | metric | old ${old.label} | new ${newBuild.label} | new/old | rounds' lowest–highest | |`,
    '|---|---|---:|---:|---:|---:|---|',
  ];
  for (const [scenario, metrics] of rows) {
    for (const [metric, row] of metrics) {
      // a memory sample is n/a when a GC ran inside it; the others still count
      const o = median(row.old.filter(Number.isFinite));
      const n = median(row.new.filter(Number.isFinite));
      const paired = pairedRatios(row.new, row.old);
      const times = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(3)}×` : 'n/a');
      const spread = Number.isFinite(paired.low) ? `${paired.low.toFixed(2)}–${paired.high.toFixed(2)}` : 'n/a';
      lines.push(
        `| ${scenario} | ${metric} | ${fmt(o)} | ${fmt(n)} | ${times(paired.median)} | ${spread} | ${judge(paired.median, row.better)} |`,
      );
    }
  }
  lines.push('', COMPARE_END);
  const table = lines.join('\n');
  const out = join(tmpdir(), 'wxpay-kit-bench', `compare-${old.label}.md`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${table}\n`);
  process.stdout.write(`${table}\n\n(written to ${out}${write ? ' and docs/benchmarks.md' : ''})\n`);
  if (write) {
    const docPath = join(repo, 'docs', 'benchmarks.md');
    const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
    const begin = doc.indexOf(COMPARE_BEGIN);
    const end = doc.indexOf(COMPARE_END);
    const next =
      begin !== -1 && end > begin
        ? `${doc.slice(0, begin)}${table}${doc.slice(end + COMPARE_END.length)}`
        : `${doc.trimEnd()}\n\n${table}\n`;
    writeFileSync(docPath, next);
  }
}
