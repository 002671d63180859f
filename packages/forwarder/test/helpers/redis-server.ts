import { spawn, type ChildProcess } from 'node:child_process';
import { skipWithout } from '../../../../test/helpers/external-tools.js';
import { freePort } from './free-port.js';

/**
 * True when a `redis-server` binary is on the PATH. When it is not, the test file importing this
 * gets one line on stderr saying its Redis suites are skipped and how to install Redis.
 */
export const hasRedisServer = !skipWithout(undefined, ['redis-server'], 'the Redis suites');

/** A throwaway Redis on a free loopback port, with persistence off. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `redis-server` and resolves once it accepts connections. */
export async function startRedisServer(): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const ready = await new Promise<boolean>((resolve) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) resolve(true);
      });
      child.once('exit', () => resolve(false));
    });
    if (ready) {
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    }
    if (attempt >= 3) throw new Error('redis-server did not start');
  }
}
