/** The logging surface wxpay-kit writes to; pino, console and most loggers fit it. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything: the default. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

const SECRET_KEYS =
  /^(api_?(v3_?)?key|key|sign|pay_?sign|sign_?key|sandbox_?(sign_?)?key|passphrase|password|secret|client_?secret|token|bearer_?token|access_?token|authorization|cookie|pfx|cert|private_?key|req_info)$/i;
const PEM = /-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----/g;

/** Replaces secret-looking fields and PEM blocks with `[redacted]`, recursively. */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[…]';
  if (typeof value === 'string') return value.replace(PEM, '[redacted pem]');
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: maskSecrets(value.message, depth + 1) };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '[redacted]' : maskSecrets(v, depth + 1);
  return out;
}

/** Wraps a logger so every object passes through {@link maskSecrets} first. */
export function maskingLogger(inner: Logger): Logger {
  // Nothing reaches the silent logger, so there is nothing to mask (and no per-call copying).
  if (inner === silentLogger) return silentLogger;
  const wrap =
    (level: keyof Logger) =>
    (obj: object, msg?: string): void =>
      inner[level](maskSecrets(obj) as object, msg);
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
