import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got. */
export interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** Decides the answer to one request; return nothing to leave it hanging. */
export type Responder = (req: Received, res: ServerResponse) => void;

/** An app's webhook receiver on 127.0.0.1, recording every request. */
export async function startCallbackServer(responder: Responder = (_r, res) => res.writeHead(204).end()) {
  const received: Received[] = [];
  const open = new Set<ServerResponse>();
  let respond = responder;
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      open.add(res);
      res.on('close', () => open.delete(res));
      respond(r, res);
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    setResponder(next: Responder) {
      respond = next;
    },
    /** Resolves once `count` requests arrived in total. */
    async waitFor(count: number): Promise<void> {
      while (received.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    /** Ends every request left hanging. */
    releaseAll(status = 204) {
      for (const res of open) if (!res.headersSent) res.writeHead(status).end();
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
