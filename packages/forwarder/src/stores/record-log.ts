import { crc32 } from 'node:zlib';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The on-disk framing of the file store: each record is `[u32 length][u32 crc32][payload]`,
 * big-endian, the CRC taken over the payload. A record is only trusted when both agree.
 */
export const HEADER_BYTES = 8;
/** Largest payload accepted; anything claiming more is corruption. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** Frames one payload. */
export function encodeRecord(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.byteLength);
  out.writeUInt32BE(payload.byteLength, 0);
  out.writeUInt32BE(crc32(payload) >>> 0, 4);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** A region of the file that is not a valid record. */
export interface BadRegion {
  readonly offset: number;
  readonly bytes: Buffer;
}

/** What {@link scanRecords} found. */
export interface ScanResult {
  /** Valid payloads, in file order. */
  readonly records: Buffer[];
  /** Corrupt regions followed by valid records (kept for inspection). */
  readonly bad: BadRegion[];
  /** Where valid data ends; bytes after it are a torn tail. */
  readonly validEnd: number;
  /** Bytes of a torn last record (an interrupted write), 0 when the file ends cleanly. */
  readonly tornBytes: number;
}

function validAt(data: Buffer, offset: number): number {
  if (offset + HEADER_BYTES > data.length) return -1;
  const length = data.readUInt32BE(offset);
  if (length > MAX_RECORD_BYTES || offset + HEADER_BYTES + length > data.length) return -1;
  const payload = data.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
  return (crc32(payload) >>> 0) === data.readUInt32BE(offset + 4) ? length : -1;
}

/**
 * Reads every valid record. A record that fails its length or CRC check is resynchronised past:
 * the scan looks for the next offset where a valid record starts. Corrupt bytes followed by
 * valid records are reported in `bad`; corrupt bytes at the end are a torn tail.
 */
export function scanRecords(data: Buffer): ScanResult {
  const records: Buffer[] = [];
  const bad: BadRegion[] = [];
  let offset = 0;
  while (offset < data.length) {
    const length = validAt(data, offset);
    if (length >= 0) {
      records.push(data.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length));
      offset += HEADER_BYTES + length;
      continue;
    }
    let next = offset + 1;
    while (next < data.length && validAt(data, next) < 0) next++;
    if (next >= data.length) return { records, bad, validEnd: offset, tornBytes: data.length - offset };
    bad.push({ offset, bytes: Buffer.from(data.subarray(offset, next)) });
    offset = next;
  }
  return { records, bad, validEnd: offset, tornBytes: 0 };
}

interface Pending {
  readonly buffer: Buffer;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Appends framed records with group commit: writes queued while a write+fsync is in flight are
 * batched into the next single write and fsync, so concurrent callers share one fsync. Each
 * `append` resolves once its bytes are on stable storage.
 */
export class GroupCommitWriter {
  #file: FileHandle;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #exclusive: (() => Promise<void>)[] = [];
  #failed: unknown;
  #size: number;
  /** fsync calls made; exposed for tests and metrics. */
  syncs = 0;

  constructor(file: FileHandle, size: number) {
    this.#file = file;
    this.#size = size;
  }

  /** Bytes in the file. */
  get size(): number {
    return this.#size;
  }

  /** Set once a write or fsync failed; every later append rejects with it. */
  get failure(): unknown {
    return this.#failed;
  }

  append(payloads: readonly Uint8Array[]): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const buffer = Buffer.concat(payloads.map((p) => encodeRecord(p)));
    const done = new Promise<void>((resolve, reject) => this.#queue.push({ buffer, resolve, reject }));
    this.#kick();
    return done;
  }

  /**
   * Runs `task` between batches, with no write in flight (used for compaction). A file handed to
   * `swap` replaces the current one, which is closed once the task is done.
   */
  exclusive(task: (swap: (file: FileHandle, size: number) => void) => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#exclusive.push(async () => {
        const replaced: FileHandle[] = [];
        try {
          await task((file, size) => {
            replaced.push(this.#file);
            this.#file = file;
            this.#size = size;
          });
          resolve();
        } catch (error) {
          reject(error);
        } finally {
          await Promise.all(replaced.map((old) => old.close().catch(() => undefined)));
        }
      });
      this.#kick();
    });
  }

  /** Waits for queued writes, then closes the file. */
  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    await this.#file.close();
  }

  #kick(): void {
    if (this.#flushing) return;
    this.#flushing = this.#drain().finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length > 0 || this.#exclusive.length > 0) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#exclusive.length > 0) {
      const task = this.#exclusive.shift();
      if (task) {
        await task();
        continue;
      }
      const batch = this.#queue;
      this.#queue = [];
      if (this.#failed !== undefined) {
        for (const p of batch) p.reject(this.#failed);
        continue;
      }
      try {
        const buffer = batch.length === 1 ? batch[0]!.buffer : Buffer.concat(batch.map((p) => p.buffer));
        let written = 0;
        while (written < buffer.length) {
          const { bytesWritten } = await this.#file.write(buffer, written, buffer.length - written, null);
          written += bytesWritten;
        }
        this.#size += buffer.length;
        await this.#file.datasync();
        this.syncs++;
        for (const p of batch) p.resolve();
      } catch (error) {
        this.#failed = error;
        for (const p of batch) p.reject(error);
      }
    }
  }
}

/** Writes `data` to `path` atomically: a temporary file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const file = await open(tmp, 'w', 0o600);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
}

/** fsyncs a directory so a create or rename in it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is as durable as they allow.
  } finally {
    await handle.close();
  }
}
