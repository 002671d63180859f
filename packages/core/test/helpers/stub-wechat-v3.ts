import { verify as cryptoVerify } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signV3Headers } from '../../src/testing/v3-fixtures.js';

/** A request the stub received, with the outcome of its Authorization check (node:crypto, not our code). */
export interface StubV3Request {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly signatureOk: boolean;
}

/** What a route answers; replies are signed with `signer` (default the stub's WeChat Pay key). */
export interface StubV3Reply {
  readonly status: number;
  readonly body?: string;
  readonly signer?: { readonly privateKey: string; readonly serial: string };
}

export interface StubWeChatV3 {
  readonly url: string;
  readonly requests: StubV3Request[];
  /** `METHOD /path` (no query) → reply. */
  on(route: string, reply: (request: StubV3Request) => StubV3Reply): void;
  close(): Promise<void>;
}

/**
 * A loopback WeChat Pay v3 for tests: checks each request's `WECHATPAY2-SHA256-RSA2048` signature
 * against `merchant` (401 SIGN_ERROR when wrong) and signs every reply with the WeChat Pay key at
 * `nowSec`.
 */
export async function startStubWeChatV3(options: {
  readonly mchId: string;
  readonly merchantPublicKey: string;
  readonly wechat: { readonly privateKey: string; readonly serial: string };
  readonly nowSec: number;
}): Promise<StubWeChatV3> {
  const routes = new Map<string, (request: StubV3Request) => StubV3Reply>();
  const requests: StubV3Request[] = [];
  const check = (method: string, url: string, body: string, header: string | undefined): boolean => {
    const m = /^WECHATPAY2-SHA256-RSA2048 (.*)$/.exec(header ?? '');
    if (!m) return false;
    const parts = Object.fromEntries([...(m[1] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (parts['mchid'] !== options.mchId) return false;
    const message = `${method}\n${url}\n${parts['timestamp']}\n${parts['nonce_str']}\n${body}\n`;
    return cryptoVerify('sha256', Buffer.from(message), options.merchantPublicKey, Buffer.from(parts['signature'] ?? '', 'base64'));
  };
  const read = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server = createServer(async (req, res) => {
    const body = await read(req);
    const method = req.method ?? '';
    const url = req.url ?? '';
    const request: StubV3Request = { method, url, body, signatureOk: check(method, url, body, req.headers.authorization) };
    requests.push(request);
    const route = routes.get(`${method} ${url.replace(/\?.*$/, '')}`);
    let reply: StubV3Reply = route
      ? route(request)
      : { status: 404, body: JSON.stringify({ code: 'RESOURCE_NOT_EXISTS', message: 'no route' }) };
    if (!request.signatureOk) reply = { status: 401, body: JSON.stringify({ code: 'SIGN_ERROR', message: '签名错误' }) };
    const text = reply.body ?? '';
    const headers: Record<string, string> = signV3Headers(text, { ...(reply.signer ?? options.wechat), timestamp: options.nowSec });
    if (text !== '') headers['content-type'] = 'application/json';
    res.writeHead(reply.status, headers);
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    on: (route, reply) => void routes.set(route, reply),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
