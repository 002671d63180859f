import { readFileSync } from 'node:fs';

/** `version` of the package.json at `specifier` (relative to this module, or a file: URL); `unknown` when it has none. */
export function packageVersion(specifier: string): string {
  const pkg = JSON.parse(readFileSync(new URL(specifier, import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** This package's version (the gateway's). */
export function gatewayVersion(): string {
  return packageVersion('../package.json');
}
