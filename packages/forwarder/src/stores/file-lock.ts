import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '@wxpay-kit/core';

/** The lock file's name in the store's directory; it holds the owner's pid. */
const LOCK = 'LOCK';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Directories locked by this process. Process-wide on purpose (shared by ESM and CJS copies): a
 * lock file holding our own pid is ours only if we took it, otherwise it is left over from an
 * earlier process that had the same pid (common in containers).
 */
const held: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('wxpay-kit.file-store.locks')] ??=
  new Set<string>()) as Set<string>;

/**
 * Makes this process the one owner of the store in `dir`: creates `LOCK` with our pid, or takes
 * it over when the pid in it is no live process (or is ours without our having taken it).
 * Throws a {@link StoreError} when another live process, or another store of this one, holds it.
 */
export async function takeLock(dir: string): Promise<void> {
  const path = join(dir, LOCK);
  if (held.has(path)) {
    throw new StoreError(`@wxpay-kit/forwarder: the file store in ${dir} is already open in this process`);
  }
  for (let i = 0; i < 2; i++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      held.add(path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new StoreError(
          `@wxpay-kit/forwarder: the file store in ${dir} is in use by process ${holder}; open it with readOnly to inspect it`,
        );
      }
      await rm(path, { force: true });
    }
  }
  throw new StoreError(`@wxpay-kit/forwarder: could not lock the file store in ${dir}`);
}

/** Gives up the lock taken by {@link takeLock}. */
export async function releaseLock(dir: string): Promise<void> {
  const path = join(dir, LOCK);
  await rm(path, { force: true });
  held.delete(path);
}
