import { z } from 'zod';
import { GATEWAY_ENDPOINTS } from '../endpoints.js';

/**
 * The go-wxpay-gateway configuration file, as-is, plus this gateway's additions. Key names are the
 * seed's kebab-case ones; the file is JSON. Each object is declared once and built twice: strict
 * (to find unknown keys, which only warn) and stripping (to read the values).
 */

const nonEmpty = (what: string) => z.string().min(1, `must be a non-empty ${what}`);

const httpUrl = z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL');

const endpointPath = z.string().refine((v) => v === '' || (v.startsWith('/') && !v.includes('?') && !/\s/.test(v)), {
  message: 'must be a path starting with "/" (or "" to disable the endpoint)',
});

/** Names the core accepts for apps and merchants. */
const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must contain only letters, digits, "_", "-" and "."');

const storeSpec = z.string().refine((v) => /^file:.+/.test(v) || /^rediss?:\/\/.+/.test(v), {
  message: 'must be "file:<directory>" or a redis:// (rediss://) URL',
});

/** The API v2 key: 32 printable characters. */
const apiV2Key = z
  .string()
  .length(32, 'must be 32 characters (the API v2 key)')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII');

/**
 * Endpoint keys of go-wxpay-gateway's current version that this gateway knows but may not serve
 * (the transfer endpoints are served once the gateway has them in {@link GATEWAY_ENDPOINTS}; the
 * `v3-*-transfer-bills` family is). `[memo]` is the sample's comment line inside `endpoints`.
 */
export const KNOWN_UNSERVED_ENDPOINT_KEYS: readonly string[] = Object.freeze([
  'transfer',
  'query-transfer',
  'v3-transfer',
  'v3-query-transfer',
  'v3-query-transfer-detail',
]);

/** The reply shapes: go-wxpay-gateway's first README (2019) or its current version. */
export const API_SHAPES = ['2019', 'current'] as const;
export type ApiShape = (typeof API_SHAPES)[number];

function shapes() {
  const endpoints: Record<string, z.ZodType<string | undefined>> = Object.fromEntries(
    GATEWAY_ENDPOINTS.map((e) => [e.configKey, endpointPath.optional()]),
  );
  for (const key of KNOWN_UNSERVED_ENDPOINT_KEYS) endpoints[key] ??= endpointPath.optional();
  endpoints['[memo]'] = z.string().optional();
  const merchant = {
    name,
    'mch-id': z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1-32 letters or digits'),
    // The API v2 key, under the first README's name and under the name used since 2020 (one of
    // them; optional for API v3 merchants, checked later).
    'mch-app-key': apiV2Key.optional(),
    'mch-api-key': apiV2Key.optional(),
    // Ask WeChat to show the e-invoice entry on every order (`receipt=Y`; v3 `support_fapiao`).
    receipt: z.boolean().optional(),
    'mch-cert-pem-file': z.string().optional(),
    'mch-key-pem-file': z.string().optional(),
    'api-base-url': httpUrl.optional(),
    'sign-type': z.enum(['MD5', 'HMAC-SHA256']).optional(),
    'mch-cert-p12-file': z.string().optional(),
    'mch-cert-passphrase': z.string().optional(),
    // Sandbox merchants: "mch-app-key" is the API key and the sandbox key is fetched with it.
    'fetch-sandbox-key': z.boolean().optional(),
    // API v3 (later go-wxpay-gateway versions). Which keys a v3 merchant needs is checked later.
    'api-version': z.enum(['v2', 'v3']).optional(),
    'mch-cert-serialno': z
      .string()
      .regex(/^[0-9A-Fa-f]{1,64}$/, 'must be the hex serial number of the merchant API certificate')
      .optional(),
    'wxpay-v3-key': z
      .string()
      .length(32, 'must be 32 characters (the APIv3 key)')
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII')
      .optional(),
    'wxpay-pubkey-file': z.string().min(1, 'must be a file path').optional(),
    // A WeChat Pay platform certificate (the legacy way to verify WeChat in API v3).
    'wxpay-v3-cert': z.string().min(1, 'must be a file path').optional(),
    'wxpay-pubkey-id': z
      .string()
      .regex(/^PUB_KEY_ID_[0-9A-Za-z]+$/, 'must be the WeChat Pay public key id, "PUB_KEY_ID_" followed by digits')
      .optional(),
    'platform-certificates': z.boolean().optional(),
  };
  const app = {
    name,
    merchant: nonEmpty('string'),
    'notify-pay-callback': z.union([httpUrl, z.literal('')]).optional(),
    'notify-refund-callback': z.union([httpUrl, z.literal('')]).optional(),
    'notify-transfer-callback': z.union([httpUrl, z.literal('')]).optional(),
    // Missing: any appId of the merchant (go-wxpay-gateway's behaviour), with a warning.
    'app-ids': z.array(nonEmpty('string')).min(1, 'must list at least one appId (or leave "app-ids" out to accept any)').optional(),
    'callback-secret': z.string().optional(),
  };
  const root = {
    'listen-host': z.string().optional(),
    'listen-port': z.number().int('must be an integer').min(0).max(65535).optional(),
    'notify-pay-url': httpUrl.optional(),
    'notify-refund-url': httpUrl.optional(),
    'notify-transfer-url': httpUrl.optional(),
    'notify-file': z.string().optional(),
    store: storeSpec.optional(),
    'bearer-token': z.string().min(16, 'must be at least 16 characters').optional(),
    'body-limit': z.number().int().positive().optional(),
    // How long a notification's claim on its transaction lasts without renewal (core's leaseMs; renewed while listeners run).
    'lease-ms': z.number().int('must be whole milliseconds').min(1_000).max(3_600_000).optional(),
    // go-wxpay-gateway's current version: the WeChat call timeout in seconds (0: the default).
    timeout: z.number().int('must be whole seconds').min(0).max(600).optional(),
    // go-wxpay-gateway's worker count and its own payment log file: accepted, nothing to do here.
    'worker-num': z.number().int('must be an integer').min(0).optional(),
    'pay-log-file': z.string().optional(),
    // Which reply shapes the JSON endpoints use; detected from the file when absent.
    'api-shape': z.enum(API_SHAPES).optional(),
    // The seed's order validity: time_expire of every create-pay, in minutes (core's orderExpireMinutes).
    'order-expire-minutes': z.number().int('must be whole minutes').min(5).max(21_600).optional(),
    // The sweeper: seconds after an order's creation at which it is queried (ascending, from 1), or false to turn it off.
    'sweep-schedule': z
      .union(
        [
          z.literal(false),
          z
            .array(
              z
                .number()
                .int('must list whole seconds')
                .min(1, 'must list seconds from 1 up')
                .max(1_296_000, 'must list seconds up to 1296000 (15 days)'),
            )
            .min(1, 'must list at least one point (or be false to turn the sweeper off)')
            .refine((list) => list.every((v, i) => i === 0 || v > list[i - 1]!), 'must be ascending, each point later than the one before'),
        ],
        { error: 'must be a list of whole seconds from 1 up, ascending (e.g. [10, 30, 60, 180]), or false' },
      )
      .optional(),
    // WeChat calls per second per merchant the sweeper makes (default 10).
    'sweep-rate': z.number().positive('must be above 0').max(1000, 'must be at most 1000').optional(),
    // How long one sweep of an order is held by one instance on a shared store (default 60000).
    'sweep-lease-ms': z.number().int('must be whole milliseconds').min(1_000).max(3_600_000).optional(),
    // Timing of payment-code payments (micropay), in ms (the core's micropay options).
    'micropay-query-interval-ms': z.number().int('must be whole milliseconds').min(100).max(60_000).optional(),
    'micropay-deadline-ms': z.number().int('must be whole milliseconds').min(1_000).max(600_000).optional(),
    'micropay-reverse-after-ms': z.number().int('must be whole milliseconds').min(0).max(60_000).optional(),
    'micropay-reverse-interval-ms': z.number().int('must be whole milliseconds').min(100).max(60_000).optional(),
    'micropay-reverse-attempts': z.number().int('must be a whole number').min(1).max(100).optional(),
    // When the gateway reconciles yesterday's trade bills, China time, or false (off).
    'reconcile-at': z
      .union([
        z.literal(false),
        z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day "HH:MM" (China time, e.g. "10:30"), or false'),
      ])
      .optional(),
  };
  return { endpoints, merchant, app, root };
}

