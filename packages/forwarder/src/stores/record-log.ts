import { crc32 } from 'node:zlib';
import { readSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

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
  return crc32(payload) >>> 0 === data.readUInt32BE(offset + 4) ? length : -1;
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
  /** Where each payload starts within `buffer`. */
  readonly starts: number[];
  resolve(written: Appended): void;
  reject(error: unknown): void;
}

/** Where {@link GroupCommitWriter.append} put its payloads. */
export interface Appended {
  /** The file they were written to (see {@link GroupCommitWriter.generation}). */
  readonly generation: number;
  /** File offset of each payload (after its header). */
  readonly offsets: number[];
}

/** fsyncs allowed in flight at once; further batches gather behind them (group commit). */
const SYNCS_IN_FLIGHT = 2;

/**
 * Appends framed records with group commit: appends queued while the file is being synced are
 * gathered into one write and one fsync. Each `append` resolves once its bytes, and every byte
 * appended before them, are on stable storage.
 *
 * The write itself is a synchronous `write(2)` into the page cache (tens of microseconds; a trip
 * through libuv's thread pool costs more than the copy under CPU contention), and the fsync runs
 * in the thread pool. A batch is written and its fsync started while the previous fsync is still
 * running (at most {@link SYNCS_IN_FLIGHT}), so an append waits for about one fsync rather than
 * for the one in flight and then its own. Batches resolve in file order, and none resolves after
 * an earlier fsync failed.
 */
export class GroupCommitWriter {
  #file: FileHandle;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #exclusive: (() => Promise<void>)[] = [];
  #failed: unknown;
  #size: number;
  #generation = 0;
  /** Settles once every batch written so far is durable (or their writer failed). */
  #durable: Promise<void> = Promise.resolve();
  #syncing = new Set<Promise<void>>();
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

  /** The file appended to now. */
  get file(): FileHandle {
    return this.#file;
  }

  /** Counts the files swapped in; offsets are only meaningful in the generation that produced them. */
  get generation(): number {
    return this.#generation;
  }

  /** Set once a write or fsync failed; every later append rejects with it. */
  get failure(): unknown {
    return this.#failed;
  }

  /** Queues framed payloads; resolves, once they are fsynced, with where they were written. */
  append(payloads: readonly Uint8Array[]): Promise<Appended> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const frames = payloads.map((p) => encodeRecord(p));
    const starts: number[] = [];
    let at = 0;
    for (const f of frames) {
      starts.push(at + HEADER_BYTES);
      at += f.length;
    }
    const buffer = frames.length === 1 ? frames[0]! : Buffer.concat(frames, at);
    const done = new Promise<Appended>((resolve, reject) => this.#queue.push({ buffer, starts, resolve, reject }));
    this.#kick();
    return done;
  }

  /**
   * Runs `task` between batches, with no write or fsync in flight (used for compaction). A file
   * handed to `swap` replaces the current one, which is closed once the task is done.
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
            this.#generation++;
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

  /** Waits for queued writes and their fsyncs, then closes the file. */
  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    await this.#durable.catch(() => undefined);
    await this.#file.close();
  }

  #kick(): void {
    if (this.#flushing) return;
    this.#flushing = this.#drain().finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length > 0 || this.#exclusive.length > 0) this.#kick();
    });
  }

  #fail(error: unknown): void {
    this.#failed ??= error;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#exclusive.length > 0) {
      if (this.#exclusive.length > 0) {
        await this.#durable.catch(() => undefined);
        await this.#exclusive.shift()!();
        continue;
      }
      if (this.#syncing.size >= SYNCS_IN_FLIGHT) {
        await Promise.race(this.#syncing);
        continue;
      }
      const batch = this.#queue;
      this.#queue = [];
      if (this.#failed !== undefined) {
        for (const p of batch) p.reject(this.#failed);
        continue;
      }
      const buffer = batch.length === 1 ? batch[0]!.buffer : Buffer.concat(batch.map((p) => p.buffer));
      const base = this.#size;
      const generation = this.#generation;
      try {
        writeAllSync(this.#file.fd, buffer);
      } catch (error) {
        this.#fail(error);
        for (const p of batch) p.reject(error);
        continue;
      }
      this.#size += buffer.length;
      const sync = this.#file.datasync().then(() => {
        this.syncs++;
      });
      const durable = Promise.all([this.#durable, sync]).then(
        () => {
          let at = base;
          for (const p of batch) {
            p.resolve({ generation, offsets: p.starts.map((s) => at + s) });
            at += p.buffer.length;
          }
        },
        (error: unknown) => {
          this.#fail(error);
          for (const p of batch) p.reject(this.#failed);
          throw this.#failed;
        },
      );
      durable.catch(() => undefined);
      this.#durable = durable;
      const settled = sync.catch(() => undefined).finally(() => this.#syncing.delete(settled));
      this.#syncing.add(settled);
    }
  }
}

/** Writes all of `data` at the end of the file `fd` was opened on (for appending). */
function writeAllSync(fd: number, data: Uint8Array): void {
  let written = 0;
  while (written < data.length) written += writeSync(fd, data, written, data.length - written, null);
}

/**
 * Reads the payload of the record whose payload starts at `offset` (as {@link Appended} reports
 * it) from `source`, a whole log in memory or an open file descriptor, and checks its CRC. Reads
 * are synchronous on purpose: they are small, usually served from the page cache, and nothing can
 * swap the file between finding an offset and reading it.
 */
export function readRecordAt(source: Buffer | number, offset: number, length: number): Buffer {
  const start = offset - HEADER_BYTES;
  let frame: Buffer;
  if (typeof source === 'number') {
    frame = Buffer.allocUnsafe(HEADER_BYTES + length);
    let got = 0;
    while (got < frame.length) {
      const n = readSync(source, frame, got, frame.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    if (got < frame.length) throw new Error(`record at ${offset} is cut short`);
  } else {
    frame = source.subarray(start, offset + length);
  }
  if (validAt(frame, 0) !== length) throw new Error(`record at ${offset} fails its checksum`);
  return frame.subarray(HEADER_BYTES);
}

/** Copies `[from, to)` of `source` to the end of `target` (opened for appending), in 1 MiB reads. */
export async function copyRange(source: FileHandle, from: number, to: number, target: FileHandle): Promise<void> {
  const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, Math.max(0, to - from)));
  let at = from;
  while (at < to) {
    const { bytesRead } = await source.read(chunk, 0, Math.min(chunk.length, to - at), at);
    if (bytesRead === 0) throw new Error(`the log ends at ${at}, before ${to}`);
    await writeAll(target, chunk.subarray(0, bytesRead));
    at += bytesRead;
  }
}

/** Writes all of `data` at the end of `file` (opened for appending). */
export async function writeAll(file: FileHandle, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await file.write(data, written, data.length - written, null);
    written += bytesWritten;
  }
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
