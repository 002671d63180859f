import { StoreError, type OrderRecord } from '@wxpay-kit/core';
import type { LeaseOptions, ListOptions, OutboxRecord, OutboxStats } from '../outbox.js';
import { DueQueue } from './due-queue.js';
import { ImageTable } from './image-table.js';

/** An outbox record as the file store holds it while it is pending (and in each `rec` operation). */
export interface MutableRecord {
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

/** A dedup key: claimed under a lease, or handled (`done`). */
export interface DedupEntry {
  done: boolean;
  leaseUntil: number;
  claims: number;
  at: number;
}

/** One change, as the log stores it (JSON, one per framed record). Each sets absolute values. */
export type Op =
  | { t: 'rec'; r: MutableRecord }
  | { t: 'ok'; id: string; at: number; attempts: number; status: number }
  | { t: 'retry'; id: string; at: number; attempts: number; next: number; status?: number | undefined; error: string }
  | { t: 'dead'; id: string; at: number; attempts: number; status?: number | undefined; error: string }
  | { t: 'replay'; id: string; at: number }
  | { t: 'key'; k: string; e: DedupEntry }
  | { t: 'rel'; k: string }
  | { t: 'order'; k: string; o: OrderRecord };

/** Where an operation's payload lies in the log: the offset of its first byte and its length. */
export interface ImagePlace {
  readonly offset: number;
  readonly length: number;
}

/** Reads back the payload at a place in the log (the file store checks its CRC there). */
export type ImageReader = (offset: number, length: number) => Buffer;

const MINUTE = 60_000;

/** Decodes one log payload; undefined when it is not an operation (the store sets it aside as corrupt). */
export function decodeOp(payload: Buffer): Op | undefined {
  try {
    const op = JSON.parse(payload.toString('utf8')) as Op;
    if (typeof op !== 'object' || op === null || typeof op.t !== 'string') return undefined;
    return op;
  } catch {
    return undefined;
  }
}

/** Encodes one operation as a log payload. */
export function encodeOp(op: Op): Buffer {
  return Buffer.from(JSON.stringify(op), 'utf8');
}

/**
 * The file store's state in memory and the reducer that replays the log into it: outbox records,
 * their due queues and leases, dedup keys and orders. It does no I/O; a finished record's image is
 * read back through the {@link ImageReader} it is given, so it runs over a buffer as well as over
 * the log's descriptor (and in tests over neither).
 *
 * Pending records are held whole (the delivery engine needs them); delivered and dead ones are a
 * slot of {@link images} (the place of their full image in the log) once that image is known. The
 * record map keeps creation order, which `list` relies on. A handled key is only the minute it
 * was handled, rounded up (retention needs no more); keys still claimed keep their lease.
 */
export class FileStoreState {
  readonly records = new Map<string, MutableRecord | number>();
  readonly images = new ImageTable();
  /** Pending records by app, in the order they become due; `lease` checks each entry against its record. */
  readonly dueByApp = new Map<string, DueQueue>();
  readonly leases = new Map<string, number>();
  readonly keys = new Map<string, DedupEntry | number>();
  readonly orders = new Map<string, OrderRecord>();

  constructor(private readonly readImage: ImageReader) {}

  /** A finished record read back from its image in the log. */
  load(slot: number): MutableRecord {
    let op: Op;
    try {
      op = JSON.parse(this.readImage(this.images.offset(slot), this.images.length(slot)).toString('utf8')) as Op;
    } catch (error) {
      throw new StoreError('@wxpay-kit/forwarder: a record could not be read back from the outbox log', { cause: error });
    }
    if (op.t !== 'rec') throw new StoreError('@wxpay-kit/forwarder: the outbox log does not hold a record where expected');
    return op.r;
  }

  /** The record, whole: from memory, or read back from the log. */
  full(value: MutableRecord | number): MutableRecord {
    return typeof value === 'number' ? this.load(value) : value;
  }

  stateOf(value: MutableRecord | number): OutboxRecord['state'] {
    return typeof value === 'number' ? this.images.state(value) : value.state;
  }

  /** The dedup entry of a key, expanded from its handled minute when that is all that is kept. */
  entry(key: string): DedupEntry | undefined {
    return entryOf(this.keys.get(key));
  }

  /** Puts `r` in place of the record with its id; pending records are indexed for leasing. */
  place(r: MutableRecord): MutableRecord {
    const previous = this.records.get(r.id);
    if (typeof previous === 'number') this.images.free(previous);
    this.records.set(r.id, r);
    if (r.state === 'pending') {
      let queue = this.dueByApp.get(r.app);
      if (!queue) this.dueByApp.set(r.app, (queue = new DueQueue()));
      queue.push(r.id, r.nextAttemptAt);
    } else {
      this.leases.delete(r.id);
    }
    return r;
  }

  /** Keeps a finished record on disk only, once its full image is at `offset`. */
  demote(r: MutableRecord, offset: number, length: number): void {
    if (this.records.get(r.id) !== r || r.state === 'pending') return;
    this.records.set(r.id, this.images.add(offset, length, r.finishedAt ?? 0, r.state));
  }

