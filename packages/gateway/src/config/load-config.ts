import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ANY_APP_ID, ConfigError, type ConfigIssue, type MerchantCertOptions } from '@wxpay-kit/core';
import type { z } from 'zod';
import { resolveEndpoints } from '../endpoints.js';
import {
  DEFAULT_PORT,
  DEFAULT_STORE_DIR,
  isSandboxApp,
  type GatewayApp,
  type GatewayConfig,
  type GatewayMerchant,
  type GatewayMerchantV3,
  type GatewayMicropayTiming,
  type StoreSpec,
} from './gateway-config.js';
import {
  apiKeyOf,
  IGNORED_SEED_KEYS,
  seedConfigSchema,
  strictSeedConfigSchema,
  type SeedConfig,
  type SeedMerchant,
} from './seed-schema.js';
import { appsCheckNotifications, detectApiShape } from './api-shape.js';

/** A validated configuration and the warnings found on the way (one line each). */
export interface LoadedGatewayConfig {
  readonly config: GatewayConfig;
  readonly warnings: readonly string[];
}

/** Options of {@link parseGatewayConfig}. */
export interface ParseGatewayConfigOptions {
  /** Relative file paths in the config (certificates, store, notify-file) resolve against this. Default `process.cwd()`. */
  readonly baseDir?: string;
  /** Named in messages; default `(inline)`. */
  readonly source?: string;
  /** Checks certificate files exist. Default true. */
  readonly checkFiles?: boolean;
}

const PREFIX = 'wxpay-gateway: invalid configuration';

/**
 * Reads a go-wxpay-gateway configuration file (`CONF_FILE`), validates it and applies defaults.
 * Relative paths inside it resolve against the file's directory.
 *
 * @throws ConfigError when the file is missing, is not JSON, has a value of the wrong type, or an
 *   app names an unknown merchant; {@link formatConfigError} turns it into one line.
 * @example
 * ```ts
 * const { config, warnings } = loadGatewayConfig('./wxpay-gateway.conf.json');
 * ```
 */
