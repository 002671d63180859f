/**
 * Child process: the loopback WeChat Pay stub. Answers every POST with a fixed signed reply (the
 * refund reply on `/secapi/pay/refund`, the unifiedorder reply elsewhere) after reading the body.
 * Plain HTTP, TLS, or TLS that asks for a client certificate (accepted when the CA signed it).
 * Its control port answers `GET /__stats` with `{ connections, handshakes, clientCertHandshakes }`,
 * and `POST /__reset` zeroes them. Prints `{"port":N,"controlPort":M}` once listening.
 */
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { REFUND_REPLY_XML, UNIFIED_ORDER_REPLY_XML } from './fixtures.js';

const args = process.argv.slice(2);
const mode = args[args.indexOf('--tls') + 1] ?? 'none';
const certDir = args[args.indexOf('--certs') + 1] ?? '';

const stats = { connections: 0, handshakes: 0, clientCertHandshakes: 0 };
const unified = Buffer.from(UNIFIED_ORDER_REPLY_XML);
const refund = Buffer.from(REFUND_REPLY_XML);
const headers = (body: Buffer) => ({ 'content-type': 'text/xml; charset=utf-8', 'content-length': String(body.length) });

/** Control requests arrive on a separate plain-HTTP port, so they add no connection or handshake. */
function control(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/__reset') {
    stats.connections = stats.handshakes = stats.clientCertHandshakes = 0;
    res.writeHead(204).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  req.on('data', () => {});
  req.on('end', () => {
    const body = req.url?.endsWith('/refund') ? refund : unified;
    res.writeHead(200, headers(body)).end(body);
  });
}

const server =
  mode === 'none'
    ? createHttp({ keepAliveTimeout: 60_000 }, handle)
    : createHttps(
        {
          key: readFileSync(`${certDir}/server-key.pem`),
          cert: readFileSync(`${certDir}/server-cert.pem`),
          ca: readFileSync(`${certDir}/ca.pem`),
          requestCert: mode === 'mtls',
          rejectUnauthorized: false,
          keepAliveTimeout: 60_000,
        },
        handle,
      );
server.on('connection', () => stats.connections++);
server.on('secureConnection', (socket: TLSSocket) => {
  stats.handshakes++;
  if (socket.authorized && socket.getPeerCertificate()?.subject) stats.clientCertHandshakes++;
});
const controlServer = createHttp(control);
const portOf = (s: { address(): unknown }): number => (s.address() as { port: number }).port;
server.listen(0, '127.0.0.1', () => {
  controlServer.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: portOf(server), controlPort: portOf(controlServer) })}\n`);
  });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
