/**
 * The zod schema of {@link WxPayOptions}. Messages name the rule and never echo the value, since
 * values include API keys and certificates.
 */
import { z } from 'zod';
import type { SweepOptions, WxPayOptions } from './options.js';
import { checkV3Merchant, v3MerchantFields } from './v3-schema.js';

/** Default validity of an order placed by create-pay, in minutes: WeChat's (and the seed's) 2 hours. */
export const DEFAULT_ORDER_EXPIRE_MINUTES = 120;
/** Shortest `time_expire` every API version and page accepts: 5 minutes after creation. */
export const MIN_ORDER_EXPIRE_MINUTES = 5;
/** Longest `time_expire` every merchant kind accepts (service-provider pages: 15 days). */
export const MAX_ORDER_EXPIRE_MINUTES = 15 * 24 * 60;

/** Default WeChat Pay API origin (spec §1.1). */
export const DEFAULT_BASE_URL = 'https://api.mch.weixin.qq.com';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fn = (what: string) => z.custom<(...args: any[]) => any>((v) => typeof v === 'function', { message: `must be ${what}` });

const name = z
  .string({ message: 'must be a string' })
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'must be 1-64 letters, digits, "_", "-" or "."' });

const httpUrl = (what: string, allowQuery: boolean) =>
  z.string({ message: 'must be a string' }).superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be an absolute ${what} URL` });
      return;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: `must be an http(s) ${what} URL` });
    } else if (!allowQuery && (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#'))) {
      ctx.addIssue({ code: 'custom', message: 'must not have a query string or fragment (WeChat refuses them)' });
    } else if (url.username !== '' || url.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'must not carry credentials' });
    }
  });

const bytesOrString = z.union(
  [
    z.string({ message: 'must be a file path or PEM text' }).min(1, { message: 'must not be empty' }),
    z.custom<Uint8Array>((v) => v instanceof Uint8Array),
  ],
  {
    message: 'must be a file path, PEM text or bytes',
  },
);

const certSchema = z.union(
  [
    z.strictObject({ pfx: bytesOrString, passphrase: z.string({ message: 'must be a string' }).optional() }),
    z.strictObject({ cert: bytesOrString, key: bytesOrString, passphrase: z.string({ message: 'must be a string' }).optional() }),
  ],
  { message: 'must be { pfx, passphrase? } or { cert, key, passphrase? }' },
);

const merchantSchema = z
  .strictObject({
    name,
    mchId: z.string({ message: 'must be a string' }).regex(/^[A-Za-z0-9]{1,32}$/, { message: 'must be 1-32 letters or digits' }),
    apiKey: z
      .string({ message: 'must be a string' })
      .length(32, { message: 'must be 32 characters' })
      .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII' })
      .optional(),
    signType: z.enum(['MD5', 'HMAC-SHA256'], { message: 'must be "MD5" or "HMAC-SHA256"' }).default('MD5'),
    baseUrl: httpUrl('API', false).default(DEFAULT_BASE_URL),
    cert: certSchema.optional(),
    subMchId: z
      .string({ message: 'must be a string' })
      .regex(/^[A-Za-z0-9]{1,32}$/, { message: 'must be 1-32 letters or digits' })
      .optional(),
    subAppId: z
      .string({ message: 'must be a string' })
      .regex(/^[A-Za-z0-9_-]{1,32}$/, { message: 'must be 1-32 letters, digits, "_" or "-"' })
      .optional(),
    sandbox: z.boolean({ message: 'must be a boolean' }).default(false),
    sandboxKey: z
      .string({ message: 'must be a string' })
      .length(32, { message: 'must be 32 characters' })
      .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII' })
      .optional(),
    receipt: z.boolean({ message: 'must be a boolean' }).default(false),
    apiVersion: z.enum(['v2', 'v3'], { message: 'must be "v2" or "v3"' }).default('v2'),
    ...v3MerchantFields,
  })
  .superRefine((m, ctx) => {
    checkV3Merchant(m, ctx);
    if (m.sandbox && m.signType !== 'MD5') {
      ctx.addIssue({
        code: 'custom',
        path: ['signType'],
        message: 'must be "MD5" for a sandbox merchant (the sandbox signs with MD5 only)',
      });
    }
    if (m.sandboxKey !== undefined && !m.sandbox) {
      ctx.addIssue({ code: 'custom', path: ['sandboxKey'], message: 'needs sandbox: true (it signs /sandboxnew calls only)' });
    }
    if (m.subAppId !== undefined && m.subMchId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['subAppId'], message: 'needs subMchId (service-provider mode)' });
    }
  });

const appSchema = z.strictObject({
  name,
  merchant: z.string({ message: 'must be a merchant name' }),
  appIds: z
    .array(
      z
        .string({ message: 'must be a string' })
        .regex(/^(?:[A-Za-z0-9_-]{1,32}|\*)$/, { message: 'must be 1-32 letters, digits, "_" or "-", or "*"' }),
      {
        message: 'must be an array of app ids',
      },
    )
    .min(1, { message: 'must list at least one app id' })
    .refine((ids) => !ids.includes('*') || ids.length === 1, { message: '"*" (any app id) must be the only entry' })
    .readonly(),
});

const pem = z.union([
  z.string({ message: 'must be PEM text' }).includes('-----BEGIN CERTIFICATE-----', { message: 'must be PEM text' }),
  z.custom<Uint8Array>((v) => v instanceof Uint8Array),
]);

const clientSchema = z.strictObject({
  timeoutMs: z
    .number({ message: 'must be a number' })
    .int({ message: 'must be whole milliseconds' })
    .min(1, { message: 'must be at least 1' })
    .max(600_000, { message: 'must be at most 600000' })
    .default(10_000),
  retries: z
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(0, { message: 'must be at least 0' })
    .max(10, { message: 'must be at most 10' })
    .default(2),
  retryDelayMs: z
    .number({ message: 'must be a number' })
    .int({ message: 'must be whole milliseconds' })
    .min(0, { message: 'must be at least 0' })
    .max(60_000, { message: 'must be at most 60000' })
    .default(200),
  connections: z
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .max(1024, { message: 'must be at most 1024' })
    .default(16),
  ca: z.union([pem, z.array(pem).readonly()], { message: 'must be PEM text or bytes, or a list of them' }).optional(),
});

const ms = (min: number, max: number, fallback: number) =>
  z
    .number({ message: 'must be a number' })
    .int({ message: 'must be whole milliseconds' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` })
    .default(fallback);

