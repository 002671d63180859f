import { mkdir, open, readFile, rename, rm, writeFile, appendFile } from 'node:fs/promises';
import { readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StoreError, silentLogger, type ClaimResult, type Logger, type OrderRecord } from '@wxpay-kit/core';
import type {
  AttemptFailure,
  ForwarderStore,
  LeaseOptions,
  ListOptions,
  NewOutboxRecord,
  OutboxRecord,
  OutboxStats,
} from '../outbox.js';
import { DueQueue } from './due-queue.js';
import { RETAIN_RECORDS_MS } from './retention.js';
import { ImageTable } from './image-table.js';
import {
  GroupCommitWriter,
  HEADER_BYTES,
  copyRange,
  encodeRecord,
  readRecordAt,
  scanRecords,
  syncDir,
  writeAll,
  type Appended,
} from './record-log.js';

/** Options of {@link createFileStore}. */
export interface FileStoreOptions {
  /** Directory holding the log (`outbox.log`), its lock and any side files of corrupt records. */
  readonly dir: string;
  /** Clock in epoch ms, for leases and retention. Default `Date.now`. */
  readonly now?: () => number;
  readonly logger?: Logger;
  /**
   * Opens without the lock and refuses every change: for inspecting the store of a running
   * process (the CLI's `status` and `list`).
   */
  readonly readOnly?: boolean;
  /** Compaction runs once the log exceeds this many bytes and twice its size after the last compaction. Default 4 MiB. */
  readonly compactBytes?: number;
  /** How long delivered records stay available for replay, in ms. Default 7 days. */
  readonly retainDeliveredMs?: number;
  /**
   * How long handled dedup keys are remembered, in ms. Default 7 days (WeChat stops delivering a
   * notification after about 24 hours).
   */
  readonly retainDedupMs?: number;
  /**
   * How long the orders create-pay recorded and the refunds create-refund recorded are kept to
   * check notifications against, in ms. Default {@link RETAIN_RECORDS_MS} (372 days): WeChat
   * accepts refunds for a year after payment, so the records outlive the refund window. A result
   * whose record is gone is still delivered, marked `recordChecked: false`.
   */
  readonly retainRecordsMs?: number;
}

/** The embedded store: an append-only, checksummed, fsynced log. See {@link createFileStore}. */
export interface FileStore extends ForwarderStore {
  /**
   * Rewrites the log with only the live state, atomically, dropping what is past its retention.
   * Runs on its own when the log grows; appends wait only for its last step.
   */
  compact(): Promise<void>;
  /** fsync calls so far (concurrent changes share one). */
  readonly syncs: number;
  readonly dir: string;
}

interface MutableRecord {
  id: string;
  app: string;
  event: OutboxRecord['event'];
  body: string;
  createdAt: number;
  state: OutboxRecord['state'];
  attempts: number;
  since: number;
  nextAttemptAt: number;
  finishedAt?: number | undefined;
  lastStatus?: number | undefined;
  lastError?: string | undefined;
}

interface DedupEntry {
  done: boolean;
  leaseUntil: number;
  claims: number;
  at: number;
}

type Op =
  | { t: 'rec'; r: MutableRecord }
  | { t: 'ok'; id: string; at: number; attempts: number; status: number }
  | { t: 'retry'; id: string; at: number; attempts: number; next: number; status?: number | undefined; error: string }
  | { t: 'dead'; id: string; at: number; attempts: number; status?: number | undefined; error: string }
  | { t: 'replay'; id: string; at: number }
  | { t: 'key'; k: string; e: DedupEntry }
  | { t: 'rel'; k: string }
  | { t: 'order'; k: string; o: OrderRecord };

const LOG = 'outbox.log';
const LOCK = 'LOCK';
const DAY = 86_400_000;
const MINUTE = 60_000;
/** A compaction fsyncs its copy every this many bytes. */
const SNAPSHOT_SYNC_BYTES = 4 * 1024 * 1024;

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

