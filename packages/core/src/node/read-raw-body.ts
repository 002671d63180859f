import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError, SignatureError } from '../errors.js';

/** How {@link readRawBody} reads one request. */
export interface ReadRawBodyOptions {
  /** Largest body accepted, in bytes; more answers 413 (`PayloadTooLargeError`). */
  readonly limit: number;
  /** True when the route verifies the exact bytes (notifications): a parsed object is refused. */
  readonly signed: boolean;
  /**
   * What a host body parser left behind, if one ran: express's `req.body`, koa's
   * `ctx.request.rawBody ?? ctx.request.body`. Ignored while the stream is still unread.
   */
  readonly parsedBody?: unknown;
}

const EMPTY = new Uint8Array(0);

/**
 * The exact bytes of a request body, whether or not a host body parser ran first:
 *
 * | what the host left                      | result                                      |
 * | --------------------------------------- | ------------------------------------------- |
 * | the stream is untouched                 | read it, up to `limit`                      |
 * | `Buffer` / `Uint8Array`                 | used as is                                  |
 * | `string`                                | UTF-8 encoded                               |
 * | a parsed object on a signed route       | `SignatureError('unparsed-body')`           |
 * | a parsed object on an unsigned route    | `JSON.stringify`                            |
 *
 * Over `limit` it rejects with `PayloadTooLargeError` as soon as the declared `content-length`
 * or the bytes read so far exceed it, and stops reading: the rest is neither buffered nor
 * drained. Answer such a request with `connection: close` (see {@link handleNodeRequest}).
 *
 * @example
 * const rawBody = await readRawBody(req, { limit: route.bodyLimit, signed: route.signed, parsedBody: req.body });
 */
export function readRawBody(req: IncomingMessage, options: ReadRawBodyOptions): Promise<Uint8Array> {
  const { limit, signed, parsedBody } = options;
  if (isUnread(req)) return readStream(req, limit);
  if (parsedBody instanceof Uint8Array) return checked(parsedBody, limit);
  if (typeof parsedBody === 'string') return checked(Buffer.from(parsedBody, 'utf8'), limit);
  if (parsedBody !== undefined && parsedBody !== null) {
    if (signed) {
      return Promise.reject(
        new SignatureError(
          'unparsed-body',
          'mount wxpay-kit before the body parser: a parser (express.json(), koa-bodyparser, ...) ' +
            'consumed the raw bytes this signed request is verified on',
        ),
      );
    }
    return checked(Buffer.from(JSON.stringify(parsedBody), 'utf8'), limit);
  }
  return Promise.resolve(EMPTY);
}

/** True while nobody has started reading the request stream. */
export function isUnread(req: IncomingMessage): boolean {
  return !req.readableDidRead && !req.readableEnded && !req.destroyed;
}

function checked(body: Uint8Array, limit: number): Promise<Uint8Array> {
  return body.byteLength > limit ? Promise.reject(new PayloadTooLargeError(limit)) : Promise.resolve(body);
}

function readStream(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new PayloadTooLargeError(limit));
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      size += bytes.byteLength;
      if (size > limit) {
        cleanup();
        req.pause();
        chunks.length = 0;
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('the client closed the connection before the request body was complete'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
