import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '../errors.js';
import { Transport, endpointOf, type ExchangeReply, type PostOptions } from './transport.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let origin: string;
let route: Route;
/** Connections the server accepted, and requests it received. */
let connections = 0;
const received: string[] = [];
/** Responses left hanging by a test, ended after it. */
const hanging: ServerResponse[] = [];
const transports: Transport[] = [];

beforeAll(async () => {
  server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(req.url ?? '');
      route(req, res);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  for (const res of hanging.splice(0)) res.destroy();
  await Promise.all(transports.splice(0).map((t) => t.close()));
  received.length = 0;
  connections = 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function transport(connections = 4): Transport {
  const t = new Transport({ timeoutMs: 10_000, retries: 0, retryDelayMs: 10, connections, ca: undefined });
  transports.push(t);
  return t;
}

const options = (over: Partial<PostOptions> = {}): PostOptions => ({ timeoutMs: 10_000, maxBytes: 1024 * 1024, ...over });
const target = (path: string) => endpointOf(new URL(`${origin}${path}`));
const hang: Route = (_req, res) => void hanging.push(res);

/** Resolves once the server has received `count` requests in all. */
function requestsReceived(count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (received.length >= count ? resolve() : void setImmediate(check));
    check();
  });
}

describe('Transport', () => {
  it('returns the reply bytes, content type and status, with a body sent in several chunks', async () => {
    const part = 'x'.repeat(64 * 1024);
    route = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.write(part);
      setImmediate(() => res.end(part));
    };
    const reply = await transport().post(target('/pay/unifiedorder'), '<xml/>', options());
    expect(reply.contentType).toBe('text/xml');
    expect(reply.body.toString()).toBe(part + part);

    route = (_req, res) => res.writeHead(404, { 'content-type': 'application/json', 'x-a': '1' }).end('{"code":"NOT_FOUND"}');
    const exchanged: ExchangeReply = await transport().exchange('GET', new URL(`${origin}/v3/x?a=1`), options());
    expect(exchanged.statusCode).toBe(404);
    expect(exchanged.headers['x-a']).toBe('1');
    expect(exchanged.body.toString()).toBe('{"code":"NOT_FOUND"}');
    expect(received.at(-1)).toBe('/v3/x?a=1');
  });

  it('refuses a non-2xx reply to a POST with the status', async () => {
    route = (_req, res) => res.writeHead(503).end('busy');
    const error = await transport()
      .post(target('/pay/orderquery'), '<xml/>', options())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).statusCode).toBe(503);
    expect((error as Error).message).toBe(`WeChat Pay answered HTTP 503 on ${origin}/pay/orderquery`);
  });

  it('stops reading a reply larger than maxBytes', async () => {
    route = (_req, res) => res.writeHead(200).end('y'.repeat(5000));
    const error = await transport()
      .post(target('/pay/downloadbill'), '<xml/>', options({ maxBytes: 4096 }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe(`reply from ${origin}/pay/downloadbill exceeds 4096 bytes`);
  });

  it('reuses one connection for sequential calls, although the pool may open more', async () => {
    route = (_req, res) => res.writeHead(200).end('<xml/>');
    const t = transport(8);
    for (let i = 0; i < 5; i++) await t.post(target('/pay/orderquery'), '<xml/>', options());
    expect(received).toHaveLength(5);
    expect(connections).toBe(1);
  });

  it('times out a call still waiting in the queue behind a busy connection', async () => {
    route = hang;
    const t = transport(1);
    let firstSettled = false;
    const first = t.post(target('/slow'), '<xml/>', options({ timeoutMs: 60_000 })).finally(() => (firstSettled = true));
    first.catch(() => {});
    await requestsReceived(1);
    const error = await t.post(target('/queued'), '<xml/>', options({ timeoutMs: 200 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe(`call to ${origin}/queued timed out after 200 ms`);
    expect(firstSettled).toBe(false);
    expect(received).toEqual(['/slow']);
  });

  it('rejects at once when the caller aborts, also while the call waits in the queue', async () => {
    route = hang;
    const t = transport(1);
    const first = t.post(target('/slow'), '<xml/>', options());
    first.catch(() => {});
    await requestsReceived(1);
    const controller = new AbortController();
    const queued = t.post(target('/queued'), '<xml/>', options({ signal: controller.signal }));
    controller.abort(new Error('caller gave up'));
    const error = await queued.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe(`call to ${origin}/queued was aborted`);
    expect((error as Error).cause).toEqual(new Error('caller gave up'));

    // The one in flight stops too when its own caller aborts.
    const inFlight = new AbortController();
    const third = t.post(target('/slow2'), '<xml/>', options({ signal: inFlight.signal }));
    hanging.splice(0).forEach((res) => res.destroy());
    await first.catch(() => {});
    await requestsReceived(2);
    inFlight.abort();
    await expect(third).rejects.toThrow(`call to ${origin}/slow2 was aborted`);
    expect(received).toEqual(['/slow', '/slow2']);
  });

  it('sends nothing when the signal has already aborted', async () => {
    route = (_req, res) => res.writeHead(200).end('<xml/>');
    const error = await transport()
      .post(target('/pay/orderquery'), '<xml/>', options({ signal: AbortSignal.abort() }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe(`call to ${origin}/pay/orderquery was aborted`);
    expect(received).toHaveLength(0);
  });

  it('wraps a reset connection in TransportError with its code', async () => {
    route = (req) => req.socket.destroy();
    const error = await transport()
      .post(target('/pay/orderquery'), '<xml/>', options())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toContain(`call to ${origin}/pay/orderquery failed`);
    expect((error as Error).cause).toBeDefined();
  });

  it('fails calls after close', async () => {
    const t = transport();
    await t.close();
    await expect(t.post(target('/pay/orderquery'), '<xml/>', options())).rejects.toBeInstanceOf(TransportError);
    const pending = t.exchange('GET', new URL(`${origin}/v3/x`), options());
    await expect(pending).rejects.toBeInstanceOf(TransportError);
  });
});