async function takeLock(dir: string): Promise<void> {
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

/**
 * The embedded store: the core's dedup store and the forwarder's outbox in one append-only file
 * (`<dir>/outbox.log`). Every change is appended as a length- and CRC-framed record and fsynced
 * before its promise resolves; changes made while an fsync is running share the next one (group
 * commit). On open, a torn last record (the process died mid-write) is cut off, and corrupt
 * records in the middle are skipped and copied to `outbox.log.bad-<time>` with a warning.
 *
 * Memory holds what must be at hand: pending records whole, and for the rest an index. A delivered
 * or dead record costs its id and about 30 bytes (where its image lies in the log), and its body is
 * read back from the log by `get`, `list` and `replay`; a handled dedup key costs the key and a
 * number. Delivered records and handled keys are kept for their retention (7 days by default), so
 * memory grows with the traffic of that window, by roughly 100 to 250 bytes a notification. Orders
 * and refunds recorded to check notifications against are kept whole for a year and a week
 * ({@link RETAIN_RECORDS_MS}), about 300 bytes each (docs/reliability.md has the measurement).
 *
 * The log is compacted as it grows: the live state is written to `outbox.log.compact` while
 * appends go on to the log; then appends are held only while what was appended meanwhile is copied
 * over, synced, and the copy renamed into place. A copy left by a crash is removed on open.
 *
 * One process owns a directory at a time (a `LOCK` file holding its pid); leases still held
 * when it opens belonged to a process that died, so they end at once.
 *
 * @example
 * const store = await createFileStore({ dir: './var/wxpay' });
 * const wxpay = createWxPay({ ...options, store });
 * wxpay.use(forwarder({ store, apps: { shop: { payCallback: 'http://shop/paid', secret } } }));
 */
export async function createFileStore(options: FileStoreOptions): Promise<FileStore> {
  const dir = resolve(options.dir);
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const readOnly = options.readOnly ?? false;
  const compactBytes = options.compactBytes ?? 4 * 1024 * 1024;
  const retainDeliveredMs = options.retainDeliveredMs ?? 7 * DAY;
  const retainDedupMs = options.retainDedupMs ?? 7 * DAY;
  const retainRecordsMs = options.retainRecordsMs ?? RETAIN_RECORDS_MS;
  const logPath = join(dir, LOG);
  const compactPath = `${logPath}.compact`;

  // Pending records are held whole (the delivery engine needs them); delivered and dead ones are
  // a slot of `images` (the place of their full image in the log) and are read back on demand.
  // The map keeps creation order, which `list` relies on.
  const records = new Map<string, MutableRecord | number>();
  const images = new ImageTable();
  // Pending records by app, in the order they become due; `lease` checks each entry against its record.
  const dueByApp = new Map<string, DueQueue>();
  const leases = new Map<string, number>();
  // A handled key is only the minute it was handled, rounded up (retention needs no more); keys
  // still claimed keep their lease.
  const keys = new Map<string, DedupEntry | number>();
  const orders = new Map<string, OrderRecord>();
  /** Where images are read from: the log in memory while opening (and read-only), else its descriptor. */
  let source: Buffer | number = Buffer.alloc(0);

  function load(slot: number): MutableRecord {
    let op: Op;
    try {
      op = JSON.parse(readRecordAt(source, images.offset(slot), images.length(slot)).toString('utf8')) as Op;
    } catch (error) {
      throw new StoreError('@wxpay-kit/forwarder: a record could not be read back from the outbox log', { cause: error });
    }
    if (op.t !== 'rec') throw new StoreError('@wxpay-kit/forwarder: the outbox log does not hold a record where expected');
    return op.r;
  }

  /** The record, whole: from memory, or read back from the log. */
  function full(value: MutableRecord | number): MutableRecord {
    return typeof value === 'number' ? load(value) : value;
  }

  function stateOf(value: MutableRecord | number): OutboxRecord['state'] {
    return typeof value === 'number' ? images.state(value) : value.state;
  }

  function entryOf(value: DedupEntry | number | undefined): DedupEntry | undefined {
    return typeof value === 'number' ? { done: true, leaseUntil: 0, claims: 1, at: value * MINUTE } : value;
  }

  /** Puts `r` in place of the record with its id; pending records are indexed for leasing. */
  function place(r: MutableRecord): MutableRecord {
    const previous = records.get(r.id);
    if (typeof previous === 'number') images.free(previous);
    records.set(r.id, r);
    if (r.state === 'pending') {
      let queue = dueByApp.get(r.app);
      if (!queue) dueByApp.set(r.app, (queue = new DueQueue()));
      queue.push(r.id, r.nextAttemptAt);
    } else {
      leases.delete(r.id);
    }
    return r;
  }

  /** Keeps a finished record on disk only, once its full image is at `offset`. */
  function demote(r: MutableRecord, offset: number, length: number): void {
    if (records.get(r.id) !== r || r.state === 'pending') return;
    records.set(r.id, images.add(offset, length, r.finishedAt ?? 0, r.state));
  }

  /**
   * Applies one operation to the state in memory. Every operation sets absolute values, so applying
   * a suffix of the log again over a state that already holds part of it changes nothing: this is
   * what lets compaction snapshot the state while appends go on. Records are replaced, never
   * changed in place, once they finish, so an object in the map stands for one version.
   * `at` is the payload's place in the log, when known.
   */
  function apply(op: Op, at?: { offset: number; length: number }): MutableRecord | undefined {
    switch (op.t) {
      case 'rec': {
        // Records are never changed in place, so the operation's own object can be kept.
        const r = place(op.r);
        if (at && r.state !== 'pending') demote(r, at.offset, at.length);
        return r;
      }
      case 'ok':
      case 'dead':
      case 'retry':
      case 'replay': {
        const value = records.get(op.id);
        if (value === undefined) return undefined;
        const r = { ...full(value) };
        if (op.t === 'ok') Object.assign(r, { state: 'delivered', attempts: op.attempts, finishedAt: op.at, lastStatus: op.status, lastError: undefined });
        else if (op.t === 'dead') Object.assign(r, { state: 'dead', attempts: op.attempts, finishedAt: op.at, lastStatus: op.status, lastError: op.error });
        else if (op.t === 'retry') Object.assign(r, { state: 'pending', attempts: op.attempts, nextAttemptAt: op.next, lastStatus: op.status, lastError: op.error });
        else Object.assign(r, { state: 'pending', attempts: 0, since: op.at, nextAttemptAt: op.at, finishedAt: undefined });
        return place(r);
      }
      case 'key':
        keys.set(op.k, op.e.done ? Math.ceil(op.e.at / MINUTE) : { ...op.e });
        return undefined;
      case 'rel':
        keys.delete(op.k);
        return undefined;
      case 'order':
        orders.set(op.k, op.o);
        return undefined;
    }
  }

  await mkdir(dir, { recursive: true });
  if (!readOnly) {
    await takeLock(dir);
    // A compaction that was cut short never replaced the log; its unfinished copy is dropped.
    await rm(compactPath, { force: true });
  }

  let data: Buffer;
  try {
    data = await readFile(logPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    data = Buffer.alloc(0);
  }
  source = data;
  const scan = scanRecords(data);
  const badChunks: Buffer[] = scan.bad.map((b) => b.bytes);
  for (const payload of scan.records) {
    let op: Op;
    try {
      op = JSON.parse(payload.toString('utf8')) as Op;
      if (typeof op !== 'object' || op === null || typeof op.t !== 'string') throw new Error('not an operation');
    } catch {
      badChunks.push(encodeRecord(payload));
      continue;
    }
    apply(op, { offset: payload.byteOffset - data.byteOffset, length: payload.length });
  }
  if (badChunks.length > 0) {
    const side = `${logPath}.bad-${now()}`;
    logger.warn(
      { dir, regions: badChunks.length, bytes: badChunks.reduce((n, b) => n + b.length, 0), sideFile: side },
      '@wxpay-kit/forwarder: skipped malformed records in the outbox log; they are kept in the side file',
    );
    if (!readOnly) await appendFile(side, Buffer.concat(badChunks), { mode: 0o600 });
  }
  if (scan.tornBytes > 0) {
    logger.warn(
      { dir, bytes: scan.tornBytes, offset: scan.validEnd },
      '@wxpay-kit/forwarder: the last outbox record was torn by an interrupted write; it was cut off',
    );
  }

  if (!readOnly) {
    // The directory is locked to one process, so a dedup lease found on open was held by a process
    // that died: it ends now, and the next claim of its key is a redelivery.
    for (const entry of keys.values()) if (typeof entry !== 'number') entry.leaseUntil = 0;
  }

  let writer: GroupCommitWriter | undefined;
  if (!readOnly) {
    const file = await open(logPath, 'a+', 0o600);
    if (scan.tornBytes > 0) {
      await file.truncate(scan.validEnd);
      await file.sync();
    }
    await syncDir(dir);
    writer = new GroupCommitWriter(file, scan.validEnd);
    source = file.fd;
    data = Buffer.alloc(0);
  }
  let lastCompactedSize = scan.validEnd;
  let compacting: Promise<void> | undefined;
  let closed = false;

  function check(): GroupCommitWriter {
    if (readOnly || !writer) throw new StoreError('@wxpay-kit/forwarder: the file store was opened read-only');
    if (closed) throw new StoreError('@wxpay-kit/forwarder: the file store is closed');
    if (writer.failure !== undefined) {
      throw new StoreError('@wxpay-kit/forwarder: the outbox log could not be written; restart to recover', {
        cause: writer.failure,
      });
    }
    return writer;
  }

  async function write(...ops: Op[]): Promise<void> {
    const w = check();
    const placed = ops.map((op) => apply(op));
    const payloads = ops.map((op) => Buffer.from(JSON.stringify(op), 'utf8'));
    let written: Appended;
    try {
      written = await w.append(payloads);
    } catch (error) {
      throw new StoreError('@wxpay-kit/forwarder: writing to the outbox log failed', { cause: error });
    }
    // A finished record's full image is on disk now: from here on it is read back from there. An
    // image written before a compaction swapped the file stays in memory until the next one.
    if (written.generation === w.generation) {
      ops.forEach((op, i) => {
        const r = placed[i];
        if (op.t === 'rec' && r && r.state !== 'pending') demote(r, written.offsets[i]!, payloads[i]!.length);
      });
    }
    if (w.size > compactBytes && w.size > 2 * lastCompactedSize && !compacting) {
      void compact().catch((error: unknown) =>
        logger.error({ dir, error }, '@wxpay-kit/forwarder: compaction of the outbox log failed'),
      );
    }
  }

  /**
   * Writes the live state to `<log>.compact` while appends go on to the log, then copies what was
   * appended meanwhile and renames the copy into place. Appends wait only for that last copy, an
   * fsync and the rename. Records, keys and orders past their retention are dropped.
   */
  async function rewrite(w: GroupCommitWriter): Promise<void> {
    const tailStart = w.size;
    const t = now();
    images.clearMoves();
    const out = await open(compactPath, 'ax+', 0o600);
    let swapped = false;
    try {
      let written = 0;
      let parts: Buffer[] = [];
      let partBytes = 0;
      let unsynced = 0;
      const flush = async (): Promise<void> => {
        if (partBytes === 0) return;
        const chunk = Buffer.concat(parts, partBytes);
        parts = [];
        partBytes = 0;
        await writeAll(out, chunk);
        // Synced as it goes: one flush of a large snapshot at the end would hold up the log's
        // fsyncs (and so every append) behind it on the same disk.
        unsynced += chunk.length;
        if (unsynced >= SNAPSHOT_SYNC_BYTES) {
          unsynced = 0;
          await out.datasync();
        }
      };
      const push = (frame: Buffer): number => {
        const at = written + HEADER_BYTES;
        parts.push(frame);
        partBytes += frame.length;
        written += frame.length;
        return at;
      };
      const pushOp = (op: Op): { offset: number; length: number } => {
        const frame = encodeRecord(Buffer.from(JSON.stringify(op), 'utf8'));
        return { offset: push(frame), length: frame.length - HEADER_BYTES };
      };
      const moved: { r: MutableRecord; offset: number; length: number }[] = [];
      // Images that lie one after the other in the log are copied verbatim with one read.
      const run = { start: 0, end: 0, slots: [] as number[] };
      const copyRun = (): void => {
        if (run.slots.length === 0) return;
        const bytes = Buffer.allocUnsafe(run.end - run.start);
        let got = 0;
        while (got < bytes.length) {
          const n = readSync(source as number, bytes, got, bytes.length - got, run.start + got);
          if (n === 0) throw new StoreError('@wxpay-kit/forwarder: the outbox log ends before a record it indexes');
          got += n;
        }
        const base = push(bytes) - HEADER_BYTES;
        for (let i = 0; i < run.slots.length; i += 2) images.moveTo(run.slots[i]!, base + run.slots[i + 1]! + HEADER_BYTES);
        run.slots = [];
      };
      // Map iterators see changes made while the snapshot yields; whatever they see is at least as
      // new as the tail start, and the tail, applied after the snapshot, ends in the current state.
      let n = 0;
      for (const id of records.keys()) {
        if (++n % 512 === 0 || partBytes > 1024 * 1024) {
          copyRun();
          await flush();
        }
        const value = records.get(id);
        if (value === undefined) continue;
        if (typeof value === 'number') {
          if (images.state(value) === 'delivered' && images.finishedAt(value) + retainDeliveredMs < t) {
            records.delete(id);
            images.free(value);
            continue;
          }
          const start = images.offset(value) - HEADER_BYTES;
          const end = images.offset(value) + images.length(value);
          if (run.slots.length > 0 && (start !== run.end || run.end - run.start > 1024 * 1024)) copyRun();
          if (run.slots.length === 0) run.start = start;
          run.slots.push(value, start - run.start);
          run.end = end;
          continue;
        }
        copyRun();
        if (value.state === 'delivered' && (value.finishedAt ?? 0) + retainDeliveredMs < t) {
          records.delete(id);
          continue;
        }
        const at = pushOp({ t: 'rec', r: value });
        if (value.state !== 'pending') moved.push({ r: value, ...at });
      }
      copyRun();
      for (const k of keys.keys()) {
        if (++n % 512 === 0 || partBytes > 1024 * 1024) await flush();
        const e = entryOf(keys.get(k));
        if (!e) continue;
        if (e.at + retainDedupMs < t && (e.done || e.leaseUntil < t)) {
          keys.delete(k);
          continue;
        }
        pushOp({ t: 'key', k, e });
      }
      for (const k of orders.keys()) {
        if (++n % 512 === 0 || partBytes > 1024 * 1024) await flush();
        const o = orders.get(k);
        if (!o) continue;
        if (o.createdAt + retainRecordsMs < t) {
          orders.delete(k);
          continue;
        }
        pushOp({ t: 'order', k, o });
      }
      await flush();
      const snapshotBytes = written;
      // Most of what was appended meanwhile is copied before appends are held.
      const middle = w.size;
      await copyRange(w.file, tailStart, middle, out);
      await out.datasync();
      await w.exclusive(async (swap) => {
        const end = w.size;
        await copyRange(w.file, middle, end, out);
        await out.datasync();
        if (!images.canRelocate(tailStart)) {
          throw new StoreError('@wxpay-kit/forwarder: compaction missed a record; the log was left as it was');
        }
        await rename(compactPath, logPath);
        swap(out, snapshotBytes + end - tailStart);
        swapped = true;
        images.relocate(tailStart, snapshotBytes);
        source = out.fd;
        for (const m of moved) demote(m.r, m.offset, m.length);
        lastCompactedSize = snapshotBytes + end - tailStart;
        await syncDir(dir);
      });
    } finally {
      if (!swapped) {
        images.clearMoves();
        await out.close().catch(() => undefined);
        await rm(compactPath, { force: true });
      }
    }
  }

  function compact(): Promise<void> {
    const w = check();
    compacting ??= rewrite(w).finally(() => {
      compacting = undefined;
    });
    return compacting;
  }

  // Legacy logs finished records with small operations; their images are written out now, so
  // that they are held on disk only.
  const finishedInMemory = (): boolean => {
    for (const value of records.values()) if (typeof value !== 'number' && value.state !== 'pending') return true;
    return false;
  };
  if (!readOnly && (badChunks.length > 0 || finishedInMemory())) await compact();

  function view(r: MutableRecord): OutboxRecord {
    return { ...r };
  }

  const store: FileStore = {
    dir,
    get syncs() {
      return writer?.syncs ?? 0;
    },

    async claim(key, leaseMs): Promise<ClaimResult> {
      check();
      const t = now();
      const entry = entryOf(keys.get(key));
      if (entry?.done) return { state: 'done' };
      if (entry && entry.leaseUntil > t) return { state: 'busy' };
      const claims = (entry?.claims ?? 0) + 1;
      await write({ t: 'key', k: key, e: { done: false, leaseUntil: t + leaseMs, claims, at: t } });
      return { state: 'claimed', redelivery: claims > 1 };
    },
    async complete(key) {
      const entry = entryOf(keys.get(key));
      await write({ t: 'key', k: key, e: { done: true, leaseUntil: 0, claims: entry?.claims ?? 1, at: now() } });
    },
    async release(key) {
      const entry = entryOf(keys.get(key));
      if (entry && !entry.done) await write({ t: 'rel', k: key });
    },
    async putOrder(key, order) {
      await write({ t: 'order', k: key, o: order });
    },
    async getOrder(key) {
      return orders.get(key);
    },

    async append(record: NewOutboxRecord) {
      check();
      if (records.has(record.id)) return false;
      const r: MutableRecord = {
        id: record.id,
        app: record.app,
        event: record.event,
        body: record.body,
        createdAt: record.createdAt,
        state: 'pending',
        attempts: 0,
        since: record.createdAt,
        nextAttemptAt: record.createdAt,
      };
      await write({ t: 'rec', r });
      return true;
    },
    async lease(o: LeaseOptions) {
      check();
      const queue = dueByApp.get(o.app);
      const out: OutboxRecord[] = [];
      if (!queue || o.limit <= 0) return out;
      const taken = new Set<string>();
      for (let top = queue.peek(o.now); top !== undefined && out.length < o.limit; top = queue.peek(o.now)) {
        queue.pop();
        const r = records.get(top.id);
        // An entry stands only while it is the record's current due time: a record that was
        // delivered, rescheduled or leased again since has another entry (or none).
        if (r === undefined || typeof r === 'number' || r.state !== 'pending' || r.app !== o.app || taken.has(r.id)) continue;
        const until = leases.get(r.id);
        const dueAt = Math.max(r.nextAttemptAt, until ?? -Infinity);
        if (top.at !== dueAt) continue;
        taken.add(r.id);
        out.push(view(r));
      }
      // A leased record comes due again when its lease ends without an outcome.
      for (const r of out) {
        leases.set(r.id, o.now + o.leaseMs);
        queue.push(r.id, Math.max(r.nextAttemptAt, o.now + o.leaseMs));
      }
      return out;
    },
    async ack(id, info) {
      const r = records.get(id);
      if (r === undefined || typeof r === 'number' || r.state !== 'pending') return;
      // The whole record is written again as it ends, so that it can be read back from one place.
      await write({ t: 'rec', r: { ...r, state: 'delivered', attempts: r.attempts + 1, finishedAt: info.at, lastStatus: info.status, lastError: undefined } });
    },
    async retry(id, f: AttemptFailure & { nextAttemptAt: number }) {
      const r = records.get(id);
      if (r === undefined || typeof r === 'number' || r.state !== 'pending') return;
      leases.delete(id);
      await write({
        t: 'retry',
        id,
        at: f.at,
        attempts: r.attempts + 1,
        next: f.nextAttemptAt,
        status: f.status,
        error: f.error,
      });
    },
    async dead(id, f: AttemptFailure) {
      const r = records.get(id);
      if (r === undefined || typeof r === 'number' || r.state !== 'pending') return;
      await write({ t: 'rec', r: { ...r, state: 'dead', attempts: r.attempts + 1, finishedAt: f.at, lastStatus: f.status, lastError: f.error } });
    },
    async replay(id, at) {
      const r = records.get(id);
      if (r === undefined || stateOf(r) === 'pending') {
        check();
        return false;
      }
      await write({ t: 'replay', id, at });
      return true;
    },
    async replayDead(at) {
      const ids: string[] = [];
      for (const [id, value] of records) if (stateOf(value) === 'dead') ids.push(id);
      if (ids.length === 0) {
        check();
        return 0;
      }
      await write(...ids.map((id): Op => ({ t: 'replay', id, at })));
      return ids.length;
    },
    async get(id) {
      const r = records.get(id);
      return r === undefined ? undefined : view(full(r));
    },
    async list(o: ListOptions = {}) {
      const limit = o.limit ?? 100;
      const found: (MutableRecord | number)[] = [];
      for (const value of records.values()) {
        if (o.state !== undefined && stateOf(value) !== o.state) continue;
        found.push(value);
      }
      return found.slice(Math.max(0, found.length - limit)).map((value) => view(full(value)));
    },
    async stats(at): Promise<OutboxStats> {
      let pending = 0;
      let inFlight = 0;
      let delivered = 0;
      let dead = 0;
      let oldest = Infinity;
      for (const r of records.values()) {
        if (typeof r === 'number') {
          if (images.state(r) === 'dead') dead++;
          else delivered++;
        } else if (r.state === 'delivered') delivered++;
        else if (r.state === 'dead') dead++;
        else {
          const until = leases.get(r.id);
          if (until !== undefined && until > at) inFlight++;
          else pending++;
          oldest = Math.min(oldest, r.createdAt);
        }
      }
      return { pending, inFlight, delivered, dead, oldestPendingAgeMs: oldest === Infinity ? 0 : Math.max(0, at - oldest) };
    },
    compact,
    async close() {
      if (closed) return;
      if (compacting) await compacting.catch(() => undefined);
      closed = true;
      if (writer) {
        await writer.close();
        await rm(join(dir, LOCK), { force: true });
        held.delete(join(dir, LOCK));
      }
    },
  };
  return store;
}
