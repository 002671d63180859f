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

function shapes() {
  const endpoints = Object.fromEntries(GATEWAY_ENDPOINTS.map((e) => [e.configKey, endpointPath.optional()]));
  const merchant = {
    name,
    'mch-id': z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1-32 letters or digits'),
    // The API v2 key: 32 printable characters. Optional for API v3 merchants (checked later).
    'mch-app-key': z
      .string()
      .length(32, 'must be 32 characters (the API v2 key)')
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII')
      .optional(),
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
    // Missing: any appId of the merchant (go-wxpay-gateway's behaviour), with a warning.
    'app-ids': z.array(nonEmpty('string')).min(1, 'must list at least one appId (or leave "app-ids" out to accept any)').optional(),
    'callback-secret': z.string().optional(),
  };
  const root = {
    'listen-host': z.string().optional(),
    'listen-port': z.number().int('must be an integer').min(0).max(65535).optional(),
    'notify-pay-url': httpUrl.optional(),
    'notify-refund-url': httpUrl.optional(),
    'notify-file': z.string().optional(),
    store: storeSpec.optional(),
    'bearer-token': z.string().min(16, 'must be at least 16 characters').optional(),
    'body-limit': z.number().int().positive().optional(),
    // How long a notification's claim on its transaction lasts without renewal (core's leaseMs; renewed while listeners run).
    'lease-ms': z.number().int('must be whole milliseconds').min(1_000).max(3_600_000).optional(),
    // The seed's order validity: time_expire of every create-pay, in minutes (core's orderExpireMinutes).
    'order-expire-minutes': z.number().int('must be whole minutes').min(5).max(21_600).optional(),
  };
  return { endpoints, merchant, app, root };
}

/** Keys the seed defines that this gateway reads but does not use; they warn as "ignored". */
export const IGNORED_SEED_KEYS: ReadonlySet<string> = new Set([
  'worker-num',
  'timeout',
  'pay-log-file',
  'endpoints.transfer',
  'endpoints.query-transfer',
]);

/**
 * `mch-app-key` is required unless the merchant uses API v3: `api-version: "v3"`, or a
 * `wxpay-v3-key` without `api-version`.
 */
function requireV2Key(
  m: { 'mch-app-key'?: string | undefined; 'api-version'?: 'v2' | 'v3' | undefined; 'wxpay-v3-key'?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  const v3 = (m['api-version'] ?? (m['wxpay-v3-key'] === undefined ? 'v2' : 'v3')) === 'v3';
  if (!v3 && m['mch-app-key'] === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['mch-app-key'],
      message: 'is required (the API v2 key), or set "api-version": "v3" with the v3 keys',
    });
  }
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
