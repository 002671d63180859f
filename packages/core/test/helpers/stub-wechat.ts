import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { verifySign } from '../../src/protocol/v2/sign.js';
import { parseXml, type XmlRecord } from '../../src/protocol/v2/xml.js';

/** One request the stub received. */
export interface StubRequest {
  readonly path: string;
  readonly fields: XmlRecord;
  readonly rawBody: string;
  /** Subject CN of the client certificate, for mutual-TLS servers. */
  readonly clientCn: string | undefined;
}

/** What a route answers: XML text, or full control of the response. */
export type StubAnswer = string | ((res: ServerResponse) => void);

export interface StubWeChat {
  readonly url: string;
  readonly requests: StubRequest[];
  /** Number of completed TLS handshakes (https only). */
  readonly handshakes: () => number;
  /** Sets the answer for a path; the handler sees each request. */
  on(path: string, handler: (request: StubRequest) => StubAnswer | Promise<StubAnswer>): void;
  close(): Promise<void>;
}

export interface StubTls {
  readonly key: string;
  readonly cert: string;
  readonly ca: string;
}

/** A stand-in for WeChat Pay on 127.0.0.1, port 0: records requests and answers per path. */
export async function startStubWeChat(tls?: StubTls): Promise<StubWeChat> {
  const routes = new Map<string, (request: StubRequest) => StubAnswer | Promise<StubAnswer>>();
  const requests: StubRequest[] = [];
  let handshakes = 0;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        const socket = req.socket as TLSSocket;
        const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
        const cn = peer && 'subject' in peer && peer.subject ? String(peer.subject.CN) : undefined;
        const request: StubRequest = { path, fields: parseXml(rawBody), rawBody, clientCn: cn };
        requests.push(request);
        const route = routes.get(path);
        if (route === undefined) {
          res.writeHead(404).end();
          return;
        }
        const answer = await route(request);
        if (typeof answer === 'function') answer(res);
        else res.writeHead(200, { 'content-type': 'text/xml' }).end(answer);
      })().catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
  };
  const server: Server = tls
    ? createHttpsServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: true }, handler)
    : createHttpServer(handler);
  server.on('secureConnection', () => {
    handshakes += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    handshakes: () => handshakes,
    on(path, route) {
      routes.set(path, route);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** True when the request's signature verifies with `key`. */
export function signedWith(request: StubRequest, key: string): boolean {
  return verifySign(request.fields, key);
}
