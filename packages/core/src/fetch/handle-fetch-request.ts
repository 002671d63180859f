import { NotFoundError, PayloadTooLargeError, ValidationError } from '../errors.js';
import { errorResponse } from '../handler/respond.js';
import type { RouteInfo, WxPayRequest, WxPayResponse } from '../handler/types.js';
import type { WxPay } from '../handler/wxpay.js';

/** Options of {@link createFetchHandler}. */
export interface FetchHandlerOptions {
  /**
   * Where the routes are mounted, e.g. `/api/wxpay`: requests under it are served with the prefix
   * removed, anything else is answered 404. Default `''` (the routes at the root).
   */
  readonly prefix?: string | undefined;
  /** The client's address, for logs and the `authorize` hook (Fetch requests carry none). */
  readonly remoteAddress?: ((request: Request) => string | undefined) | undefined;
}

/** One Fetch request as an adapter sees it, after `wxpay.match()` found its route. */
export interface FetchRequestInit {
  /** Path relative to the mount point, starting with `/`, without query string. */
  readonly path: string;
  /** What `wxpay.match(request.method, path)` returned. */
  readonly route: RouteInfo;
  readonly remoteAddress?: string | undefined;
}

/** A core response as a Fetch `Response`. */
export function toFetchResponse(out: WxPayResponse): Response {
  const body = out.status === 204 || out.status === 304 ? null : out.body;
  return new Response(body, { status: out.status, headers: out.headers as Record<string, string> });
}

/**
 * Reads at most `limit` bytes of the body; more is a {@link PayloadTooLargeError} (413) without
 * reading the rest. A declared `content-length` over the limit is refused before reading.
 */
async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
  if (request.body === null) return new Uint8Array(0);
  if (request.bodyUsed) throw new ValidationError('the request body was already read before wxpay-kit saw it');
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new PayloadTooLargeError(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

/**
 * Serves one matched Fetch request through `wxpay.handle()`: reads the exact body bytes (signed
 * notifications are verified over them), then answers with the core's response. Never rejects: a
 * body that cannot be read is answered through `wxpay.refuse()`.
 */
export async function handleFetchRequest(wxpay: WxPay, request: Request, init: FetchRequestInit): Promise<Response> {
  let rawBody: Uint8Array;
  try {
    rawBody = await readBody(request, init.route.bodyLimit);
  } catch (error) {
    return toFetchResponse(wxpay.refuse(error, init.route, init.path));
  }
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const core: WxPayRequest = {
    method: request.method.toUpperCase(),
    path: init.path,
    headers,
    rawBody,
    remoteAddress: init.remoteAddress,
  };
  return toFetchResponse(await wxpay.handle(core));
}

function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/\/+$/, '');
  if (trimmed !== '' && !trimmed.startsWith('/')) throw new TypeError(`prefix must start with '/': ${prefix}`);
  return trimmed;
}

/**
 * A Fetch-standard handler, `(request: Request) => Promise<Response>`, over a `WxPay` instance:
 * for Bun, Deno, Next.js route handlers, Cloudflare-style workers, Hono and anything else that
 * speaks `Request` and `Response`. Paths outside the routes (or the prefix) are answered 404.
 *
 * @example
 * // app/api/wxpay/[...path]/route.ts (Next.js)
 * const handler = createFetchHandler(wxpay, { prefix: '/api/wxpay' });
 * export const POST = handler;
 */
export function createFetchHandler(wxpay: WxPay, options: FetchHandlerOptions = {}): (request: Request) => Promise<Response> {
  const prefix = normalizePrefix(options.prefix);
  return async (request) => {
    const pathname = new URL(request.url).pathname;
    const under = prefix === '' || pathname === prefix || pathname.startsWith(`${prefix}/`);
    const path = under ? pathname.slice(prefix.length) || '/' : undefined;
    if (path === undefined) return toFetchResponse(errorResponse(new NotFoundError('@wxpay-kit/core: no such route')));
    const method = request.method.toUpperCase();
    const route = wxpay.match(method, path);
    if (route === undefined) {
      // Under the prefix but no route for this method and path: the core's own 404 or 405 (with Allow).
      return toFetchResponse(await wxpay.handle({ method, path, headers: {}, rawBody: new Uint8Array(0) }));
    }
    return handleFetchRequest(wxpay, request, { path, route, remoteAddress: options.remoteAddress?.(request) });
  };
}
