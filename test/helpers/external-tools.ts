/**
 * The programs some suites need besides Node: `redis-server`, Chromium and `openssl`.
 * `npm test` installs them first where it can (scripts/test-deps.mjs: apt-get as root). Where it
 * could not, a suite that needs one calls {@link skipWithout}: the suite is skipped, and one line
 * on stderr names the program and how to install it. The detection rules match the script's.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export type ExternalTool = 'redis-server' | 'chromium' | 'openssl';

/** How to install each program (the Debian package has the same name). */
export const INSTALL_HINT: Record<ExternalTool, string> = {
  'redis-server': 'apt-get install -y redis-server',
  chromium: 'apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium binary)',
  openssl: 'apt-get install -y openssl',
};

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The Chromium binary: `CHROMIUM_PATH` when set, else `chromium` or `chromium-browser` on the PATH. */
export function chromiumPath(): string | undefined {
  const configured = process.env['CHROMIUM_PATH'];
  if (configured) return isExecutable(configured) ? configured : undefined;
  return onPath('chromium') ?? onPath('chromium-browser');
}

const found = new Map<ExternalTool, boolean>();

/** True when `tool` can be run here. */
export function hasTool(tool: ExternalTool): boolean {
  let ok = found.get(tool);
  if (ok === undefined) {
    if (tool === 'chromium') ok = chromiumPath() !== undefined;
    else ok = spawnSync(tool, [tool === 'openssl' ? 'version' : '--version'], { stdio: 'ignore' }).status === 0;
    found.set(tool, ok);
  }
  return ok;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Lines already written for this test file (one per file and program set). */
const said = new Set<string>();

/**
 * True when one of `tools` is missing, after writing one line to stderr that names the suite,
 * the missing programs and how to install them. Use it as `describe.skipIf(skipWithout(...))`.
 *
 * @param suite `import.meta.url` of the test file; default the file vitest is running
 * @param what what is skipped, when it is not the whole file (e.g. "the Redis variants")
 */
export function skipWithout(suite: string | undefined, tools: readonly ExternalTool[], what?: string): boolean {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) return false;
  const path = suite ? fileURLToPath(suite) : (expect.getState().testPath ?? '(unknown test file)');
  const file = relative(ROOT, path);
  const names = missing.join(', ');
  if (said.has(`${path}\n${names}`)) return true;
  said.add(`${path}\n${names}`);
  const hints = missing.map((t) => INSTALL_HINT[t]).join('; ');
  process.stderr.write(
    `\n!!! SKIPPED ${what ? `${what} of ${file}` : file}: ${names} not installed. Install: ${hints} ` +
      `(npm test installs it itself when run as root on Debian/Ubuntu).\n`,
  );
  return true;
}
