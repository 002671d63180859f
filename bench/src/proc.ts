/** Spawning pinned child processes that print one JSON line, and reading it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const tsconfig = join(here, '..', 'tsconfig.json');
/** Pinning needs two cores and `taskset`; elsewhere children run unpinned. */
export const canPin = availableParallelism() >= 2 && process.platform === 'linux';

/** Core 0 runs clients and load generators; core 1 runs servers. */
export type Core = 0 | 1 | undefined;

/** Set once the entries are bundled (see build.ts); children then run without a TypeScript loader. */
let builtDir: string | undefined;
export function useBuilt(dir: string): void {
  builtDir = dir;
}

function command(script: string, args: readonly string[], core: Core, nodeFlags: readonly string[]): [string, string[]] {
  const entry = builtDir ? [join(builtDir, script.replace(/\.ts$/, '.mjs'))] : ['--import', 'tsx', join(here, script)];
  const node = [...nodeFlags, ...entry, ...args];
  if (core === undefined || !canPin) return [process.execPath, node];
  return ['taskset', ['-c', String(core), process.execPath, ...node]];
}

export interface Child {
  readonly process: ChildProcess;
  /** The first JSON line the child printed. */
  readonly ready: Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts `script` and resolves `ready` with the first JSON line on its stdout. */
export function start(script: string, args: readonly string[], core: Core, nodeFlags: readonly string[] = []): Child {
  const [cmd, argv] = command(script, args, core, nodeFlags);
  const child = spawn(cmd, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig, NODE_ENV: 'production' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const ready = new Promise<unknown>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`${script} printed ${line.slice(0, 200)}`));
      }
    });
    child.once('exit', (code) =>
      reject(
        new Error(
          `${script} ${args.join(' ')} exited with ${code}: ${stderr
            .split('\n')
            .filter((l) => !l.includes('npm warn'))
            .join('\n')
            .slice(-1500)}`,
        ),
      ),
    );
  });
  ready.catch(() => {});
  return {
    process: child,
    ready,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/** Runs `script` to completion and returns its JSON line. */
export async function run<T>(script: string, args: readonly string[], core: Core, nodeFlags: readonly string[] = []): Promise<T> {
  const child = start(script, args, core, nodeFlags);
  try {
    return (await child.ready) as T;
  } finally {
    await child.stop();
  }
}
