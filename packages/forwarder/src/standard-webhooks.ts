import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError, type SignatureFailure } from '@wxpay-kit/core';

/** The three headers every delivery carries (Standard Webhooks). */
export interface WebhookHeaders {
  readonly 'webhook-id': string;
  /** Seconds since the epoch. */
  readonly 'webhook-timestamp': string;
  /** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`; several may be listed, space-separated. */
  readonly 'webhook-signature': string;
}

/**
 * A webhook could not be verified: a header is missing, no signature matches, or the timestamp is
 * outside the tolerance. `reason` says which.
 */
export class WebhookVerificationError extends SignatureError {
  constructor(reason: SignatureFailure, message: string) {
    super(reason, `@wxpay-kit/forwarder: ${message}`);
  }
}

const SECRET_PREFIX = 'whsec_';

/**
 * The HMAC key of a webhook secret. Secrets in the Standard Webhooks form `whsec_<base64>` are
 * base64-decoded; any other string is used as its UTF-8 bytes.
 */
export function secretKey(secret: string | Uint8Array): Buffer {
  if (typeof secret !== 'string') return Buffer.from(secret);
  if (secret.startsWith(SECRET_PREFIX)) return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  return Buffer.from(secret, 'utf8');
}

/** The base64 `v1` signature of one delivery. */
export function computeSignature(secret: string | Uint8Array, id: string, timestamp: number | string, body: string | Uint8Array): string {
  const mac = createHmac('sha256', secretKey(secret));
  mac.update(`${id}.${timestamp}.`, 'utf8');
  mac.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  return mac.digest('base64');
}

/**
 * Builds the Standard Webhooks headers for one delivery.
 *
 * @example
 * const headers = signWebhook({ id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestamp: 1700000000, body, secret });
 */
export function signWebhook(input: {
  readonly id: string;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  readonly body: string | Uint8Array;
  readonly secret: string | Uint8Array;
}): WebhookHeaders {
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': `v1,${computeSignature(input.secret, input.id, input.timestamp, input.body)}`,
  };
}

/**
 * A stable `webhook-id` for a result: the same result always gets the same id, so a
 * notification that WeChat repeats after a crash is stored once and delivered under one id.
 */
export function webhookIdFor(parts: readonly string[]): string {
  return `msg_${createHash('sha256').update(parts.join('\u0000'), 'utf8').digest('base64url').slice(0, 27)}`;
}

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** The raw request body, exactly as received (not a parsed object). */
  readonly payload: string | Uint8Array;
  /** Request headers; names in any case. Node's `req.headers` and a fetch `Headers` both fit. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>> | { get(name: string): string | null };
  /** The app's webhook secret (`whsec_…` or plain). An array accepts any of several (key rotation). */
  readonly secret: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Largest accepted distance between the timestamp and now, in seconds. Default 300. */
  readonly toleranceSec?: number;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** What {@link verifyWebhook} returns for a genuine delivery. */
export interface VerifiedWebhook<T = unknown> {
  readonly id: string;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  /** The parsed JSON body. */
  readonly body: T;
}

function header(headers: VerifyWebhookOptions['headers'], name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  let value = record[name];
  if (value === undefined) {
    for (const key of Object.keys(record)) {
      if (key.toLowerCase() === name) {
        value = record[key];
        break;
      }
    }
  }
  if (Array.isArray(value)) {
    throw new WebhookVerificationError('missing', `the ${name} header was sent more than once`);
  }
  return value as string | undefined;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks a delivery from the forwarder in one call: the signature over the raw body (constant
 * time, any of the `v1` signatures, any of the given secrets) and the timestamp against a replay
 * window. Throws {@link WebhookVerificationError} with `reason` `missing`, `unparsed-body`,
 * `mismatch` or `stale`; returns the id, timestamp and parsed body otherwise.
 *
 * @example
 * app.post('/wxpay/paid', express.raw({ type: 'application/json' }), (req, res) => {
 *   const { id, body } = verifyWebhook({ payload: req.body, headers: req.headers, secret: process.env.WEBHOOK_SECRET! });
 *   // handle body.order_id once per id, then:
 *   res.sendStatus(204);
 * });
 */
export function verifyWebhook<T = unknown>(options: VerifyWebhookOptions): VerifiedWebhook<T> {
  const { payload } = options;
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    throw new WebhookVerificationError(
      'unparsed-body',
      'the payload must be the raw request body (a string or bytes), not a parsed object; read the body raw before any JSON parser',
    );
  }
  const id = header(options.headers, 'webhook-id');
  const timestampText = header(options.headers, 'webhook-timestamp');
  const signatures = header(options.headers, 'webhook-signature');
  if (!id || !timestampText || !signatures) {
    const missing = !id ? 'webhook-id' : !timestampText ? 'webhook-timestamp' : 'webhook-signature';
    throw new WebhookVerificationError('missing', `the ${missing} header is missing`);
  }
  if (!/^\d{1,12}$/.test(timestampText)) {
    throw new WebhookVerificationError('missing', 'the webhook-timestamp header is not a number of seconds');
  }
  const timestamp = Number(timestampText);
  const tolerance = options.toleranceSec ?? 300;
  const nowSec = Math.floor((options.now ?? Date.now)() / 1000);
  if (Math.abs(nowSec - timestamp) > tolerance) {
    throw new WebhookVerificationError(
      'stale',
      `the webhook-timestamp is ${nowSec - timestamp} s away from now, beyond the ${tolerance} s tolerance`,
    );
  }
  const secrets = Array.isArray(options.secret)
    ? (options.secret as readonly (string | Uint8Array)[])
    : [options.secret as string | Uint8Array];
  const given: Buffer[] = [];
  for (const part of signatures.split(' ')) {
    const comma = part.indexOf(',');
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue;
    given.push(Buffer.from(part.slice(comma + 1), 'base64'));
  }
  if (given.length === 0) {
    throw new WebhookVerificationError('missing', 'the webhook-signature header has no v1 signature');
  }
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(computeSignature(secret, id, timestamp, payload), 'base64');
    for (const g of given) if (sameBytes(g, expected)) matched = true;
  }
  if (!matched) {
    const hint =
      typeof options.secret === 'string' && options.secret.trim() !== options.secret
        ? ' (the secret has leading or trailing whitespace)'
        : '';
    throw new WebhookVerificationError('mismatch', `no webhook-signature matches the body${hint}`);
  }
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    throw new WebhookVerificationError('unparsed-body', 'the signed body is not JSON');
  }
  return { id, timestamp, body };
}