/** Defaults of `micropay`: WeChat's recommended timing. */
export const MICROPAY_DEFAULTS = Object.freeze({
  queryIntervalMs: 5_000,
  deadlineMs: 45_000,
  reverseAfterMs: 15_000,
  reverseIntervalMs: 5_000,
  reverseAttempts: 10,
});

const micropaySchema = z.strictObject({
  queryIntervalMs: ms(100, 60_000, MICROPAY_DEFAULTS.queryIntervalMs),
  deadlineMs: ms(1_000, 600_000, MICROPAY_DEFAULTS.deadlineMs),
  reverseAfterMs: ms(0, 60_000, MICROPAY_DEFAULTS.reverseAfterMs),
  reverseIntervalMs: ms(100, 60_000, MICROPAY_DEFAULTS.reverseIntervalMs),
  reverseAttempts: z
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .max(100, { message: 'must be at most 100' })
    .default(MICROPAY_DEFAULTS.reverseAttempts),
  sleep: fn('a function (ms, signal) returning a promise').optional(),
});

const loggerSchema = z.custom<NonNullable<WxPayOptions['logger']>>(
  (v) =>
    v === false ||
    (typeof v === 'object' &&
      v !== null &&
      ['debug', 'info', 'warn', 'error'].every((level) => typeof (v as Record<string, unknown>)[level] === 'function')),
  { message: 'must have debug, info, warn and error methods, or be false' },
);

const storeSchema = z.custom<NonNullable<WxPayOptions['store']>>((v) => typeof v === 'object' && v !== null, {
  message: 'must be a DedupStore object',
});

/**
 * The schema of {@link WxPayOptions}: types, formats and defaults. Unknown top-level keys are
 * ignored; unknown keys inside a merchant, an app or `client` are errors (they are usually typos).
 * Cross-references (unique names, each app's merchant exists) are checked by {@link crossCheck},
 * which also runs when the schema fails, so one error lists everything.
 */
