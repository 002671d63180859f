import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

/** Options of {@link createGatewayLogger}. */
export interface GatewayLoggerOptions {
  /** `trace` … `fatal`, or `silent`. Default `info` (env `LOG_LEVEL`). */
  readonly level?: string;
  /** Where JSON lines go; default stdout. */
  readonly destination?: DestinationStream;
}

/**
 * Paths pino censors in every line, on top of the core's own masking (which already hides keys,
 * signatures, certificates and `req_info` before anything reaches the logger).
 */
export const REDACT_PATHS: readonly string[] = [
  'apiKey',
  '*.apiKey',
  'mch-app-key',
  '*.mch-app-key',
  'sandboxKey',
  '*.sandboxKey',
  'passphrase',
  '*.passphrase',
  'mch-cert-passphrase',
  '*.mch-cert-passphrase',
  'apiV3Key',
  '*.apiV3Key',
  'wxpay-v3-key',
  '*.wxpay-v3-key',
  'privateKey',
  '*.privateKey',
  'bearerToken',
  '*.bearerToken',
  'headers.authorization',
  '*.headers.authorization',
  'secret',
  '*.secret',
];

/**
 * The gateway's structured logger: pino, one JSON object per line, secrets censored.
 *
 * @example
 * ```ts
 * const log = createGatewayLogger({ level: 'debug' });
 * log.info({ port: 7080 }, 'listening');
 * ```
 */
export function createGatewayLogger(options: GatewayLoggerOptions = {}): PinoLogger {
  const level = options.level ?? process.env['LOG_LEVEL'] ?? 'info';
  const base = { level, base: { service: 'wxpay-gateway' }, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } };
  return options.destination ? pino(base, options.destination) : pino(base);
}

export type { PinoLogger };
