/**
 * Checks that run before a route sees a request: who may call internal routes, and what bodies
 * a route accepts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError, UnsupportedMediaTypeError } from '../errors.js';
import type { AuthorizeHook } from '../config/options.js';
import type { Logger } from '../logger.js';
import type { WxPayRequest } from './types.js';

/** The media type of a `content-type` header, lower-case and without parameters; '' when absent. */
export function mediaType(request: WxPayRequest): string {
  const header = request.headers['content-type'];
  if (header === undefined) return '';
  const semi = header.indexOf(';');
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/**
 * JSON routes require `application/json` (or a `+json` type). A missing type is refused too: a
 * browser can send a body without a content type cross-site without a CORS preflight.
 */
export function assertJsonContentType(request: WxPayRequest): void {
  const type = mediaType(request);
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))) return;
  throw new UnsupportedMediaTypeError(
    `@wxpay-kit/core: this route takes a JSON body; send content-type application/json${type ? ` (got ${type})` : ''}`,
  );
}

/**
 * Notification routes accept `text/xml`, `application/xml`, and no content type at all: WeChat is
 * not strict about the header (spec §1.2), so a missing one is read as XML.
 */
export function assertXmlContentType(request: WxPayRequest): void {
  const type = mediaType(request);
  if (type === '' || type === 'text/xml' || type === 'application/xml') return;
  throw new UnsupportedMediaTypeError(`@wxpay-kit/core: notifications are XML; got content-type ${type}`);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Constant-time check of `Authorization: Bearer <token>`. Both sides are hashed first, so neither
 * the content nor the length of the token leaks through timing.
 */
export function bearerMatches(request: WxPayRequest, token: string): boolean {
  const header = request.headers['authorization'];
  if (header === undefined) return false;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  const given = match?.[1] ?? '';
  const ok = timingSafeEqual(digest(given), digest(token));
  return ok && given !== '';
}

export interface GuardOptions {
  readonly bearerToken: string | undefined;
  readonly authorize: AuthorizeHook | undefined;
  readonly logger: Logger;
}

/**
 * Guards an internal route: the bearer token first (when configured), then the host's
 * `authorize(request)` hook (when configured). Throws {@link UnauthorizedError} when either
 * refuses; a hook that throws counts as a refusal and is logged.
 */
export async function assertAuthorized(request: WxPayRequest, options: GuardOptions): Promise<void> {
  if (options.bearerToken !== undefined && !bearerMatches(request, options.bearerToken)) {
    throw new UnauthorizedError('@wxpay-kit/core: missing or wrong bearer token');
  }
  if (options.authorize === undefined) return;
  let allowed: boolean;
  try {
    allowed = (await options.authorize(request)) === true;
  } catch (error) {
    options.logger.error({ err: error }, 'the authorize hook threw; the request is refused');
    allowed = false;
  }
  if (!allowed) throw new UnauthorizedError('@wxpay-kit/core: the request was not authorized');
}

/** An address as `server.address()` returns it, a host string, or `host:port`. */
export type ListenAddress = string | { readonly address: string } | null | undefined;

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost, Unix sockets. */
export function isLoopbackAddress(address: ListenAddress): boolean {
  if (address === null || address === undefined) return true;
  let host = typeof address === 'string' ? address : address.address;
  host = host.trim().toLowerCase();
  if (host.startsWith('/') || host.startsWith('\\\\')) return true; // Unix socket or Windows pipe
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']') === -1 ? undefined : host.indexOf(']'));
  else if (/^[^:]+:\d+$/.test(host)) host = host.slice(0, host.lastIndexOf(':'));
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  if (host.startsWith('::ffff:')) host = host.slice(7);
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
