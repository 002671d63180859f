/**
 * The HTTP layer under the client: one keep-alive undici Pool per API origin, and one per merchant
 * certificate for mutual-TLS calls, so connections and TLS sessions are reused. Every failure
 * becomes a {@link TransportError} with the undici error as `cause`.
 */
import { rootCertificates } from 'node:tls';
import { Pool } from 'undici';
import { TransportError } from '../errors.js';
import type { ResolvedClientOptions, ResolvedMerchant } from '../config/types.js';

/** Largest reply body read, in bytes (bills can be large; XML replies are small). */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

const USER_AGENT = 'wxpay-kit/0.1 (+https://github.com/wxpay-kit)';

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

  /** POSTs `body` (XML) to `url` and returns the 2xx reply bytes. */
  async post(url: URL, body: string, options: PostOptions): Promise<RawReply> {
    const reply = await this.exchange('POST', url, {
      ...options,
      body,
      headers: { 'content-type': 'text/xml; charset=utf-8', accept: 'text/xml, text/plain, */*' },
    });
    if (reply.statusCode < 200 || reply.statusCode >= 300) {
      throw new TransportError(`WeChat Pay answered HTTP ${reply.statusCode} on ${url.pathname}`, { statusCode: reply.statusCode });
    }
    const type = reply.headers['content-type'];
    return { body: reply.body, contentType: Array.isArray(type) ? type[0] : type };
  }

  /**
   * One HTTP exchange of any method on the shared pools, answering whatever status came back
   * (API v3 puts its error details in non-2xx JSON bodies). Network failures, timeouts, aborts
   * and oversized replies become {@link TransportError}.
   */
  async exchange(method: 'GET' | 'POST', url: URL, options: ExchangeOptions): Promise<ExchangeReply> {
    // A timer cleared when the call ends: `AbortSignal.timeout()` cannot be cancelled, so every
    // finished call would still fire an abort event `timeoutMs` later.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException('The operation timed out', 'TimeoutError')), options.timeoutMs);
    timer.unref();
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    const pool = this.#pool(url.origin, options.mtls);
    try {
      const reply = await pool.request({
        method,
        path: `${url.pathname}${url.search}`,
        headers: { 'user-agent': USER_AGENT, ...options.headers },
        body: options.body,
        signal,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of reply.body) {
        size += (chunk as Buffer).length;
        if (size > options.maxBytes) {
          reply.body.destroy();
          throw new TransportError(`reply from ${url.pathname} exceeds ${options.maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      // undici marks the connection idle just after the body ends; yielding once lets a caller's
      // next sequential call reuse this connection (and its TLS session) instead of opening another.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return { statusCode: reply.statusCode, headers: reply.headers, body: Buffer.concat(chunks) };
    } catch (error) {
      if (error instanceof TransportError) throw error;
      if (options.signal?.aborted) {
        throw new TransportError(`call to ${url.pathname} was aborted`, { cause: error });
      }
      if (timeout.signal.aborted) {
        throw new TransportError(`call to ${url.pathname} timed out after ${options.timeoutMs} ms`, { cause: error });
      }
      const code = (error as { code?: unknown }).code;
      throw new TransportError(`call to ${url.pathname} failed${typeof code === 'string' ? ` (${code})` : ''}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every pool; later calls fail with TransportError. */
  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }
}
