import { TransportError, WxPayError } from '../errors.js';

/**
 * Error codes the client repeats by itself, with identical parameters (spec §4.1). The other
 * retryable codes (`INVALID_REQ_TOO_MUCH`, `FREQUENCY_LIMITED`) need a wait of a minute or more,
 * which is the caller's decision: their `WxPayError.retryable` is still true.
 */
const AUTO_RETRY_CODES: ReadonlySet<string> = new Set(['SYSTEMERROR', 'BIZERR_NEED_RETRY']);

/** Whether a failed attempt may be repeated automatically (the caller also stops when its signal aborted). */
export function isAutoRetryable(error: unknown): boolean {
  if (error instanceof WxPayError) return error.layer === 'result' && AUTO_RETRY_CODES.has(error.errCode);
  return error instanceof TransportError;
}

/**
 * The wait before retry `attempt` (1-based): exponential from `baseMs`, with "equal jitter" (half
 * fixed, half random) so many clients retrying together spread out.
 */
export function backoffDelay(attempt: number, baseMs: number, random: () => number): number {
  const ceiling = baseMs * 2 ** (attempt - 1);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