export function loadGatewayConfig(file: string): LoadedGatewayConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? 'error'})`;
    throw new ConfigError([{ path: '', message: why }], { prefix: `${PREFIX} ${file}` });
  }
  let raw: unknown;
  const json = text.replace(/^\uFEFF/, '');
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ConfigError([{ path: '', message: `not valid JSON (${jsonErrorAt(json, (error as Error).message)})` }], {
      prefix: `${PREFIX} ${file}`,
    });
  }
  return parseGatewayConfig(raw, { baseDir: dirname(path), source: file });
}

/**
 * Validates an already-parsed configuration object (the JSON of a config file).
 *
 * @throws ConfigError listing every problem, each with the key's path (`merchants[0].mch-id`).
 */
export function parseGatewayConfig(raw: unknown, options: ParseGatewayConfigOptions = {}): LoadedGatewayConfig {
  const source = options.source ?? '(inline)';
  const baseDir = options.baseDir ?? process.cwd();
  const fail = (issues: ConfigIssue[]): never => {
    throw new ConfigError(issues, { prefix: `${PREFIX} ${source}` });
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail([{ path: '', message: 'must be a JSON object' }]);
  }

  const warnings: string[] = [];
  const strict = strictSeedConfigSchema.safeParse(raw);
  const issues: ConfigIssue[] = [];
  if (!strict.success) {
    for (const issue of strict.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const at = joinPath([...issue.path, key]);
          const wildcard = joinPath([...issue.path.filter((p) => typeof p !== 'number'), key]);
          if (IGNORED_SEED_KEYS.has(wildcard)) {
            warnings.push(`${source}: key "${at}" is not used by this gateway and is ignored`);
            continue;
          }
          // A key that differs from a known one only in spelling is a typo: its setting would be lost.
          const suggestion = didYouMean(key, knownKeysAt(issue.path));
          if (suggestion !== undefined) issues.push({ path: at, message: `unknown key ${key}; did you mean ${suggestion}?` });
          else warnings.push(`${source}: unknown key "${at}" is ignored`);
        }
      } else {
        issues.push({ path: joinPath(issue.path), message: describe(issue, raw) });
      }
    }
  }
  if (issues.length > 0) {
    // Report the cross-references too, so one run lists every problem.
    issues.push(...rawCrossChecks(raw));
    fail(issues);
  }
  const seed: SeedConfig = seedConfigSchema.parse(raw);

  const merchants = seed.merchants.map((m, i) =>
    resolveMerchant(m, i, baseDir, options.checkFiles ?? true, issues, (message) => warnings.push(`${source}: ${message}`)),
  );
  const merchantNames = new Set<string>();
  seed.merchants.forEach((m, i) => {
    if (merchantNames.has(m.name)) issues.push({ path: `merchants[${i}].name`, message: `duplicate merchant name "${m.name}"` });
    merchantNames.add(m.name);
  });
  const appNames = new Set<string>();
  const apps: GatewayApp[] = seed.apps.map((a, i) => {
    if (appNames.has(a.name)) issues.push({ path: `apps[${i}].name`, message: `duplicate app name "${a.name}"` });
    appNames.add(a.name);
    if (!merchantNames.has(a.merchant)) {
      issues.push({
        path: `apps[${i}].merchant`,
        message: `unknown merchant "${a.merchant}" (merchants: ${[...merchantNames].join(', ')})`,
      });
    }
    if (a['app-ids'] === undefined) {
      // go-wxpay-gateway accepted any appId of the merchant; so do we, but listing them is safer.
      warnings.push(
        `${source}: app "${a.name}" lists no "app-ids", so it accepts any appId of its merchant; list the appIds (official account, mini-program, mobile app) it pays with`,
      );
    }
    const sandbox = isSandboxApp(a.name);
    if (sandbox && merchants.find((m) => m?.name === a.merchant)?.v3) {
      issues.push({
        path: `apps[${i}].merchant`,
        message: `a "-dev" app uses WeChat's sandbox, which API v3 does not have; give it an API v2 merchant ("${a.merchant}" uses API v3)`,
      });
    }
    return {
      name: a.name,
      merchant: a.merchant,
      sandbox,
      payCallback: a['notify-pay-callback'] || undefined,
      refundCallback: a['notify-refund-callback'] || undefined,
      transferCallback: a['notify-transfer-callback'] || undefined,
      appIds: a['app-ids'] ?? [ANY_APP_ID],
      callbackSecret: a['callback-secret'],
    };
  });
  const apiShape = detectApiShape(seed);
  const checksNotificationsItself = appsCheckNotifications(apiShape.shape, resolveEndpoints(seed.endpoints));
  for (const app of apps) {
    const merchant = merchants.find((m) => m?.name === app.merchant);
    if (app.sandbox && merchant?.signType === 'HMAC-SHA256') {
      warnings.push(
        `${source}: app "${app.name}" uses the sandbox, which signs with MD5 only; "sign-type" of merchant "${merchant.name}" is ignored for it`,
      );
    }
    // A current-version file's apps may have no callback: they receive WeChat's notifications at
    // their own notifyUrl and check them at verify-notify-pay (a start-up note says so).
    if (!app.payCallback && !checksNotificationsItself) {
      warnings.push(
        `${source}: app "${app.name}" has no "notify-pay-callback"; results of its orders are kept in the outbox until one is set`,
      );
    }
  }
  if (issues.length > 0) fail(issues);

  const config: GatewayConfig = {
    source,
    listenHost: seed['listen-host'] ?? '',
    listenPort: seed['listen-port'] ?? DEFAULT_PORT,
    notifyPayUrl: seed['notify-pay-url'],
    notifyRefundUrl: seed['notify-refund-url'],
    notifyTransferUrl: seed['notify-transfer-url'],
    endpoints: resolveEndpoints(seed.endpoints),
    merchants: merchants as GatewayMerchant[],
    apps,
    store: resolveStore(seed, baseDir),
    bearerToken: seed['bearer-token'],
    bodyLimit: seed['body-limit'],
    leaseMs: seed['lease-ms'],
    timeoutMs: seed.timeout ? seed.timeout * 1000 : undefined,
    workerNum: seed['worker-num'],
    payLogFile: seed['pay-log-file'],
    apiShape,
    orderExpireMinutes: seed['order-expire-minutes'],
    sweepSchedule: seed['sweep-schedule'],
    sweepRate: seed['sweep-rate'],
    sweepLeaseMs: seed['sweep-lease-ms'],
    micropay: micropayTimingOf(seed),
    reconcileAt: seed['reconcile-at'],
  };
  return { config: deepFreeze(config), warnings };
}

/** One line for a start-up failure: `wxpay-gateway: invalid configuration FILE: key: problem; key: problem`. */
export function formatConfigError(error: ConfigError): string {
  const head = error.message.split('\n')[0]?.replace(/:$/, '') ?? 'invalid configuration';
  const body = error.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return `${head}: ${body}`;
}

