import { readFileSync } from 'node:fs';
import type { PinoLogger } from './logger.js';

/** Where the CLI writes, what it reads, and how it waits for a stop signal. */
export interface CliContext {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the process is asked to stop (SIGTERM, SIGINT). */
  readonly stopSignal: Promise<string>;
  /** Logger for the serving commands; default pino on stdout. */
  readonly logger?: PinoLogger;
  /** True when `err` writes to a terminal: `reconcile` then shows a progress line there. */
  readonly errIsTTY?: boolean;
}

/** The package version, read from its package.json (beside src/ and dist/). */
export function gatewayVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
