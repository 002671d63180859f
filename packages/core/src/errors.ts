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
  | 'WXPAY_ERR_BILL_INTEGRITY'
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

/**
 * A bill downloaded through API v3 does not match the hash (`hash_value`) WeChat's signed reply
 * gave for it: it was changed or cut short on the way. Asking for the bill again may succeed.
 */
export class BillIntegrityError extends WxPayKitError {
  readonly code = 'WXPAY_ERR_BILL_INTEGRITY' as const;
  override readonly retryable = true;
  /** `tradebill` or `fundflowbill`. */
  readonly api: string;
  readonly hashType: string;
  /** The hash WeChat's reply named (lowercase hex). */
  readonly expected: string;
  /** The hash of what arrived, uncompressed. */
  readonly actual: string;
  constructor(api: string, hashType: string, expected: string, actual: string) {
    super(`the downloaded ${api} does not match its hash_value (${hashType} ${expected}, got ${actual}): download it again`);
    this.api = api;
    this.hashType = hashType;
    this.expected = expected;
    this.actual = actual;
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

/**
 * What to check first for each code: the hint printed with an `error` event nobody listens to,
 * and the last column of the error table in the README.
 */
export const ERROR_HINTS: Readonly<Record<WxPayErrorCode, string>> = Object.freeze({
  WXPAY_ERR_CONFIG: 'fix the options named in the message; every problem is listed at once',
  WXPAY_ERR_VALIDATION: 'fix the request field named in the message; for refunds of a v2 merchant configure cert',
  WXPAY_ERR_PAYLOAD_TOO_LARGE: 'send a smaller body, or raise bodyLimit',
  WXPAY_ERR_UNSUPPORTED_MEDIA_TYPE:
    'send content-type application/json to the internal routes (WeChat sends text/xml to the notify routes)',
  WXPAY_ERR_UNAUTHORIZED: 'send the header Authorization: Bearer followed by the bearerToken, or check the authorize hook',
  WXPAY_ERR_NOT_FOUND: 'check the route path and the prefix the adapter is mounted under',
  WXPAY_ERR_METHOD_NOT_ALLOWED: 'use POST',
  WXPAY_ERR_XML: 'the notification body is not WeChat Pay XML: check that nothing rewrites the body before the adapter',
  WXPAY_ERR_SIGNATURE:
    "v2: check the merchant's apiKey (the API v2 key set in the merchant platform, 32 characters), signType and sandbox/sandboxKey, and that no body parser (an XML or text parser) is mounted before the adapter; v3: wechatpayPublicKey/wechatpayPublicKeyId or platformCertificates, and the server clock",
  WXPAY_ERR_DECRYPT: "check the merchant's apiKey (v2 refund notifications) or apiV3Key (v3 notifications)",
  WXPAY_ERR_APP_MISMATCH: "check the app's appIds and merchant, and the app name in notifyPayUrl / notifyRefundUrl",
  WXPAY_ERR_AMOUNT_MISMATCH: 'the amount differs from the order recorded at create-pay: investigate before shipping anything',
  WXPAY_ERR_WXPAY:
    'WeChat Pay refused the call: see err_code (e.g. ORDERPAID, NOTENOUGH, SIGNERROR for a wrong apiKey or signType, ORDERNOTEXIST)',
  WXPAY_ERR_BILL_INTEGRITY:
    'the downloaded bill does not match the hash WeChat gave for it (changed or cut short on the way): download it again',
  WXPAY_ERR_TRANSPORT:
    "WeChat Pay could not be reached: check the network, the merchant's baseUrl, client.timeoutMs, and client.ca for a test server",
  WXPAY_ERR_LISTENER: 'a paid/refunded listener threw: its cause is in the log; WeChat delivers the notification again',
  WXPAY_ERR_STORE: 'the dedup store failed: check its disk or Redis connection',
  WXPAY_ERR_INTERNAL: 'an unexpected failure (a bug, or a host hook that threw): see the cause in the log',
});

/** The merchant a failed notification was for, as far as the notify URL tells: what {@link hintFor} names. */
export interface HintMerchant {
  readonly name: string;
  readonly mchId: string;
  readonly signType?: string | undefined;
  readonly apiVersion?: 'v2' | 'v3' | undefined;
}

/**
 * One sentence saying what to check for `error`: {@link ERROR_HINTS}, made specific where the error
 * and the merchant allow (a signature failure names the merchant and its options to check).
 */
export function hintFor(error: unknown, merchant?: HintMerchant): string {
  if (!isWxPayKitError(error)) return ERROR_HINTS.WXPAY_ERR_INTERNAL;
  const who = merchant === undefined ? undefined : `merchant '${merchant.name}' (mch_id ${merchant.mchId})`;
  if (error instanceof SignatureError || error.code === 'WXPAY_ERR_SIGNATURE') {
    const reason = (error as Partial<SignatureError>).reason;
    if (reason === 'unparsed-body') {
      return 'a body parser read the notification before wxpay-kit: mount the adapter before express.json()/express.text()/an XML body parser, or keep the parser off its paths';
    }
    if (merchant?.apiVersion === 'v3') {
      return `check ${who}'s wechatpayPublicKey and wechatpayPublicKeyId (or platformCertificates) and apiV3Key, and that no body parser is mounted before the adapter`;
    }
    if (who !== undefined) {
      return `check ${who}'s apiKey (the API v2 key set in the merchant platform, 32 characters) and signType (${merchant?.signType ?? 'MD5'}), and that no body parser (an XML or text parser) is mounted before the adapter`;
    }
  }
  if (error.code === 'WXPAY_ERR_DECRYPT' && who !== undefined) {
    return merchant?.apiVersion === 'v3'
      ? `check ${who}'s apiV3Key`
      : `check ${who}'s apiKey (v2 refund notifications are decrypted with it)`;
  }
  return ERROR_HINTS[error.code];
}

/** The message of an error's cause, one line, at most 300 characters (for log lines; never shown to callers). */
export function causeMessage(error: unknown): string | undefined {
  const cause = error instanceof ListenerError ? error.errors[0] : (error as { cause?: unknown } | null)?.cause;
  if (cause === undefined || cause === null) return undefined;
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : typeof cause === 'string' ? cause : undefined;
  return text?.replace(/\s+/g, ' ').slice(0, 300);
}
