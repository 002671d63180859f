/**
 * Runs `fixtures/host.ts` as a child process that tests can SIGKILL. The fixture is bundled once
 * with esbuild (the workspace packages from their sources, third-party packages from
 * node_modules), so a restart costs a Node start-up rather than a TypeScript compile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
let built: Promise<string> | undefined;

/** Bundles the host fixture (once per test file) and resolves its path. */
export function buildHost(): Promise<string> {
  built ??= (async () => {
    const dir = join(root, 'test-output', 'reliability');
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, `host-${process.pid}.mjs`);
    await build({
      entryPoints: [join(root, 'test', 'reliability', 'fixtures', 'host.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      tsconfig: join(root, 'tsconfig.json'),
      external: [
        'ioredis',
        'undici',
        'fast-xml-parser',
        'eventemitter3',
        'zod',
        'express',
        'koa',
        'fastify',
        'fastify-plugin',
        'pino',
        '@koa/*',
        'qrcode',
        'playwright-core',
        'prom-client',
        'hono',
        '@hono/*',
      ],
      logLevel: 'warning',
    });
    process.once('exit', () => rmSync(outfile, { force: true }));
    return outfile;
  })();
  return built;
}

/** A running host. */
export interface HostProcess {
  readonly child: ChildProcess;
  /** Where the routes are mounted: `http://127.0.0.1:<port>/wxpay`. */
  readonly url: string;
  /** Milliseconds from process start until it served (as the host measured it). */
  readonly startMs: number;
  /** Resolves with the exit code or signal once the process is gone. */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Starts the host with `env` and resolves once it listens. */
export async function startHost(env: Record<string, string>): Promise<HostProcess> {
  return (await prepareHost(env)).go();
}

/** A host process that has loaded its code and waits for {@link PreparedHost.go} to open its store and listen. */
export interface PreparedHost {
  go(): Promise<HostProcess>;
  /** Ends it without starting it. */
  cancel(): Promise<void>;
}

/** Spawns the host with `env`, loaded but not serving yet. */
export async function prepareHost(env: Record<string, string>): Promise<PreparedHost> {
  const script = await buildHost();
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env: { ...process.env, ...env, WAIT_GO: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? code ?? -1));
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => void (stderr += d.toString()));
  child.stdin?.on('error', () => {});
  const ready = new Promise<{ port: number; startMs: number }>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n')) resolve(JSON.parse(line) as { port: number; startMs: number });
    });
    void exited.then((code) => reject(new Error(`host exited (${code}) before serving: ${stderr.slice(0, 2000)}`)));
  });
  ready.catch(() => {});
  const kill = (signal: NodeJS.Signals = 'SIGKILL'): Promise<number | string> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    async go() {
      child.stdin?.write('go\n');
      const { port, startMs } = await ready;
      return { child, url: `http://127.0.0.1:${port}/wxpay`, startMs, exited, kill };
    },
    async cancel() {
      await kill('SIGKILL');
    },
  };
}
