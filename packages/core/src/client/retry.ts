import { TransportError, WxPayError, isWxPayKitError } from '../errors.js';
import type { Logger } from '../logger.js';
import { wechatCallChannel, type WechatCallDiagnostic } from '../util/diagnostics.js';

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

/** How {@link withRetries} repeats one call. */
export interface RetryRun {
  /** The API name, for logs and the abort message. */
  readonly api: string;
  /** The merchant (or mch_id) named in logs. */
  readonly merchant: string;
  /** Repeats after the first attempt; 0 for calls that must not be repeated. */
  readonly retries: number;
  /** The base of {@link backoffDelay}. */
  readonly retryDelayMs: number;
  /** Whether a failed attempt may be repeated (the API version's auto-retry rule). */
  readonly isRetryable: (error: unknown) => boolean;
  /** True once the client is closed: no further repeats. */
  readonly stopped: () => boolean;
  readonly signal: AbortSignal | undefined;
  readonly logger: Logger;
  readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
}

/**
 * Runs `attempt`, repeating it with {@link backoffDelay} waits while it fails with a retryable error,
 * retries remain, the signal has not aborted and the client is open. An abort during a wait
 * rejects with a {@link TransportError}. Each outcome is logged with the error code only.
 */
function report(api: string, merchant: string, attempt: number, code: string | undefined, started: number): void {
  const message: WechatCallDiagnostic = {
    api,
    merchant,
    attempt,
    outcome: code === undefined ? 'ok' : 'error',
    code,
    durationMs: performance.now() - started,
  };
  wechatCallChannel.publish(message);
}

export async function withRetries<T>(run: RetryRun, attempt: () => Promise<T>): Promise<T> {
  const { api, merchant, logger: log } = run;
  for (let n = 0; ; n++) {
    const started = wechatCallChannel.hasSubscribers ? performance.now() : 0;
    try {
      const result = await attempt();
      log.debug({ api, merchant, attempt: n + 1 }, 'wechat pay call succeeded');
      if (started !== 0) report(api, merchant, n + 1, undefined, started);
      return result;
    } catch (error) {
      const code = isWxPayKitError(error) ? (error instanceof WxPayError ? error.errCode : error.code) : 'unknown';
      if (started !== 0) report(api, merchant, n + 1, code, started);
      if (n >= run.retries || !run.isRetryable(error) || run.signal?.aborted || run.stopped()) {
        log.debug({ api, merchant, attempt: n + 1, error: code }, 'wechat pay call failed');
        throw error;
      }
      const delay = backoffDelay(n + 1, run.retryDelayMs, run.random);
      log.warn({ api, merchant, attempt: n + 1, error: code, retryInMs: delay }, 'wechat pay call failed; retrying');
      try {
        await run.wait(delay, run.signal);
      } catch (cause) {
        throw new TransportError(`call to ${api} was aborted`, { cause });
      }
    }
  }
}