  /**
   * Applies one operation. Every operation sets absolute values, so applying a suffix of the log
   * again over a state that already holds part of it changes nothing: this is what lets
   * compaction snapshot the state while appends go on. Records are replaced, never changed in
   * place, once they finish, so an object in the map stands for one version. `at` is the
   * payload's place in the log, when known. Returns the record the operation placed, if any.
   */
  apply(op: Op, at?: ImagePlace): MutableRecord | undefined {
    switch (op.t) {
      case 'rec': {
        // Records are never changed in place, so the operation's own object can be kept.
        const r = this.place(op.r);
        if (at && r.state !== 'pending') this.demote(r, at.offset, at.length);
        return r;
      }
      case 'ok':
      case 'dead':
      case 'retry':
      case 'replay': {
        const value = this.records.get(op.id);
        if (value === undefined) return undefined;
        const r = { ...this.full(value) };
        if (op.t === 'ok')
          Object.assign(r, { state: 'delivered', attempts: op.attempts, finishedAt: op.at, lastStatus: op.status, lastError: undefined });
        else if (op.t === 'dead')
          Object.assign(r, { state: 'dead', attempts: op.attempts, finishedAt: op.at, lastStatus: op.status, lastError: op.error });
        else if (op.t === 'retry')
          Object.assign(r, { state: 'pending', attempts: op.attempts, nextAttemptAt: op.next, lastStatus: op.status, lastError: op.error });
        else Object.assign(r, { state: 'pending', attempts: 0, since: op.at, nextAttemptAt: op.at, finishedAt: undefined });
        return this.place(r);
      }
      case 'key':
        this.keys.set(op.k, op.e.done ? Math.ceil(op.e.at / MINUTE) : { ...op.e });
        return undefined;
      case 'rel':
        this.keys.delete(op.k);
        return undefined;
      case 'order':
        this.orders.set(op.k, op.o);
        return undefined;
    }
  }

  /**
   * The directory is locked to one process, so a dedup lease found on open was held by a process
   * that died: it ends now, and the next claim of its key is a redelivery.
   */
  endLeases(): void {
    for (const entry of this.keys.values()) if (typeof entry !== 'number') entry.leaseUntil = 0;
  }

  /** True while a finished record is still held whole (logs written before images were). */
  hasFinishedInMemory(): boolean {
    for (const value of this.records.values()) if (typeof value !== 'number' && value.state !== 'pending') return true;
    return false;
  }

  /** The pending record `id` as it is in memory; undefined when it is not pending. */
  pending(id: string): MutableRecord | undefined {
    const r = this.records.get(id);
    return r === undefined || typeof r === 'number' || r.state !== 'pending' ? undefined : r;
  }

  /**
   * Takes up to `o.limit` records of `o.app` that are due at `o.now` and not leased, and leases
   * them for `o.leaseMs`: a leased record comes due again when its lease ends without an outcome.
   */
  lease(o: LeaseOptions): OutboxRecord[] {
    const queue = this.dueByApp.get(o.app);
    const out: OutboxRecord[] = [];
    if (!queue || o.limit <= 0) return out;
    const taken = new Set<string>();
    for (let top = queue.peek(o.now); top !== undefined && out.length < o.limit; top = queue.peek(o.now)) {
      queue.pop();
      const r = this.records.get(top.id);
      // An entry stands only while it is the record's current due time: a record that was
      // delivered, rescheduled or leased again since has another entry (or none).
      if (r === undefined || typeof r === 'number' || r.state !== 'pending' || r.app !== o.app || taken.has(r.id)) continue;
      const until = this.leases.get(r.id);
      const dueAt = Math.max(r.nextAttemptAt, until ?? -Infinity);
      if (top.at !== dueAt) continue;
      taken.add(r.id);
      out.push(view(r));
    }
    for (const r of out) {
      this.leases.set(r.id, o.now + o.leaseMs);
      queue.push(r.id, Math.max(r.nextAttemptAt, o.now + o.leaseMs));
    }
    return out;
  }

  /** Ids of the dead-lettered records, in creation order. */
  deadIds(): string[] {
    const ids: string[] = [];
    for (const [id, value] of this.records) if (this.stateOf(value) === 'dead') ids.push(id);
    return ids;
  }

  get(id: string): OutboxRecord | undefined {
    const r = this.records.get(id);
    return r === undefined ? undefined : view(this.full(r));
  }

  /** The newest `o.limit` records (default 100), optionally in one state, oldest first. */
  list(o: ListOptions = {}): OutboxRecord[] {
    const limit = o.limit ?? 100;
    const found: (MutableRecord | number)[] = [];
    for (const value of this.records.values()) {
      if (o.state !== undefined && this.stateOf(value) !== o.state) continue;
      found.push(value);
    }
    return found.slice(Math.max(0, found.length - limit)).map((value) => view(this.full(value)));
  }

  stats(at: number): OutboxStats {
    let pending = 0;
    let inFlight = 0;
    let delivered = 0;
    let dead = 0;
    let oldest = Infinity;
    for (const r of this.records.values()) {
      if (typeof r === 'number') {
        if (this.images.state(r) === 'dead') dead++;
        else delivered++;
      } else if (r.state === 'delivered') delivered++;
      else if (r.state === 'dead') dead++;
      else {
        const until = this.leases.get(r.id);
        if (until !== undefined && until > at) inFlight++;
        else pending++;
        oldest = Math.min(oldest, r.createdAt);
      }
    }
    return { pending, inFlight, delivered, dead, oldestPendingAgeMs: oldest === Infinity ? 0 : Math.max(0, at - oldest) };
  }
}

/** The dedup entry a stored value stands for: a number is the minute a key was handled. */
export function entryOf(value: DedupEntry | number | undefined): DedupEntry | undefined {
  return typeof value === 'number' ? { done: true, leaseUntil: 0, claims: 1, at: value * MINUTE } : value;
}

/** A caller's copy of a record. */
function view(r: MutableRecord): OutboxRecord {
  return { ...r };
}
