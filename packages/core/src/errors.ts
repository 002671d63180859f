/**
 * Every failure in wxpay-kit is one of these classes. Each carries a constant `code` and whether
 * repeating the same call may succeed. The HTTP status the handler answers with is not on the
 * class: one table maps codes to statuses (`STATUS_BY_CODE` and `statusFor()` in
 * `handler/respond.ts`).
 * Messages never contain API keys, private keys, passphrases or whole payloads.
 */

const BRAND = Symbol.for('wxpay-kit.error');

export type WxPayErrorCode =
  | 'WXPAY_ERR_CONFIG'
  | 'WXPAY_ERR_VALIDATION'
  | 'WXPAY_ERR_PAYLOAD_TOO_LARGE'
  | 'WXPAY_ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'WXPAY_ERR_UNAUTHORIZED'
  | 'WXPAY_ERR_NOT_FOUND'
  | 'WXPAY_ERR_METHOD_NOT_ALLOWED'
  | 'WXPAY_ERR_XML'
  | 'WXPAY_ERR_SIGNATURE'
  | 'WXPAY_ERR_DECRYPT'
  | 'WXPAY_ERR_APP_MISMATCH'
  | 'WXPAY_ERR_AMOUNT_MISMATCH'
  | 'WXPAY_ERR_WXPAY'
  | 'WXPAY_ERR_TRANSPORT'
  | 'WXPAY_ERR_LISTENER'
  | 'WXPAY_ERR_STORE'
  | 'WXPAY_ERR_INTERNAL';

export interface WxPayKitErrorOptions {
  readonly cause?: unknown;
}

/** Base class of every error thrown by wxpay-kit. Use {@link isWxPayKitError} to test for it. */
export abstract class WxPayKitError extends Error {
  abstract readonly code: WxPayErrorCode;
  /** Whether repeating the same call unchanged may succeed. */
  readonly retryable: boolean = false;
  readonly [BRAND] = true;

  constructor(message: string, options?: WxPayKitErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/**
 * True for any wxpay-kit error, also when the error comes from another copy of the package
 * (an ESM and a CJS copy loaded side by side): the brand is a global symbol.
 */
export function isWxPayKitError(value: unknown): value is WxPayKitError {
  return (
    value instanceof WxPayKitError || (typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true)
  );
}

/** One problem found while validating configuration. */
export interface ConfigIssue {
  /** Dotted path of the option, e.g. `merchants[1].apiKey`. */
  readonly path: string;
  readonly message: string;
}

/** Configuration is invalid. Thrown at start-up only; lists every problem at once. */
export class ConfigError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_CONFIG' as const;
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], options?: WxPayKitErrorOptions & { prefix?: string }) {
    const prefix = options?.prefix ?? '@wxpay-kit/core: invalid configuration';
    super(`${prefix}:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`, options);
    this.issues = issues;
  }
}

/** A request field is missing or malformed. Raised before anything is sent to WeChat. */
export class ValidationError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_VALIDATION' as const;
  /** The offending field, in the caller's naming. */
  readonly field: string | undefined;
  constructor(message: string, options?: WxPayKitErrorOptions & { field?: string }) {
    super(message, options);
    this.field = options?.field;
  }
}

export class PayloadTooLargeError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_PAYLOAD_TOO_LARGE' as const;
  readonly limit: number;
  constructor(limit: number, options?: WxPayKitErrorOptions) {
    super(`request body exceeds the limit of ${limit} bytes`, options);
    this.limit = limit;
  }
}

export class UnsupportedMediaTypeError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_UNSUPPORTED_MEDIA_TYPE' as const;
}

export class UnauthorizedError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_UNAUTHORIZED' as const;
}

export class NotFoundError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_NOT_FOUND' as const;
}

export class MethodNotAllowedError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_METHOD_NOT_ALLOWED' as const;
}

/** The XML is malformed, too large, too deep, or hostile (DOCTYPE, ENTITY, prototype keys). */
export class XmlError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_XML' as const;
}

export type SignatureFailure = 'missing' | 'mismatch' | 'stale' | 'unparsed-body' | 'unsupported-type' | 'unknown-key';

/** A signature is absent, wrong, stale, or was computed over something other than the raw body. */
export class SignatureError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_SIGNATURE' as const;
  readonly reason: SignatureFailure;
  constructor(reason: SignatureFailure, message?: string, options?: WxPayKitErrorOptions) {
    super(message ?? `signature check failed: ${reason}`, options);
    this.reason = reason;
  }
}

/** Encrypted content (refund notification `req_info`) could not be decrypted. */
export class DecryptError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_DECRYPT' as const;
}

/** A notification names an appid or mch_id that does not belong to the app in its URL. */
export class AppMismatchError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_APP_MISMATCH' as const;
}

/** A notification's amount differs from the amount recorded when the order was created. */
export class AmountMismatchError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_AMOUNT_MISMATCH' as const;
}

/** Error codes WeChat documents as safe to retry with identical parameters (spec §4.1). */
const RETRYABLE_ERR_CODES = new Set(['SYSTEMERROR', 'BIZERRNEEDRETRY', 'INVALIDREQTOOMUCH', 'FREQUENCYLIMITED']);

/** API v3 spells codes with underscores (`SYSTEM_ERROR`), older pages without: compare without them. */
const codeKey = (code: string): string => code.replace(/_/g, '').toUpperCase();

/** WeChat answered, and the answer is a failure (`return_code` or `result_code` FAIL). */
export class WxPayError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_WXPAY' as const;
  override readonly retryable: boolean;
  /** `err_code` for business failures; `return_code` failures carry `FAIL` here. */
  readonly errCode: string;
  readonly errCodeDes: string | undefined;
  readonly returnMsg: string | undefined;
  /** Which layer failed: the communication envelope or the business result. */
  readonly layer: 'return' | 'result';
  constructor(
    init: { errCode: string; errCodeDes?: string; returnMsg?: string; layer: 'return' | 'result' },
    options?: WxPayKitErrorOptions,
  ) {
    const detail = init.layer === 'return' ? init.returnMsg : init.errCodeDes;
    super(`WeChat Pay answered ${init.errCode}${detail ? `: ${detail}` : ''}`, options);
    this.errCode = init.errCode;
    this.errCodeDes = init.errCodeDes;
    this.returnMsg = init.returnMsg;
    this.layer = init.layer;
    this.retryable = RETRYABLE_ERR_CODES.has(codeKey(init.errCode));
  }
}

/** The HTTP exchange with WeChat failed (connect, TLS, timeout, reset, non-2xx). */
export class TransportError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_TRANSPORT' as const;
  override readonly retryable = true;
  readonly statusCode: number | undefined;
  constructor(message: string, options?: WxPayKitErrorOptions & { statusCode?: number }) {
    super(message, options);
    this.statusCode = options?.statusCode;
  }
}

/** One or more event listeners rejected; a notification is answered FAIL so WeChat retries. */
export class ListenerError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_LISTENER' as const;
  override readonly retryable = true;
  readonly errors: readonly unknown[];
  constructor(event: string, errors: readonly unknown[]) {
    super(`${errors.length} listener(s) of '${event}' failed`, { cause: errors[0] });
    this.errors = errors;
  }
}

/** The dedup store or an outbox could not record something. */
export class StoreError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_STORE' as const;
  override readonly retryable = true;
}

/**
 * Something failed that is not one of the kinds above (a bug, or a host hook throwing a plain
 * Error). The original is kept as `cause` and never shown to callers.
 */
export class InternalError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_INTERNAL' as const;
}
