import type { IncomingMessage } from 'node:http';
import { isPromiseLike } from '../util/maybe-promise.js';
import type { RouteInfo, WxPayRequest, WxPayResponse } from '../handler/types.js';
import { WXPAY_SERVE, type WxPay } from '../handler/wxpay.js';
import { toHeaderRecord } from './header-record.js';
import { readRawBodyThen } from './read-raw-body.js';

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

type Serve = (request: WxPayRequest) => WxPayResponse | Promise<WxPayResponse>;

function toRequest(req: IncomingMessage, init: NodeRequestInit, rawBody: Uint8Array): WxPayRequest {
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: init.path,
    headers: toHeaderRecord(req.headers),
    rawBody,
    remoteAddress: init.remoteAddress ?? req.socket.remoteAddress,
  };
}

/**
 * Reads the raw body of a matched request and serves it through `wxpay.handle()`. Never
 * rejects: a body that cannot be read (too large, consumed by a body parser) is answered through
 * `wxpay.refuse()`, with `connection: close` when unread bytes remain on the socket.
 */
export function handleNodeRequest(wxpay: WxPay, req: IncomingMessage, init: NodeRequestInit): Promise<WxPayResponse> {
  return new Promise<WxPayResponse>((resolve, reject) => serveNodeRequest(wxpay, req, init, resolve, reject));
}

/**
 * {@link handleNodeRequest} with callbacks, for adapters that answer from a callback (node:http,
 * express, fastify): `send` gets the response as soon as it is known. With the default in-memory
 * store and listeners that return nothing, that is within the request's own `end` event, without a
 * turn of the microtask queue or a promise. `fail` gets what `send` threw, and anything `wxpay`
 * threw against its promise never to.
 *
 * @example
 * serveNodeRequest(wxpay, req, { path, route }, (out) => writeResponse(res, out), () => res.destroy());
 */
export function serveNodeRequest(
  wxpay: WxPay,
  req: IncomingMessage,
  init: NodeRequestInit,
  send: (out: WxPayResponse) => void,
  fail: (error: unknown) => void,
): void {
  const onBody = (rawBody: Uint8Array): void => {
    let out: WxPayResponse | Promise<WxPayResponse>;
    try {
      const request = toRequest(req, init, rawBody);
      const serve = (wxpay as { [WXPAY_SERVE]?: Serve })[WXPAY_SERVE];
      out = typeof serve === 'function' ? serve(request) : wxpay.handle(request);
    } catch (error) {
      fail(error);
      return;
    }
    if (isPromiseLike(out)) {
      Promise.resolve(out).then(deliver, fail);
      return;
    }
    deliver(out);
  };
  const onError = (error: unknown): void => {
    let out: WxPayResponse;
    try {
      out = wxpay.refuse(error, init.route, init.path);
      if (!req.readableEnded) out = { ...out, headers: { ...out.headers, connection: 'close' } };
    } catch (refuseError) {
      fail(refuseError);
      return;
    }
    deliver(out);
  };
  const deliver = (out: WxPayResponse): void => {
    try {
      send(out);
    } catch (error) {
      fail(error);
    }
  };
  readRawBodyThen(req, { limit: init.route.bodyLimit, signed: init.route.signed, parsedBody: init.parsedBody }, onBody, onError);
}
