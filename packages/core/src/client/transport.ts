/**
 * The HTTP layer under the client: one keep-alive undici Pool per API origin, and one per merchant
 * certificate for mutual-TLS calls, so connections and TLS sessions are reused. Every failure
 * becomes a {@link TransportError} with the undici error as `cause`.
 */
import { rootCertificates } from 'node:tls';
import { Pool, type Dispatcher } from 'undici';
import { TransportError } from '../errors.js';
import type { ResolvedClientOptions, ResolvedMerchant } from '../config/types.js';

/** Largest reply body read, in bytes (bills can be large; XML replies are small). */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

const USER_AGENT = 'wxpay-kit/0.1 (+https://github.com/wxpay-kit)';
const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'user-agent': USER_AGENT });
const XML_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'user-agent': USER_AGENT,
  'content-type': 'text/xml; charset=utf-8',
  accept: 'text/xml, text/plain, */*',
});

export interface PostOptions {
  /** Present for mutual-TLS calls: the merchant whose certificate is presented. */
  readonly mtls?: ResolvedMerchant | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs: number;
  /** Reply size cap in bytes. */
  readonly maxBytes: number;
}

/** Options of {@link Transport.exchange}. */
export interface ExchangeOptions extends PostOptions {
  /** Request headers, lower-case names; `user-agent` is added. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | undefined;
}

/** Any reply: its status, headers (lower-case names) and body bytes. */
export interface ExchangeReply {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** A reply: status 2xx and its body bytes. */
export interface RawReply {
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

/** Where a call goes, taken apart once: the pool it uses and its request path. */
export interface Endpoint {
  /** `https://host[:port]`: the pool key. */
  readonly origin: string;
  /** Path and query string, as sent in the request line. */
  readonly path: string;
  /** Path without the query string, as named in error messages. */
  readonly pathname: string;
}

/** The {@link Endpoint} of a URL. */
export function endpointOf(url: URL): Endpoint {
  return { origin: url.origin, path: `${url.pathname}${url.search}`, pathname: url.pathname };
}

/** Pools keyed by origin (plain calls) and by merchant name (mutual TLS). */
export class Transport {
  readonly #pools = new Map<string, Pool>();
  readonly #options: ResolvedClientOptions;
  #closed = false;

  constructor(options: ResolvedClientOptions) {
    this.#options = options;
  }

