import type { IncomingMessage } from 'node:http';
import type { RouteInfo, WxPayResponse } from '../handler/types.js';
import type { WxPay } from '../handler/wxpay.js';
import { toHeaderRecord } from './header-record.js';
import { readRawBody } from './read-raw-body.js';

/** One node:http request as an adapter sees it, after `wxpay.match()` found its route. */
export interface NodeRequestInit {
  /** Path relative to the mount point, starting with `/`, without query string. */
  readonly path: string;
  /** What `wxpay.match(req.method, path)` returned. */
  readonly route: RouteInfo;
  /** What a host body parser left, if any (see `readRawBody`). */
  readonly parsedBody?: unknown;
  /** Client address as the host sees it (express `req.ip`, koa `ctx.ip`); default the socket's. */
  readonly remoteAddress?: string | undefined;
}

/**
 * Reads the raw body of a matched request and serves it through `wxpay.handle()`. Never
 * rejects: a body that cannot be read (too large, consumed by a body parser) is answered through
 * `wxpay.refuse()`, with `connection: close` when unread bytes remain on the socket.
 */
export async function handleNodeRequest(wxpay: WxPay, req: IncomingMessage, init: NodeRequestInit): Promise<WxPayResponse> {
  const method = (req.method ?? 'GET').toUpperCase();
  let rawBody: Uint8Array;
  try {
    rawBody = await readRawBody(req, { limit: init.route.bodyLimit, signed: init.route.signed, parsedBody: init.parsedBody });
  } catch (error) {
    const out = wxpay.refuse(error, init.route, init.path);
    return req.readableEnded ? out : { ...out, headers: { ...out.headers, connection: 'close' } };
  }
  return wxpay.handle({
    method,
    path: init.path,
    headers: toHeaderRecord(req.headers),
    rawBody,
    remoteAddress: init.remoteAddress ?? req.socket.remoteAddress,
  });
}