/** The `micropay-*` keys the file sets, or undefined when it sets none. */
function micropayTimingOf(seed: SeedConfig): GatewayMicropayTiming | undefined {
  const timing: GatewayMicropayTiming = {
    ...(seed['micropay-query-interval-ms'] === undefined ? {} : { queryIntervalMs: seed['micropay-query-interval-ms'] }),
    ...(seed['micropay-deadline-ms'] === undefined ? {} : { deadlineMs: seed['micropay-deadline-ms'] }),
    ...(seed['micropay-reverse-after-ms'] === undefined ? {} : { reverseAfterMs: seed['micropay-reverse-after-ms'] }),
    ...(seed['micropay-reverse-interval-ms'] === undefined ? {} : { reverseIntervalMs: seed['micropay-reverse-interval-ms'] }),
    ...(seed['micropay-reverse-attempts'] === undefined ? {} : { reverseAttempts: seed['micropay-reverse-attempts'] }),
  };
  return Object.keys(timing).length === 0 ? undefined : timing;
}

function resolveStore(seed: SeedConfig, baseDir: string): StoreSpec {
  const spec = seed.store;
  if (spec?.startsWith('file:')) return { kind: 'file', path: resolve(baseDir, spec.slice('file:'.length)) };
  if (spec) return { kind: 'redis', url: spec };
  const notifyFile = seed['notify-file'];
  if (notifyFile) return { kind: 'file', path: resolve(baseDir, notifyFile) };
  return { kind: 'file', path: resolve(baseDir, DEFAULT_STORE_DIR) };
}

/** Merchant keys that only API v3 uses. */
const V3_KEYS = [
  'mch-cert-serialno',
  'wxpay-v3-key',
  'wxpay-v3-cert',
  'wxpay-pubkey-file',
  'wxpay-pubkey-id',
  'platform-certificates',
] as const;

/**
 * The merchant's API version: `api-version` when given, else `v2`. The v3 keys alone do not
 * switch it: go-wxpay-gateway's current version pays on v2 and uses them for transfers.
 */
function apiVersionOf(m: SeedMerchant): 'v2' | 'v3' {
  return m['api-version'] ?? 'v2';
}

function resolveMerchant(
  m: SeedMerchant,
  index: number,
  baseDir: string,
  checkFiles: boolean,
  issues: ConfigIssue[],
  warn: (message: string) => void,
): GatewayMerchant | undefined {
  const at = (key: string) => `merchants[${index}].${key}`;
  const version = apiVersionOf(m);
  const file = (
    key: 'mch-cert-pem-file' | 'mch-key-pem-file' | 'mch-cert-p12-file' | 'wxpay-pubkey-file' | 'wxpay-v3-cert',
  ): string | undefined => {
    const value = m[key];
    if (!value) return undefined;
    const path = resolve(baseDir, value);
    if (checkFiles) {
      try {
        if (!statSync(path).isFile()) issues.push({ path: at(key), message: `not a file: ${value}` });
      } catch {
        issues.push({ path: at(key), message: `file not found: ${value}` });
      }
    }
    return path;
  };
  const certPem = file('mch-cert-pem-file');
  const keyPem = file('mch-key-pem-file');
  const p12 = file('mch-cert-p12-file');
  const platformCert = file('wxpay-v3-cert');
  if (platformCert !== undefined && checkFiles) checkCertificate(platformCert, at('wxpay-v3-cert'), issues);
  if (version === 'v3') return resolveV3Merchant(m, at, keyPem, file('wxpay-pubkey-file'), platformCert, issues, warn);
  // A v2 merchant's v3 keys are kept for the calls only API v3 has (transfers); payments stay on v2.
  const v3Keys = V3_KEYS.filter((k) => m[k] !== undefined);
  // go-wxpay-gateway's sandbox merchants carry mch-cert-serialno alone (for its real-name calls).
  const hasTransferKeys = v3Keys.some((k) => k !== 'mch-cert-serialno');
  const pubKeyFile = file('wxpay-pubkey-file');
  let cert: MerchantCertOptions | undefined;
  if (p12) {
    if (certPem || keyPem) issues.push({ path: at('mch-cert-p12-file'), message: 'give either the PEM pair or the .p12 file, not both' });
    // WeChat's .p12 passphrase is the merchant id unless the merchant changed it.
    cert = { pfx: p12, passphrase: m['mch-cert-passphrase'] ?? m['mch-id'] };
  } else if (certPem && keyPem) {
    cert =
      m['mch-cert-passphrase'] === undefined
        ? { cert: certPem, key: keyPem }
        : { cert: certPem, key: keyPem, passphrase: m['mch-cert-passphrase'] };
  } else if (certPem || (keyPem && !hasTransferKeys)) {
    // The key alone is the v3 signing key of a merchant with v3 keys (refunds then have no certificate).
    issues.push({
      path: at(certPem ? 'mch-key-pem-file' : 'mch-cert-pem-file'),
      message: 'is required with the other PEM file (the certificate and its private key go together)',
    });
  }
  return {
    name: m.name,
    mchId: m['mch-id'],
    apiKey: apiKeyOf(m),
    fetchSandboxKey: m['fetch-sandbox-key'] ?? false,
    signType: m['sign-type'] ?? 'MD5',
    baseUrl: m['api-base-url']?.replace(/\/+$/, ''),
    cert,
    receipt: m.receipt ?? false,
    transferKeys: !hasTransferKeys
      ? undefined
      : {
          keys: v3Keys,
          privateKey: keyPem,
          certSerialNo: m['mch-cert-serialno']?.toUpperCase(),
          apiV3Key: m['wxpay-v3-key'],
          wechatpayPublicKey: pubKeyFile,
          wechatpayPublicKeyId: m['wxpay-pubkey-id'],
          platformCertificate: platformCert,
        },
  };
}

