import { mkdir, open, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
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
import { GroupCommitWriter, scanRecords, syncDir, writeFileAtomic, encodeRecord } from './record-log.js';

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
  /** How long handled dedup keys and orders are remembered, in ms. Default 7 days. */
  readonly retainDedupMs?: number;
}

/** The embedded store: an append-only, checksummed, fsynced log. See {@link createFileStore}. */
export interface FileStore extends ForwarderStore {
  /** Rewrites the log with only the live state, atomically. Runs on its own when the log grows. */
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
 * records in the middle are skipped and copied to `outbox.log.bad-<time>` with a warning. The log
 * is compacted (rewritten with only live state, then renamed into place) as it grows.
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
  const logPath = join(dir, LOG);

  const records = new Map<string, MutableRecord>();
  const pendingByApp = new Map<string, Set<string>>();
  const leases = new Map<string, number>();
  const keys = new Map<string, DedupEntry>();
  const orders = new Map<string, OrderRecord>();

  function setPending(r: MutableRecord): void {
    let set = pendingByApp.get(r.app);
    if (r.state === 'pending') {
      if (!set) pendingByApp.set(r.app, (set = new Set()));
      set.add(r.id);
    } else {
      set?.delete(r.id);
      leases.delete(r.id);
    }
  }

  function apply(op: Op): void {
    switch (op.t) {
      case 'rec': {
        records.set(op.r.id, { ...op.r });
        setPending(records.get(op.r.id)!);
        return;
      }
      case 'ok': {
        const r = records.get(op.id);
        if (!r) return;
        Object.assign(r, { state: 'delivered', attempts: op.attempts, finishedAt: op.at, lastStatus: op.status, lastError: undefined });
        setPending(r);
        return;
      }
      case 'retry': {
        const r = records.get(op.id);
        if (!r) return;
        Object.assign(r, {
          state: 'pending',
          attempts: op.attempts,
          nextAttemptAt: op.next,
          lastStatus: op.status,
          lastError: op.error,
        });
        setPending(r);
        return;
      }
      case 'dead': {
        const r = records.get(op.id);
        if (!r) return;
        Object.assign(r, { state: 'dead', attempts: op.attempts, finishedAt: op.at, lastStatus: op.status, lastError: op.error });
        setPending(r);
        return;
      }
      case 'replay': {
        const r = records.get(op.id);
        if (!r) return;
        Object.assign(r, { state: 'pending', attempts: 0, since: op.at, nextAttemptAt: op.at, finishedAt: undefined });
        setPending(r);
        return;
      }
      case 'key':
        keys.set(op.k, { ...op.e });
        return;
      case 'rel':
        keys.delete(op.k);
        return;
      case 'order':
        orders.set(op.k, op.o);
        return;
    }
  }

  await mkdir(dir, { recursive: true });
  if (!readOnly) await takeLock(dir);

  let data: Buffer;
  try {
    data = await readFile(logPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    data = Buffer.alloc(0);
  }
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
    apply(op);
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
    for (const entry of keys.values()) if (!entry.done) entry.leaseUntil = 0;
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
    for (const op of ops) apply(op);
    try {
      await w.append(ops.map((op) => Buffer.from(JSON.stringify(op), 'utf8')));
    } catch (error) {
      throw new StoreError('@wxpay-kit/forwarder: writing to the outbox log failed', { cause: error });
    }
    if (w.size > compactBytes && w.size > 2 * lastCompactedSize && !compacting) {
      void compact().catch((error: unknown) =>
        logger.error({ dir, error }, '@wxpay-kit/forwarder: compaction of the outbox log failed'),
      );
    }
  }