  #pool(origin: string, mtls: ResolvedMerchant | undefined): Pool {
    if (this.#closed) throw new TransportError('the WeChat Pay client is closed');
    const key = mtls ? `mtls:${mtls.name}:${origin}` : origin;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      const tls: Record<string, unknown> = {};
      if (this.#options.ca !== undefined) {
        // Extra CAs add to Node's default list instead of replacing it.
        tls['ca'] = [...rootCertificates, ...this.#options.ca];
      }
      if (mtls?.cert?.kind === 'pfx') Object.assign(tls, { pfx: mtls.cert.pfx, passphrase: mtls.cert.passphrase });
      if (mtls?.cert?.kind === 'pem') {
        Object.assign(tls, { cert: mtls.cert.cert, key: mtls.cert.key });
        if (mtls.cert.passphrase !== undefined) tls['passphrase'] = mtls.cert.passphrase;
      }
      pool = new Pool(origin, {
        connections: this.#options.connections,
        connect: { ...tls, timeout: Math.min(this.#options.timeoutMs, 10_000) },
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 120_000,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** POSTs `body` (XML) to `target` and returns the 2xx reply bytes. */
  async post(target: Endpoint, body: string, options: PostOptions): Promise<RawReply> {
    const reply = await this.#send('POST', target, XML_HEADERS, body, options);
    if (reply.statusCode < 200 || reply.statusCode >= 300) {
      throw new TransportError(`WeChat Pay answered HTTP ${reply.statusCode} on ${target.origin}${target.pathname}`, {
        statusCode: reply.statusCode,
      });
    }
    const type = reply.headers['content-type'];
    return { body: reply.body, contentType: Array.isArray(type) ? type[0] : type };
  }

  /**
   * One HTTP exchange of any method on the shared pools, answering whatever status came back
   * (API v3 puts its error details in non-2xx JSON bodies). Network failures, timeouts, aborts
   * and oversized replies become {@link TransportError}.
   */
  exchange(method: 'GET' | 'POST', url: URL, options: ExchangeOptions): Promise<ExchangeReply> {
    const headers = options.headers === undefined ? BASE_HEADERS : { 'user-agent': USER_AGENT, ...options.headers };
    return this.#send(method, endpointOf(url), headers, options.body, options);
  }

  #send(
    method: 'GET' | 'POST',
    target: Endpoint,
    headers: Readonly<Record<string, string>>,
    body: string | undefined,
    options: PostOptions,
  ): Promise<ExchangeReply> {
    // Inside the executor, so that a closed transport rejects instead of throwing.
    return new Promise<ExchangeReply>((resolve, reject) => {
      const pool = this.#pool(target.origin, options.mtls);
      const call = new Call(target, options, resolve, reject);
      if (call.settled) return;
      pool.dispatch({ method, path: target.path, headers, body }, call);
    });
  }

  /** Closes every pool; later calls fail with TransportError. */
  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }
}

type Resolve = (reply: ExchangeReply) => void;
type Reject = (error: TransportError) => void;

/**
 * One request in flight, as an undici dispatch handler. It gathers the reply in memory and
 * enforces the size cap, the deadline (one cancellable timer) and the caller's signal (listened to
 * only when given) without an AbortSignal per call. It settles exactly once: a timeout or an abort
 * rejects at once, also while the request still waits in the pool's queue, and stops the request
 * as soon as undici starts it.
 */
class Call implements Dispatcher.DispatchHandler {
  /** True once the promise is resolved or rejected. */
  settled = false;
  readonly #target: Endpoint;
  readonly #options: PostOptions;
  readonly #resolve: Resolve;
  readonly #reject: Reject;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onAbort: (() => void) | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  /** Why the call was stopped before undici ended it (handed to undici's abort). */
  #reason: Error | undefined;
  #statusCode = 0;
  #headers: Readonly<Record<string, string | string[] | undefined>> = {};
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(target: Endpoint, options: PostOptions, resolve: Resolve, reject: Reject) {
    this.#target = target;
    this.#options = options;
    this.#resolve = resolve;
    this.#reject = reject;
    const signal = options.signal;
    if (signal?.aborted) {
      this.#stop(this.#aborted());
      return;
    }
    this.#timer = setTimeout(onDeadline, options.timeoutMs, this);
    this.#timer.unref();
    if (signal !== undefined) {
      this.#onAbort = () => this.#stop(this.#aborted());
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** The deadline passed. */
  timedOut(): void {
    const reason = new DOMException('The operation timed out', 'TimeoutError');
    this.#stop(new TransportError(`call to ${this.#where()} timed out after ${this.#options.timeoutMs} ms`, { cause: reason }));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.settled) {
      controller.abort(this.#reason ?? new Error('call ended'));
      return;
    }
    this.#controller = controller;
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // 1xx informational replies precede the real one
    this.#statusCode = statusCode;
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.#size += chunk.length;
    if (this.#size > this.#options.maxBytes) {
      this.#stop(new TransportError(`reply from ${this.#where()} exceeds ${this.#options.maxBytes} bytes`));
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.#settle();
    const chunks = this.#chunks;
    const reply: ExchangeReply = {
      statusCode: this.#statusCode,
      headers: this.#headers,
      body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size),
    };
    // undici marks the connection idle one event-loop turn after the reply ends (its own
    // setImmediate, queued after this returns). Resolving after that turn lets a caller's next
    // sequential call reuse this connection (and its TLS session) instead of opening another.
    const resolve = this.#resolve;
    queueMicrotask(() => setImmediate(resolve, reply));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settled) return;
    this.#settle();
    const code = (error as { code?: unknown }).code;
    this.#reject(new TransportError(`call to ${this.#where()} failed${typeof code === 'string' ? ` (${code})` : ''}`, { cause: error }));
  }

  /** `https://host/path` for error messages: the origin and path, never a query string or credentials. */
  #where(): string {
    return `${this.#target.origin}${this.#target.pathname}`;
  }

  #aborted(): TransportError {
    return new TransportError(`call to ${this.#where()} was aborted`, { cause: this.#options.signal?.reason });
  }

  /** Rejects with `error` and stops the request if undici has started it. */
  #stop(error: TransportError): void {
    if (this.settled) return;
    this.#settle();
    this.#reason = error;
    this.#reject(error);
    this.#controller?.abort(error);
  }

  #settle(): void {
    this.settled = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) this.#options.signal?.removeEventListener('abort', this.#onAbort);
  }
}

function onDeadline(call: Call): void {
  call.timedOut();
}