/** A `wxpay-v3-cert` file must hold an X.509 certificate (PEM). */
function checkCertificate(path: string, at: string, issues: ConfigIssue[]): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return; // reported as missing already
  }
  try {
    new X509Certificate(text);
  } catch {
    issues.push({ path: at, message: 'is not a PEM certificate (the WeChat Pay platform certificate, wechatpay_<serial>.pem)' });
  }
}

/**
 * An API v3 merchant: signs with its private key (`mch-key-pem-file`) under `mch-cert-serialno`,
 * decrypts with `wxpay-v3-key`, and verifies WeChat with the WeChat Pay public key
 * (`wxpay-pubkey-file` + `wxpay-pubkey-id`), with downloaded platform certificates
 * (`platform-certificates: true`), or with both during a migration. v3 calls need no client
 * certificate; `mch-app-key` only decrypts refunds started in the merchant console.
 */
function resolveV3Merchant(
  m: SeedMerchant,
  at: (key: string) => string,
  keyPem: string | undefined,
  pubKeyFile: string | undefined,
  platformCert: string | undefined,
  issues: ConfigIssue[],
  warn: (message: string) => void,
): GatewayMerchant {
  const required = (key: string, what: string) => issues.push({ path: at(key), message: `is required for API v3 (${what})` });
  if (keyPem === undefined) required('mch-key-pem-file', 'the merchant API private key, apiclient_key.pem');
  if (m['mch-cert-serialno'] === undefined) required('mch-cert-serialno', 'the serial number of the merchant API certificate');
  if (m['wxpay-v3-key'] === undefined) required('wxpay-v3-key', 'the APIv3 key');
  const pubKeyId = m['wxpay-pubkey-id'];
  // A platform certificate file means the merchant verifies WeChat with platform certificates,
  // which the core downloads and renews with the APIv3 key.
  const platformCertificates = m['platform-certificates'] ?? platformCert !== undefined;
  if (pubKeyFile !== undefined && pubKeyId === undefined) {
    issues.push({
      path: at('wxpay-pubkey-id'),
      message: 'is required with "wxpay-pubkey-file" (the id of the WeChat Pay public key, PUB_KEY_ID_…)',
    });
  } else if (pubKeyFile === undefined && pubKeyId !== undefined) {
    issues.push({ path: at('wxpay-pubkey-file'), message: 'is required with "wxpay-pubkey-id" (the WeChat Pay public key, pub_key.pem)' });
  } else if (pubKeyFile === undefined && !platformCertificates) {
    issues.push({
      path: at('wxpay-pubkey-file'),
      message:
        'is required for API v3 with "wxpay-pubkey-id" (the WeChat Pay public key), unless the merchant still uses platform certificates ("platform-certificates": true)',
    });
  }
  if (m['mch-cert-p12-file'] !== undefined) {
    warn(
      `merchant "${m.name}" uses API v3, which needs no client certificate: "mch-cert-p12-file" is not used (its private key goes in "mch-key-pem-file")`,
    );
  }
  if (apiKeyOf(m) === undefined) {
    warn(
      `merchant "${m.name}" (API v3) has no "mch-api-key": refunds started in the merchant console, which WeChat notifies in v2 XML, cannot be read`,
    );
  }
  const v3: GatewayMerchantV3 = {
    privateKey: keyPem ?? '',
    certSerialNo: (m['mch-cert-serialno'] ?? '').toUpperCase(),
    apiV3Key: m['wxpay-v3-key'] ?? '',
    wechatpayPublicKey: pubKeyFile,
    wechatpayPublicKeyId: pubKeyId,
    platformCertificates,
  };
  return {
    name: m.name,
    mchId: m['mch-id'],
    apiKey: apiKeyOf(m),
    fetchSandboxKey: false,
    signType: 'MD5',
    baseUrl: m['api-base-url']?.replace(/\/+$/, ''),
    cert: undefined,
    receipt: m.receipt ?? false,
    v3,
  };
}