  function snapshot(): Buffer {
    const t = now();
    const parts: Buffer[] = [];
    const push = (op: Op): void => {
      parts.push(encodeRecord(Buffer.from(JSON.stringify(op), 'utf8')));
    };
    for (const r of records.values()) {
      if (r.state === 'delivered' && (r.finishedAt ?? 0) + retainDeliveredMs < t) {
        records.delete(r.id);
        continue;
      }
      push({ t: 'rec', r });
    }
    for (const [k, e] of keys) {
      if (e.at + retainDedupMs < t && (e.done || e.leaseUntil < t)) {
        keys.delete(k);
        continue;
      }
      push({ t: 'key', k, e });
    }
    for (const [k, o] of orders) {
      if (o.createdAt + retainDedupMs < t) {
        orders.delete(k);
        continue;
      }
      push({ t: 'order', k, o });
    }
    return Buffer.concat(parts);
  }

  function compact(): Promise<void> {
    const w = check();
    compacting ??= w
      .exclusive(async (swap) => {
        const image = snapshot();
        await writeFileAtomic(logPath, image);
        const file = await open(logPath, 'a+', 0o600);
        swap(file, image.length);
        lastCompactedSize = image.length;
      })
      .finally(() => {
        compacting = undefined;
      });
    return compacting;
  }

  if (!readOnly && badChunks.length > 0) await compact();

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
      const entry = keys.get(key);
      if (entry?.done) return { state: 'done' };
      if (entry && entry.leaseUntil > t) return { state: 'busy' };
      const claims = (entry?.claims ?? 0) + 1;
      await write({ t: 'key', k: key, e: { done: false, leaseUntil: t + leaseMs, claims, at: t } });
      return { state: 'claimed', redelivery: claims > 1 };
    },
    async complete(key) {
      const entry = keys.get(key);
      await write({ t: 'key', k: key, e: { done: true, leaseUntil: 0, claims: entry?.claims ?? 1, at: now() } });
    },
    async release(key) {
      const entry = keys.get(key);
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
      const set = pendingByApp.get(o.app);
      if (!set || o.limit <= 0) return [];
      const due: MutableRecord[] = [];
      for (const id of set) {
        const r = records.get(id);
        if (!r || r.nextAttemptAt > o.now) continue;
        const until = leases.get(id);
        if (until !== undefined && until > o.now) continue;
        due.push(r);
      }
      due.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
      const out = due.slice(0, o.limit);
      for (const r of out) leases.set(r.id, o.now + o.leaseMs);
      return out.map(view);
    },
    async ack(id, info) {
      const r = records.get(id);
      if (!r || r.state !== 'pending') return;
      await write({ t: 'ok', id, at: info.at, attempts: r.attempts + 1, status: info.status });
    },
    async retry(id, f: AttemptFailure & { nextAttemptAt: number }) {
      const r = records.get(id);
      if (!r || r.state !== 'pending') return;
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
      if (!r || r.state !== 'pending') return;
      await write({ t: 'dead', id, at: f.at, attempts: r.attempts + 1, status: f.status, error: f.error });
    },
    async replay(id, at) {
      const r = records.get(id);
      if (!r || r.state === 'pending') {
        check();
        return false;
      }
      await write({ t: 'replay', id, at });
      return true;
    },
    async replayDead(at) {
      const ids = [...records.values()].filter((r) => r.state === 'dead').map((r) => r.id);
      if (ids.length === 0) {
        check();
        return 0;
      }
      await write(...ids.map((id): Op => ({ t: 'replay', id, at })));
      return ids.length;
    },
    async get(id) {
      const r = records.get(id);
      return r ? view(r) : undefined;
    },
    async list(o: ListOptions = {}) {
      const limit = o.limit ?? 100;
      const out: OutboxRecord[] = [];
      for (const r of records.values()) {
        if (o.state !== undefined && r.state !== o.state) continue;
        out.push(view(r));
      }
      return out.slice(Math.max(0, out.length - limit));
    },
    async stats(at): Promise<OutboxStats> {
      let pending = 0;
      let inFlight = 0;
      let delivered = 0;
      let dead = 0;
      let oldest = Infinity;
      for (const r of records.values()) {
        if (r.state === 'delivered') delivered++;
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
