import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createSimulator, type Simulator } from './simulator.js';
import type { SimulatorOptions } from './types.js';

/** Options of {@link startSimulator}. */
export interface StartSimulatorOptions extends SimulatorOptions {
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
}

/** A simulator listening on a port. */
export interface RunningSimulator extends Simulator {
  /** Base URL, e.g. `http://127.0.0.1:43121` (`https://` when started with `tls`). Append the base path's API paths. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The underlying `node:http` or `node:https` server. */
  readonly server: Server;
  /** Stops listening, drops open connections, cancels notification retries. */
  close(): Promise<void>;
}

/**
 * Starts a WeChat Pay simulator (API v2 and v3).
 *
 * @example
 * const sim = await startSimulator({ port: 0 });
 * const [merchant] = sim.merchants; // mchId, apiKey, appIds of the default merchant
 * // point a client at sim.url, place an order, then:
 * await sim.pay('T20240101000001');
 * await sim.close();
 */
export async function startSimulator(options: StartSimulatorOptions): Promise<RunningSimulator> {
  const sim = createSimulator(options);
  const host = options.host ?? '127.0.0.1';
  const server: Server = options.tls
    ? (createHttpsServer(
        {
          ca: toPem(options.tls.ca),
          cert: toPem(options.tls.cert),
          key: toPem(options.tls.key),
          requestCert: true,
          // Paths other than /secapi/ work without a certificate; the listener checks `authorized` per path.
          rejectUnauthorized: false,
        },
        sim.listener,
      ) as unknown as Server)
    : createHttpServer(sim.listener);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `${options.tls ? 'https' : 'http'}://${urlHost}:${port}${(options.basePath ?? '').replace(/\/+$/, '')}`;
  let closing: Promise<void> | undefined;
  const running: RunningSimulator = Object.assign(Object.create(null) as object, sim, {
    url,
    port,
    host,
    server,
    close(): Promise<void> {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await Promise.all([stopped, sim.close()]);
      })();
      return closing;
    },
  });
  // `on`/`off` return the simulator for chaining; keep them returning this handle.
  return Object.assign(running, {
    on: ((event, fn) => (sim.on(event, fn), running)) as Simulator['on'],
    off: ((event, fn) => (sim.off(event, fn), running)) as Simulator['off'],
  });
}

function toPem(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value);
}