export const wxPayOptionsSchema = z.object({
  merchants: z
    .array(merchantSchema, { message: 'must be an array of merchants' })
    .min(1, { message: 'must list at least one merchant' })
    .readonly(),
  apps: z.array(appSchema, { message: 'must be an array of apps' }).min(1, { message: 'must list at least one app' }).readonly(),
  notifyPayUrl: httpUrl('notify', false),
  notifyRefundUrl: httpUrl('notify', false),
  notifyTransferUrl: httpUrl('notify', false).optional(),
  bodyLimit: z
    .number({ message: 'must be a number' })
    .int({ message: 'must be whole bytes' })
    .min(1024, { message: 'must be at least 1024' })
    .max(16 * 1024 * 1024, { message: 'must be at most 16 MiB' })
    .default(65_536),
  bearerToken: z.string({ message: 'must be a string' }).min(16, { message: 'must be at least 16 characters' }).optional(),
  authorize: fn('a function').optional(),
  store: storeSchema.optional(),
  leaseMs: z
    .number({ message: 'must be a number' })
    .int({ message: 'must be whole milliseconds' })
    .min(1000, { message: 'must be at least 1000 (1 s)' })
    .max(3_600_000, { message: 'must be at most 3600000 (1 h)' })
    .optional(),
  orderExpireMinutes: z
    .number({ message: 'must be a number' })
    .int({ message: 'must be whole minutes' })
    .min(MIN_ORDER_EXPIRE_MINUTES, { message: `must be at least ${MIN_ORDER_EXPIRE_MINUTES} (WeChat refuses a shorter time_expire)` })
    .max(MAX_ORDER_EXPIRE_MINUTES, { message: `must be at most ${MAX_ORDER_EXPIRE_MINUTES} (15 days)` })
    .default(DEFAULT_ORDER_EXPIRE_MINUTES),
  sweep: z
    .union(
      [
        z.boolean(),
        z.strictObject({
          schedule: z
            .array(z.number().int({ message: 'must list whole seconds' }).min(1, { message: 'must list seconds from 1 up' }))
            .min(1, { message: 'must list at least one point' })
            .refine((list) => list.every((v, i) => i === 0 || v > list[i - 1]!), { message: 'must be ascending' })
            .readonly()
            .optional(),
          rate: z
            .number({ message: 'must be a number' })
            .positive({ message: 'must be above 0' })
            .max(1000, { message: 'must be at most 1000' })
            .optional(),
          pollMs: z.number().int({ message: 'must be whole ms' }).min(10).max(60_000).optional(),
          leaseMs: z.number().int({ message: 'must be whole ms' }).min(1000).max(3_600_000).optional(),
          timer: z
            .custom<NonNullable<SweepOptions['timer']>>(
              (v) => typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)['setTimeout'] === 'function',
              { message: 'must have setTimeout and clearTimeout' },
            )
            .optional(),
          autoStart: z.boolean({ message: 'must be a boolean' }).optional(),
        }),
      ],
      { message: 'must be a boolean or { schedule?, rate?, pollMs?, leaseMs?, timer?, autoStart? }' },
    )
    .optional(),
  client: clientSchema.default({ timeoutMs: 10_000, retries: 2, retryDelayMs: 200, connections: 16 }),
  micropay: micropaySchema.default({ ...MICROPAY_DEFAULTS }),
  logger: loggerSchema.optional(),
  now: fn('a function returning epoch milliseconds').optional(),
  nonce: fn('a function returning a nonce string').optional(),
});

/** The schema's output: options with defaults applied, before key material is loaded. */
export type ParsedOptions = z.output<typeof wxPayOptionsSchema>;

/** Unique merchant and app names, and each app's merchant exists. Works on unvalidated input. */
export function crossCheck(options: unknown): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const list = (key: string): unknown[] => {
    const value = typeof options === 'object' && options !== null ? (options as Record<string, unknown>)[key] : undefined;
    return Array.isArray(value) ? value : [];
  };
  const field = (item: unknown, key: string): unknown =>
    typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[key] : undefined;
  const merchants = new Set<unknown>();
  list('merchants').forEach((m, i) => {
    const name = field(m, 'name');
    if (typeof name !== 'string') return;
    if (merchants.has(name)) issues.push({ path: `merchants[${i}].name`, message: 'is used by another merchant' });
    merchants.add(name);
  });
  const apps = new Set<unknown>();
  list('apps').forEach((a, i) => {
    const name = field(a, 'name');
    if (typeof name === 'string') {
      if (apps.has(name)) issues.push({ path: `apps[${i}].name`, message: 'is used by another app' });
      apps.add(name);
    }
    const merchant = field(a, 'merchant');
    if (typeof merchant === 'string' && !merchants.has(merchant)) {
      issues.push({ path: `apps[${i}].merchant`, message: 'names no configured merchant' });
    }
  });
  return issues;
}
