import { EventEmitter } from 'eventemitter3';
import type { RouteInfo, WxPay, WxPayRequest, WxPayResponse } from '@wxpay-kit/core';
import { respondToError } from '@wxpay-kit/core/node';

/** What the fake's `handle()` echoes back as JSON. */
export interface EchoBody {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | undefined>;
  /** The raw body, base64. */
  readonly body: string;
  readonly remoteAddress?: string | undefined;
}

/** A `WxPay` stand-in for adapter unit tests: a fixed route table and an echoing `handle()`. */
export interface FakeWxPay extends WxPay {
  /** Every request `handle()` received. */
  readonly requests: WxPayRequest[];
  /** Emits like the core would. */
  emit(event: string, ...args: unknown[]): boolean;
  closed: number;
}

/**
 * Routes: `POST /echo` (unsigned JSON), `POST /notify/:app` (signed XML), both with `bodyLimit`;
 * `handle()` answers 200 with an {@link EchoBody} JSON (XML content type on signed routes).
 */
export function createFakeWxPay(options: { bodyLimit?: number } = {}): FakeWxPay {
  const bodyLimit = options.bodyLimit ?? 1024;
  const emitter = new EventEmitter();
  const requests: WxPayRequest[] = [];
  const fake = {
    [Symbol.for('wxpay-kit.instance')]: true,
    requests,
    closed: 0,
    match(method: string, path: string): RouteInfo | undefined {
      if (method.toUpperCase() !== 'POST') return undefined;
      if (path === '/echo') return { route: '/echo', signed: false, bodyLimit };
      if (/^\/notify\/[^/]+$/.test(path)) return { route: '/notify/:app', signed: true, bodyLimit };
      return undefined;
    },
    async handle(request: WxPayRequest): Promise<WxPayResponse> {
      requests.push(request);
      const signed = request.path.startsWith('/notify/');
      const echo: EchoBody = {
        method: request.method,
        path: request.path,
        headers: { ...request.headers },
        body: Buffer.from(request.rawBody).toString('base64'),
        remoteAddress: request.remoteAddress,
      };
      return {
        status: 200,
        headers: { 'content-type': signed ? 'text/xml; charset=utf-8' : 'application/json; charset=utf-8', 'x-fake': 'yes' },
        body: JSON.stringify(echo),
      };
    },
    on(event: string, listener: (...args: unknown[]) => void) {
      emitter.on(event, listener);
      return fake;
    },
    once(event: string, listener: (...args: unknown[]) => void) {
      emitter.once(event, listener);
      return fake;
    },
    off(event: string, listener: (...args: unknown[]) => void) {
      emitter.off(event, listener);
      return fake;
    },
    emit(event: string, ...args: unknown[]) {
      return emitter.emit(event, ...args);
    },
    refuse(error: unknown, route: RouteInfo): WxPayResponse {
      return respondToError(error, route);
    },
    use() {
      return fake;
    },
    client: {},
    config: { bodyLimit },
    warnIfUnprotected: () => false,
    async ready() {},
    async close() {
      fake.closed += 1;
    },
  };
  return fake as unknown as FakeWxPay;
}

/** Decodes the fake's echo from a response body. */
export function decodeEcho(text: string): EchoBody & { text: string } {
  const echo = JSON.parse(text) as EchoBody;
  return { ...echo, text: Buffer.from(echo.body, 'base64').toString('utf8') };
}
