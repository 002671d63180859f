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
  return new Promise<Uint8Array>((resolve, reject) => readRawBodyThen(req, options, resolve, reject));
}

/**
 * @internal {@link readRawBody} with callbacks: `onBody` runs in the stream's own `end` event
 * (or at once when the body is already known), so no turn of the microtask queue comes between the
 * last byte and the handler. Exactly one of the two callbacks is called, once.
 */
export function readRawBodyThen(
  req: IncomingMessage,
  options: ReadRawBodyOptions,
  onBody: (body: Uint8Array) => void,
  onError: (error: unknown) => void,
): void {
  const { limit, signed, parsedBody } = options;
  if (isUnread(req)) return readStream(req, limit, onBody, onError);
  if (parsedBody instanceof Uint8Array) return checked(parsedBody, limit, onBody, onError);
  if (typeof parsedBody === 'string') return checked(Buffer.from(parsedBody, 'utf8'), limit, onBody, onError);
  if (parsedBody !== undefined && parsedBody !== null) {
    if (signed) {
      return onError(
        new SignatureError(
          'unparsed-body',
          'mount wxpay-kit before the body parser: a parser (express.json(), koa-bodyparser, ...) ' +
            'consumed the raw bytes this signed request is verified on',
        ),
      );
    }
    return checked(Buffer.from(JSON.stringify(parsedBody), 'utf8'), limit, onBody, onError);
  }
  return onBody(EMPTY);
}

/** True while nobody has started reading the request stream. */
export function isUnread(req: IncomingMessage): boolean {
  return !req.readableDidRead && !req.readableEnded && !req.destroyed;
}

function checked(body: Uint8Array, limit: number, onBody: (body: Uint8Array) => void, onError: (error: unknown) => void): void {
  if (body.byteLength > limit) onError(new PayloadTooLargeError(limit));
  else onBody(body);
}

function readStream(req: IncomingMessage, limit: number, onBody: (body: Uint8Array) => void, onError: (error: unknown) => void): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return onError(new PayloadTooLargeError(limit));
  // Once settled, the listeners stay attached and do nothing (the `close` that follows every
  // request included): cheaper than removing four listeners from every request. Settling drops
  // the callbacks, so the listeners keep nothing of the host's request alive (a koa context).
  let pending: { chunks: Buffer[]; size: number; onBody: (body: Uint8Array) => void; onError: (error: unknown) => void } | undefined = {
    chunks: [],
    size: 0,
    onBody,
    onError,
  };
  const settle = (): typeof pending => {
    const held = pending;
    pending = undefined;
    return held;
  };
  const onData = (chunk: Buffer | string): void => {
    const state = pending;
    if (state === undefined) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    state.size += bytes.byteLength;
    if (state.size > limit) {
      settle();
      req.off('data', onData);
      req.pause();
      state.onError(new PayloadTooLargeError(limit));
      return;
    }
    state.chunks.push(bytes);
  };
  const onEnd = (): void => {
    const state = settle();
    if (state === undefined) return;
    const { chunks } = state;
    state.onBody(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, state.size));
  };
  const onStreamError = (error: Error): void => {
    settle()?.onError(error);
  };
  const onClose = (): void => {
    settle()?.onError(new Error('the client closed the connection before the request body was complete'));
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onStreamError);
  req.on('close', onClose);
}
