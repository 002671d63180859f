import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError } from '../errors.js';
import type { WxPay } from '../handler/wxpay.js';
import { attachEmitter, type WxPayEmitterFacade } from './attach-emitter.js';
import { respondToError } from './error-response.js';
import { serveNodeRequest } from './handle-node-request.js';
import { writeResponse } from './write-response.js';

/** Options of {@link createNodeListener}. */
export interface NodeListenerOptions {
  /** Where the routes are mounted, e.g. `/wxpay`; default the root. */
  readonly prefix?: string;
  /** Called for requests that are not ours; default a 404 from the core. */
  readonly onMiss?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** A node:http request listener serving a `WxPay` instance, with its events attached. */
export type WxPayNodeListener = ((req: IncomingMessage, res: ServerResponse) => void) & WxPayEmitterFacade;

/**
 * A plain node:http request listener for `wxpay`: `http.createServer(createNodeListener(wxpay))`.
 *
 * @example
 * const listener = createNodeListener(wxpay, { prefix: '/wxpay' });
 * listener.on('paid', (event) => markPaid(event.orderId));
 * http.createServer(listener).listen(8080);
 */
export function createNodeListener(wxpay: WxPay, options: NodeListenerOptions = {}): WxPayNodeListener {
  const prefix = normalizePrefix(options.prefix);
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const path = stripPrefix(pathOf(req.url), prefix);
    const route = path === undefined ? undefined : wxpay.match(req.method ?? 'GET', path);
    if (path === undefined || route === undefined) {
      if (options.onMiss) options.onMiss(req, res);
      else writeResponse(res, respondToError(new NotFoundError('no such route')));
      return;
    }
    serveNodeRequest(
      wxpay,
      req,
      { path, route },
      (out) => writeResponse(res, out),
      () => res.destroy(),
    );
  };
  return attachEmitter(listener, wxpay);
}

/** The path of a request target, without query string or fragment. */
export function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  const hash = raw.indexOf('#');
  const end = hash !== -1 && (query === -1 || hash < query) ? hash : query;
  return end === -1 ? raw : raw.slice(0, end);
}

/** `'/wxpay/'` → `'/wxpay'`, `undefined` or `'/'` → `''`. */
export function normalizePrefix(prefix: string | undefined): string {
  if (!prefix || prefix === '/') return '';
  const withSlash = prefix.startsWith('/') ? prefix : `/${prefix}`;
  return withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash;
}

/** The path relative to `prefix`, or undefined when it lies outside it. */
export function stripPrefix(path: string, prefix: string): string | undefined {
  if (prefix === '') return path;
  if (path === prefix) return '/';
  return path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f ? path.slice(prefix.length) : undefined;
}
