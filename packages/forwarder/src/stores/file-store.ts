import { appendFile, mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  StoreError,
  createMemorySweepQueue,
  MIN_CLOSE_AGE_MS,
  silentLogger,
  type ClaimResult,
  type Logger,
  type OrderRecord,
  type SweepQueue,
} from '@wxpay-kit/core';
import type { AttemptFailure, ForwarderStore, LeaseOptions, ListOptions, NewOutboxRecord, OutboxStats } from '../outbox.js';
import { compactLog } from './file-compaction.js';
import { releaseLock, takeLock } from './file-lock.js';
import { decodeOp, encodeOp, FileStoreState, type MutableRecord, type Op } from './file-state.js';
import { RETAIN_RECORDS_MS } from './retention.js';
import { GroupCommitWriter, encodeRecord, readRecordAt, scanRecords, syncDir, type Appended } from './record-log.js';

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

const LOG = 'outbox.log';
const DAY = 86_400_000;

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

  /** Where images are read from: the log in memory while opening (and read-only), else its descriptor. */
  let source: Buffer | number = Buffer.alloc(0);
  const state = new FileStoreState((offset, length) => readRecordAt(source, offset, length));
  const { records, orders } = state;

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
    const op = decodeOp(payload);
    if (op === undefined) {
      badChunks.push(encodeRecord(payload));
      continue;
    }
    state.apply(op, { offset: payload.byteOffset - data.byteOffset, length: payload.length });
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

  if (!readOnly) state.endLeases();
  const sweeps = readOnly ? undefined : seededSweepQueue(orders, now());

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

  /** Applies the operations in memory, appends them to the log and resolves once they are fsynced. */
  async function write(...ops: Op[]): Promise<void> {
    const w = check();
    const placed = ops.map((op) => state.apply(op));
    const payloads = ops.map(encodeOp);
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
        if (op.t === 'rec' && r && r.state !== 'pending') state.demote(r, written.offsets[i]!, payloads[i]!.length);
      });
    }
    if (w.size > compactBytes && w.size > 2 * lastCompactedSize && !compacting) {
      void compact().catch((error: unknown) => logger.error({ dir, error }, '@wxpay-kit/forwarder: compaction of the outbox log failed'));
    }
  }

  function compact(): Promise<void> {
    const w = check();
    compacting ??= compactLog({
      state,
      writer: w,
      dir,
      logPath,
      compactPath,
      now: now(),
      retainDeliveredMs,
      retainDedupMs,
      retainRecordsMs,
      source: () => source as number,
      swapped: (fd, size) => {
        source = fd;
        lastCompactedSize = size;
      },
    }).finally(() => {
      compacting = undefined;
    });
    return compacting;
  }

  // Legacy logs finished records with small operations; their images are written out now, so
  // that they are held on disk only.
  if (!readOnly && (badChunks.length > 0 || state.hasFinishedInMemory())) await compact();

  const store: FileStore = {
    dir,
    get syncs() {
      return writer?.syncs ?? 0;
    },

    async claim(key, leaseMs): Promise<ClaimResult> {
      check();
      const t = now();
      const entry = state.entry(key);
      if (entry?.done) return { state: 'done' };
      if (entry && entry.leaseUntil > t) return { state: 'busy' };
      const claims = (entry?.claims ?? 0) + 1;
      await write({ t: 'key', k: key, e: { done: false, leaseUntil: t + leaseMs, claims, at: t } });
      return { state: 'claimed', redelivery: claims > 1 };
    },
    async complete(key) {
      const entry = state.entry(key);
      await write({ t: 'key', k: key, e: { done: true, leaseUntil: 0, claims: entry?.claims ?? 1, at: now() } });
    },
    renew(key, leaseMs): boolean {
      // In memory only: the directory belongs to this process, and claims found when it is opened
      // end at once, so a renewal needs no write.
      const entry = state.keys.get(key);
      if (entry === undefined || typeof entry === 'number' || entry.done) return false;
      entry.leaseUntil = now() + leaseMs;
      return true;
    },
    async release(key) {
      const entry = state.entry(key);
      if (entry && !entry.done) await write({ t: 'rel', k: key });
    },
    async putOrder(key, order) {
      await write({ t: 'order', k: key, o: order });
    },
    async getOrder(key) {
      return orders.get(key);
    },
    sweeps,

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
      return state.lease(o);
    },
    async ack(id, info) {
      const r = state.pending(id);
      if (r === undefined) return;
      // The whole record is written again as it ends, so that it can be read back from one place.
      await write({
        t: 'rec',
        r: { ...r, state: 'delivered', attempts: r.attempts + 1, finishedAt: info.at, lastStatus: info.status, lastError: undefined },
      });
    },
    async retry(id, f: AttemptFailure & { nextAttemptAt: number }) {
      const r = state.pending(id);
      if (r === undefined) return;
      state.leases.delete(id);
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
      const r = state.pending(id);
      if (r === undefined) return;
      await write({
        t: 'rec',
        r: { ...r, state: 'dead', attempts: r.attempts + 1, finishedAt: f.at, lastStatus: f.status, lastError: f.error },
      });
    },
    async replay(id, at) {
      const r = records.get(id);
      if (r === undefined || state.stateOf(r) === 'pending') {
        check();
        return false;
      }
      await write({ t: 'replay', id, at });
      return true;
    },
    async replayDead(at) {
      const ids = state.deadIds();
      if (ids.length === 0) {
        check();
        return 0;
      }
      await write(...ids.map((id): Op => ({ t: 'replay', id, at })));
      return ids.length;
    },
    async get(id) {
      return state.get(id);
    },
    async list(o: ListOptions = {}) {
      return state.list(o);
    },
    async stats(at): Promise<OutboxStats> {
      return state.stats(at);
    },
    compact,
    async close() {
      if (closed) return;
      if (compacting) await compacting.catch(() => undefined);
      closed = true;
      if (writer) {
        await writer.close();
        await releaseLock(dir);
      }
    },
  };
  return store;
}

/** Orders are re-swept after a restart for a day past their close time; refunds for a week after they were asked for. */
const RESWEEP_ORDERS_MS = DAY;
const RESWEEP_REFUNDS_MS = 7 * DAY;

/**
 * The sweeper's queue of a file store, in memory, rebuilt when the store opens: every recorded
 * order (with a `time_expire`) and refund whose result the sweeper has not marked `resolved` is due
 * at once, so a process that died mid-sweep loses nothing (results fire once per transaction, so
 * querying one again fires nothing twice). Orders more than a day past their expiry are left to
 * reconciliation.
 */
function seededSweepQueue(orders: ReadonlyMap<string, OrderRecord>, at: number): SweepQueue {
  const queue = createMemorySweepQueue();
  for (const [key, o] of orders) {
    if (o.resolved !== undefined) continue;
    const isRefund = o.orderId !== undefined;
    if (!isRefund && o.expiresAt === undefined) continue;
    const until = isRefund ? o.createdAt + RESWEEP_REFUNDS_MS : Math.max(o.expiresAt!, o.createdAt + MIN_CLOSE_AGE_MS) + RESWEEP_ORDERS_MS;
    if (until > at) queue.schedule(key, at, o.createdAt);
  }
  return queue;
}
