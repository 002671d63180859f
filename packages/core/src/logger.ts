/** The logging surface wxpay-kit writes to; pino, console and most loggers fit it. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything (`logger: false` means it). */
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
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: maskSecrets(value.message, depth + 1) };
    if (value.cause !== undefined) out['cause'] = maskSecrets(value.cause, depth + 1);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '[redacted]' : maskSecrets(v, depth + 1);
  return out;
}

/** Wraps a logger so every object passes through {@link maskSecrets} first. */
export function maskingLogger(inner: Logger): Logger {
  // Nothing reaches the silent logger, so there is nothing to mask (and no per-call copying).
  if (inner === silentLogger) return silentLogger;
  // A level the inner logger turned off (the default logger's no-op) stays a no-op: nothing is copied.
  const wrap = (level: keyof Logger) =>
    inner[level] === noop ? noop : (obj: object, msg?: string): void => inner[level](maskSecrets(obj) as object, msg);
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

/** Levels of the default logger, lowest first; `silent` writes nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVELS: readonly Exclude<LogLevel, 'silent'>[] = ['debug', 'info', 'warn', 'error'];

/** `LOG_LEVEL` values pino and most tools use, mapped onto ours (`trace` → debug, `fatal` → error). */
const LEVEL_ALIASES: Readonly<Record<string, LogLevel>> = {
  trace: 'debug',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'error',
  silent: 'silent',
  off: 'silent',
  none: 'silent',
};

/** The level named by `value` (`LOG_LEVEL`), or undefined when it names none. */
export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  return value === undefined ? undefined : LEVEL_ALIASES[value.trim().toLowerCase()];
}

/** Where the default logger writes: `process.stderr`, or anything with a `write(line)`. */
export interface LogSink {
  write(line: string): unknown;
}

/** Options of {@link createStderrLogger}. */
export interface StderrLoggerOptions {
  /** Lowest level written. Default `LOG_LEVEL` from the environment, else `warn`. */
  readonly level?: LogLevel;
  /** Default `process.stderr`. */
  readonly stream?: LogSink;
  /** Prefix of every line. Default `wxpay-kit`. */
  readonly name?: string;
}

/** A level method that writes nothing; a masking wrapper passes it through without copying anything. */
const noop = (): void => {};

const MAX_LINE = 2000;

/** A masked error (`{name, message, cause?}`) as `Name: message (cause: Name: message)`, or undefined for other values. */
function errorText(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const e = value as { name?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.message !== 'string' || typeof e.name !== 'string') return undefined;
  const cause =
    e.cause === undefined ? '' : ` (cause: ${errorText(e.cause) ?? (typeof e.cause === 'string' ? e.cause : JSON.stringify(e.cause))})`;
  return `${e.name}: ${e.message}${cause}`;
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value !== null && typeof value === 'object') return JSON.stringify(errorText(value) ?? value);
  return String(value);
}

/** `msg key=value key=value`, on one line (newlines in values are escaped), at most 2,000 characters. */
export function formatLogLine(name: string, level: string, obj: object, msg: string | undefined): string {
  let line = `${name} ${level}: ${msg ?? ''}`;
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    line += ` ${key}=${fieldText(value)}`;
  }
  line = line.replace(/[\r\n]+/g, ' ');
  return `${line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line}\n`;
}

/**
 * The default logger: one line per entry on stderr (`wxpay-kit warn: <message> key=value …`) for
 * `warn` and `error`, secrets masked as {@link maskSecrets} does. `LOG_LEVEL` (`debug`, `info`, `warn`,
 * `error`, `silent`) changes the level; pass `logger: false` (or {@link silentLogger}) to silence it,
 * or your own logger (pino, console) to take its place.
 *
 * @example
 * const logger = createStderrLogger({ level: 'info' });
 * logger.warn({ app: 'shop' }, 'something to fix'); // wxpay-kit warn: something to fix app=shop
 */
export function createStderrLogger(options: StderrLoggerOptions = {}): Logger {
  const level = options.level ?? parseLogLevel(process.env['LOG_LEVEL']) ?? 'warn';
  const name = options.name ?? 'wxpay-kit';
  const min = level === 'silent' ? LEVELS.length : LEVELS.indexOf(level);
  const write =
    (lvl: Exclude<LogLevel, 'silent'>) =>
    (obj: object, msg?: string): void => {
      const stream = options.stream ?? process.stderr;
      try {
        stream.write(formatLogLine(name, lvl, maskSecrets(obj) as object, msg));
      } catch {
        // A logger never throws into the code that logs.
      }
    };
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (LEVELS.indexOf(lvl) >= min ? write(lvl) : noop);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * The logger an instance uses: `false` → {@link silentLogger}; a logger → itself; undefined → a
 * {@link createStderrLogger} at `LOG_LEVEL` (default `warn`).
 */
export function loggerOrDefault(logger: Logger | false | undefined, name?: string): Logger {
  if (logger === false) return silentLogger;
  return logger ?? createStderrLogger(name === undefined ? {} : { name });
}
