import { readSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { StoreError } from '@wxpay-kit/core';
import { encodeOp, entryOf, type FileStoreState, type ImagePlace, type MutableRecord, type Op } from './file-state.js';
import { copyRange, HEADER_BYTES, encodeRecord, syncDir, writeAll, type GroupCommitWriter } from './record-log.js';

/** A compaction fsyncs its copy every this many bytes. */
const SNAPSHOT_SYNC_BYTES = 4 * 1024 * 1024;

/** What a compaction works on, and how it tells the store that the log was replaced. */
export interface Compaction {
  readonly state: FileStoreState;
  readonly writer: GroupCommitWriter;
  readonly dir: string;
  readonly logPath: string;
  /** Where the copy is written (`<log>.compact`); a copy left by a crash is removed on open. */
  readonly compactPath: string;
  /** The time retention is measured at. */
  readonly now: number;
  readonly retainDeliveredMs: number;
  readonly retainDedupMs: number;
  /** How long orders (and refunds) recorded to check notifications against are kept. */
  readonly retainRecordsMs: number;
  /** The descriptor finished records' images are read from now. */
  readonly source: () => number;
  /** The copy replaced the log: images are read from `fd` from now on; the new log is `size` bytes. */
  readonly swapped: (fd: number, size: number) => void;
}

/**
 * Writes the live state to `<log>.compact` while appends go on to the log, then copies what was
 * appended meanwhile and renames the copy into place. Appends wait only for that last copy, an
 * fsync and the rename. Records, keys and orders past their retention are dropped.
 */
export async function compactLog(c: Compaction): Promise<void> {
  const { state, writer: w, now: t } = c;
  const { records, images, keys, orders } = state;
  const tailStart = w.size;
  images.clearMoves();
  const out = await open(c.compactPath, 'ax+', 0o600);
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
    const pushOp = (op: Op): ImagePlace => {
      const frame = encodeRecord(encodeOp(op));
      return { offset: push(frame), length: frame.length - HEADER_BYTES };
    };
    const moved: { r: MutableRecord; offset: number; length: number }[] = [];
    // Images that lie one after the other in the log are copied verbatim with one read.
    const run = { start: 0, end: 0, slots: [] as number[] };
    const copyRun = (): void => {
      if (run.slots.length === 0) return;
      const bytes = Buffer.allocUnsafe(run.end - run.start);
      const source = c.source();
      let got = 0;
      while (got < bytes.length) {
        const n = readSync(source, bytes, got, bytes.length - got, run.start + got);
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
        if (images.state(value) === 'delivered' && images.finishedAt(value) + c.retainDeliveredMs < t) {
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
      if (value.state === 'delivered' && (value.finishedAt ?? 0) + c.retainDeliveredMs < t) {
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
      if (e.at + c.retainDedupMs < t && (e.done || e.leaseUntil < t)) {
        keys.delete(k);
        continue;
      }
      pushOp({ t: 'key', k, e });
    }
    for (const k of orders.keys()) {
      if (++n % 512 === 0 || partBytes > 1024 * 1024) await flush();
      const o = orders.get(k);
      if (!o) continue;
      if (o.createdAt + c.retainRecordsMs < t) {
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
      await rename(c.compactPath, c.logPath);
      swap(out, snapshotBytes + end - tailStart);
      swapped = true;
      images.relocate(tailStart, snapshotBytes);
      c.swapped(out.fd, snapshotBytes + end - tailStart);
      for (const m of moved) state.demote(m.r, m.offset, m.length);
      await syncDir(c.dir);
    });
  } finally {
    if (!swapped) {
      images.clearMoves();
      await out.close().catch(() => undefined);
      await rm(c.compactPath, { force: true });
    }
  }
}
