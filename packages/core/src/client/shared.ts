/**
 * What the v2 and v3 clients share, below both: the merchant a call names, the retry run, the
 * test hooks, and bill text decoding.
 */
import { gunzipSync } from 'node:zlib';
import type { ResolvedConfig, ResolvedMerchant } from '../config/types.js';
import { TransportError, ValidationError } from '../errors.js';
import type { UnifiedOrderInput } from '../model/contract.js';
import type { RetryPolicy } from './operations.js';
import { sleep as defaultSleep, withRetries } from './retry.js';

/** Test hooks of `createWxPayClient`. */
export interface CreateWxPayClientOptions {
  /** Waits between retries; default a real timer. Inject one to test retries without waiting. */
  readonly sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Jitter source in [0, 1); default `Math.random`. */
  readonly random?: (() => number) | undefined;
}

/** The merchant a call names, or a ValidationError (field `merchant`) when none is configured by that name. */
export function configuredMerchant(config: ResolvedConfig, name: string): ResolvedMerchant {
  const merchant = typeof name === 'string' ? config.merchant(name) : undefined;
  if (merchant === undefined) throw new ValidationError('merchant names no configured merchant', { field: 'merchant' });
  return merchant;
}

/** A bill's bytes as uncompressed: gunzipped when they are gzip (up to 256 MiB), else as they are. */
export function inflateBill(body: Buffer): Buffer {
  if (body.length < 2 || body[0] !== 0x1f || body[1] !== 0x8b) return body;
  try {
    return gunzipSync(body, { maxOutputLength: 256 * 1024 * 1024 });
  } catch (cause) {
    throw new TransportError('the bill could not be decompressed', { cause });
  }
}

/** Bill text: gunzipped when gzip, UTF-8, without a BOM. */
export function decodeBill(body: Buffer): string {
  return inflateBill(body)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
}

/** Runs attempts with the client's retry settings; one per client, shared by its operations. */
export interface Retrier {
  run<T>(api: string, policy: RetryPolicy, merchant: string, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T>;
  /** Stops further repeats (the client closed). */
  stop(): void;
}

/** A {@link Retrier} over the config's retry settings and the version's auto-retry rule. */
export function createRetrier(config: ResolvedConfig, hooks: CreateWxPayClientOptions, isRetryable: (error: unknown) => boolean): Retrier {
  const wait = hooks.sleep ?? defaultSleep;
  const random = hooks.random ?? Math.random;
  let stopped = false;
  const isStopped = (): boolean => stopped;
  return {
    run(api, policy, merchant, signal, attempt) {
      return withRetries(
        {
          api,
          merchant,
          retries: policy === 'safe' ? config.client.retries : 0,
          retryDelayMs: config.client.retryDelayMs,
          isRetryable,
          stopped: isStopped,
          signal,
          logger: config.logger,
          wait,
          random,
        },
        attempt,
      );
    },
    stop() {
      stopped = true;
    },
  };
}

/** SP mode (spec §9): a `sub_openid` is the user under `sub_appid`, so the merchant must name one. */
export function checkSubOpenId(input: UnifiedOrderInput, merchant: ResolvedMerchant): void {
  if (input.subOpenId !== undefined && input.subOpenId !== '' && merchant.subAppId === undefined) {
    throw new ValidationError('subOpenId needs a merchant configured with subAppId', { field: 'subOpenId' });
  }
}
