/**
 * @module @wxpay-kit/core/fetch
 *
 * The Fetch-standard layer: a `(request: Request) => Promise<Response>` handler over a `WxPay`
 * instance, for runtimes and frameworks built on `Request`/`Response` (Hono, Bun, Deno, Next.js
 * route handlers, workers). Uses only web-standard globals.
 */
export {
  createFetchHandler,
  handleFetchRequest,
  toFetchResponse,
  type FetchHandlerOptions,
  type FetchRequestInit,
} from './handle-fetch-request.js';