/** Keys the seed defines that this gateway reads but does not use; they warn as "ignored". */
export const IGNORED_SEED_KEYS: ReadonlySet<string> = new Set<string>([]);

/**
 * The API v2 key is required unless the merchant uses API v3 (`api-version: "v3"`; the v3 keys
 * alone do not switch it, as in go-wxpay-gateway, which pays on v2 and uses them for transfers).
 * It may be given as `mch-api-key` (go-wxpay-gateway since 2020) or `mch-app-key` (its first
 * README); both at once must agree.
 */
function requireV2Key(
  m: { 'mch-app-key'?: string | undefined; 'mch-api-key'?: string | undefined; 'api-version'?: 'v2' | 'v3' | undefined },
  ctx: z.RefinementCtx,
): void {
  const app = m['mch-app-key'];
  const api = m['mch-api-key'];
  if (app !== undefined && api !== undefined && app !== api) {
    ctx.addIssue({
      code: 'custom',
      path: ['mch-api-key'],
      message: 'is not the same key as "mch-app-key"; give the API v2 key once, as "mch-api-key" (or "mch-app-key")',
    });
  }
  if (m['api-version'] !== 'v3' && app === undefined && api === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['mch-api-key'],
      message: 'is required (the API v2 key; "mch-app-key" is the older name), or set "api-version": "v3" with the v3 keys',
    });
  }
}

/** The merchant's API v2 key, whichever name the file gives it. */
export function apiKeyOf(m: { 'mch-app-key'?: string | undefined; 'mch-api-key'?: string | undefined }): string | undefined {
  return m['mch-api-key'] ?? m['mch-app-key'];
}

function build(strict: boolean) {
  const s = shapes();
  const obj = <T extends z.ZodRawShape>(shape: T) => (strict ? z.strictObject(shape) : z.object(shape));
  return obj({
    ...s.root,
    endpoints: obj(s.endpoints).optional(),
    merchants: z.array(obj(s.merchant).superRefine(requireV2Key)).min(1, 'must list at least one merchant'),
    apps: z.array(obj(s.app)).min(1, 'must list at least one app'),
  });
}

/** Validates values; extra keys are dropped. */
export const seedConfigSchema = build(false);
/** Same rules, but reports every extra key (used to print warnings). */
export const strictSeedConfigSchema = build(true);

/** The configuration file after validation: the seed's keys, kebab-case. */
export type SeedConfig = z.infer<typeof seedConfigSchema>;
export type SeedMerchant = SeedConfig['merchants'][number];
export type SeedApp = SeedConfig['apps'][number];
export type SeedEndpoints = NonNullable<SeedConfig['endpoints']>;
