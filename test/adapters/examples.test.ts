import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** A port that was free a moment ago: the examples take a fixed port, as a real shop does. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs `examples/<name>` in demo mode (`--once`): it creates an order, pays it in the simulator and exits on `paid`. */
async function runDemo(name: string): Promise<{ code: number | null; output: string }> {
  const cwd = join(root, 'examples', name);
  const child = spawn(process.execPath, ['--import', 'tsx', 'index.ts', '--once'], {
    cwd,
    env: { ...process.env, PORT: String(await freePort()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, output };
}

describe('examples', () => {
  it.each(['express', 'koa', 'fastify', 'next-route-handler'])(
    '%s: pays an order end to end and exits',
    async (name) => {
      const { code, output } = await runDemo(name);
      expect(output).toMatch(/create-pay: \{"code":200,"msg":"OK","result":\{.*"code_url"/);
      expect(output).toMatch(/paid: order demo-\d+, 9900 fen, transaction \d+/);
      expect(code, output).toBe(0);
    },
    60_000,
  );
});