/** `Unexpected number in JSON at position 18` → `line 3, column 7: Unexpected number in JSON at position 18`. */
export function jsonErrorAt(text: string, message: string): string {
  const m = /at position (\d+)/.exec(message);
  const position = m ? Number(m[1]) : /end of JSON input/.test(message) ? text.length : undefined;
  if (position === undefined) return message;
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line}, column ${column}: ${message}`;
}

/** The keys the configuration schema knows at `path` (`[]` the top level, `['merchants', 0]` a merchant), from the schema itself. */
function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  let schema: unknown = seedConfigSchema;
  for (const part of path) {
    schema = unwrap(schema);
    const def = (schema as { def?: { type?: string; element?: unknown; shape?: Record<string, unknown> } }).def;
    if (typeof part === 'number') schema = def?.type === 'array' ? def.element : undefined;
    else schema = def?.shape?.[String(part)];
  }
  const shape = (unwrap(schema) as { def?: { shape?: Record<string, unknown> } } | undefined)?.def?.shape;
  const ignored = [...IGNORED_SEED_KEYS].filter((k) => !k.includes('.'));
  return shape === undefined ? [] : [...Object.keys(shape), ...(path.length === 0 ? ignored : [])];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { type?: string; innerType?: unknown } } | undefined;
  while (s?.def?.type === 'optional' || s?.def?.type === 'default' || s?.def?.type === 'nullable') s = s.def.innerType as typeof s;
  return s;
}

/** `notifyPayURL` → `notify-pay-url`: the known key spelled the same but for case, `-` and `_`, or within a few typos. */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const norm = (k: string): string => k.toLowerCase().replace(/[-_\s]/g, '');
  const exact = known.find((k) => norm(k) === norm(key));
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.min(3, Math.floor(norm(key).length / 4)));
  for (const k of known) {
    const d = editDistance(norm(k), norm(key));
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** Duplicate names and apps naming an unknown merchant, read from the raw file (when the schema already failed). */
function rawCrossChecks(raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const list = (key: string): Record<string, unknown>[] => {
    const v = (raw as Record<string, unknown>)[key];
    return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
  };
  const names = new Set<string>();
  list('merchants').forEach((m, i) => {
    if (typeof m['name'] !== 'string') return;
    if (names.has(m['name'])) issues.push({ path: `merchants[${i}].name`, message: `duplicate merchant name "${m['name']}"` });
    names.add(m['name']);
  });
  const apps = new Set<string>();
  list('apps').forEach((a, i) => {
    if (typeof a['name'] === 'string') {
      if (apps.has(a['name'])) issues.push({ path: `apps[${i}].name`, message: `duplicate app name "${a['name']}"` });
      apps.add(a['name']);
    }
    if (typeof a['merchant'] === 'string' && names.size > 0 && !names.has(a['merchant'])) {
      issues.push({ path: `apps[${i}].merchant`, message: `unknown merchant "${a['merchant']}" (merchants: ${[...names].join(', ')})` });
    }
  });
  return issues;
}

function joinPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function describe(issue: z.core.$ZodIssue, raw: unknown): string {
  if (issue.code === 'invalid_type') {
    const actual = valueAt(raw, issue.path);
    if (actual === undefined) return 'is required';
    // zod reports a fraction given to .int() as an invalid type "int".
    if (issue.expected === 'int' && typeof actual === 'number')
      return issue.message.startsWith('Invalid input') ? 'must be an integer' : issue.message;
    const expected = issue.expected === 'object' ? 'an object' : issue.expected === 'array' ? 'an array' : `a ${issue.expected}`;
    return `must be ${expected}, not ${typeName(actual)}`;
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (issue.code === 'invalid_union') return issue.message.startsWith('Invalid input') ? 'must be an http(s) URL or ""' : issue.message;
  if (issue.code === 'too_small' && issue.origin === 'number') {
    return `must be ${issue.inclusive === false ? 'above' : 'at least'} ${String(issue.minimum)}`;
  }
  if (issue.code === 'too_big' && issue.origin === 'number') return `must be at most ${String(issue.maximum)}`;
  return issue.message;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
