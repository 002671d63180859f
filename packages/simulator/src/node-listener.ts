import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ClientCert } from './api.js';
import type { SimulatorRequest, SimulatorResponse } from './dispatch.js';

/**
 * A `node:http` request listener for a simulator: reads the body (up to `bodyLimit`, then closes
 * the connection after answering), passes what TLS verified of the client certificate, and writes
 * the answer (or destroys the socket for a `drop` fault).
 */
export function nodeListener(
  handle: (request: SimulatorRequest) => Promise<SimulatorResponse>,
  bodyLimit: number,
  tlsEnabled: boolean,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void serveNode(req, res, handle, bodyLimit, tlsEnabled);
  };
}

async function serveNode(
  req: IncomingMessage,
  res: ServerResponse,
  handle: (request: SimulatorRequest) => Promise<SimulatorResponse>,
  bodyLimit: number,
  tlsEnabled: boolean,
): Promise<void> {
  try {
    const { body, truncated } = await readBody(req, bodyLimit);
    const out = await handle({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      body,
      headers: req.headers,
      clientCert: clientCertOf(req, tlsEnabled),
    });
    if (out.drop) {
      req.socket.destroy();
      return;
    }
    const headers: Record<string, string> = { ...out.headers };
    if (truncated) headers['connection'] = 'close';
    res.writeHead(out.status, headers);
    res.end(out.body);
  } catch {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    res.end();
  }
}

/** Reads at most `limit + 1` bytes: enough to know the body is too large without holding it all. */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: Uint8Array; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.off('end', onEnd);
        req.pause();
        resolve({ body: Buffer.concat(chunks).subarray(0, limit + 1), truncated: true });
      }
    };
    const onEnd = (): void => resolve({ body: Buffer.concat(chunks), truncated: false });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

function clientCertOf(req: IncomingMessage, tlsEnabled: boolean): ClientCert {
  const socket = req.socket as Partial<TLSSocket>;
  if (!tlsEnabled || socket.encrypted !== true) return { state: 'not-tls' };
  // `authorized` alone is not enough: on a kept-alive TLS 1.3 connection Node may flip it to true
  // after the first request although no certificate was sent. The handshake's verdict stays in
  // `authorizationError`, and a missing certificate shows as an empty peer certificate.
  const peer = socket.getPeerCertificate?.() as { subject?: Record<string, string | string[]> } | undefined;
  const error = socket.authorizationError;
  if (error || !socket.authorized || !peer || !peer.subject) {
    return { state: 'rejected', reason: error ? String(error) : 'no client certificate' };
  }
  const cn = peer.subject['CN'];
  return { state: 'verified', commonName: Array.isArray(cn) ? cn[0] : cn };
}
