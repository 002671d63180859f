import { describe, expect, it } from 'vitest';
import { decodeOp, encodeOp, FileStoreState, type MutableRecord, type Op } from './file-state.js';
import { encodeRecord, HEADER_BYTES, readRecordAt } from './record-log.js';

// The file store's reducer on its own: operations in, state out, no file system. A "log" here is
// a Buffer of framed records, as the store writes them.

const pendingRec = (id: string, at: number, app = 'shop'): MutableRecord => ({
  id,
  app,
  event: 'paid',
  body: `{"order_id":"${id}"}`,
  createdAt: at,
  state: 'pending',
  attempts: 0,
  since: at,
  nextAttemptAt: at,
});

/** Frames operations like the log does; `places[i]` is where op i's payload lies. */
function logOf(ops: Op[]): { log: Buffer; places: { offset: number; length: number }[] } {
  const frames: Buffer[] = [];
  const places: { offset: number; length: number }[] = [];
  let size = 0;
  for (const op of ops) {
    const frame = encodeRecord(encodeOp(op));
    places.push({ offset: size + HEADER_BYTES, length: frame.length - HEADER_BYTES });
    frames.push(frame);
    size += frame.length;
  }
  return { log: Buffer.concat(frames), places };
}

/** Replays `ops` as the store does on open: each with its place in the log. */
function replay(ops: Op[]): FileStoreState {
  const { log, places } = logOf(ops);
  const state = new FileStoreState((offset, length) => readRecordAt(log, offset, length));
  ops.forEach((op, i) => state.apply(op, places[i]));
  return state;
}

const snapshot = (s: FileStoreState) => ({
  list: s.list({ limit: 1000 }),
  stats: s.stats(10_000),
  keys: [...s.keys],
  orders: [...s.orders],
});

const HISTORY: Op[] = [
  { t: 'rec', r: pendingRec('a', 1_000) },
  { t: 'rec', r: pendingRec('b', 1_100) },
  { t: 'rec', r: pendingRec('c', 1_200, 'crm') },
  { t: 'key', k: 'pay:1', e: { done: false, leaseUntil: 5_000, claims: 1, at: 1_000 } },
  { t: 'retry', id: 'a', at: 1_500, attempts: 1, next: 4_000, status: 500, error: 'HTTP 500' },
  { t: 'rec', r: { ...pendingRec('b', 1_100), state: 'delivered', attempts: 1, finishedAt: 1_600, lastStatus: 200 } },
  { t: 'key', k: 'pay:1', e: { done: true, leaseUntil: 0, claims: 1, at: 1_650 } },
  {
    t: 'rec',
    r: { ...pendingRec('c', 1_200, 'crm'), state: 'dead', attempts: 3, finishedAt: 1_700, lastStatus: 410, lastError: 'HTTP 410' },
  },
  { t: 'order', k: 'T1', o: { outTradeNo: 'T1', totalFee: 100, createdAt: 900 } as never },
  { t: 'key', k: 'pay:2', e: { done: false, leaseUntil: 6_000, claims: 2, at: 1_800 } },
  { t: 'rel', k: 'pay:2' },
];

describe('file store reducer', () => {
  it('replays a history into records, keys and orders', () => {
    const s = replay(HISTORY);
    expect(s.get('a')).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: 4_000, lastStatus: 500, lastError: 'HTTP 500' });
    expect(s.get('b')).toMatchObject({ state: 'delivered', attempts: 1, finishedAt: 1_600, lastStatus: 200, body: '{"order_id":"b"}' });
    expect(s.get('c')).toMatchObject({ state: 'dead', lastError: 'HTTP 410' });
    expect(s.list().map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(s.list({ state: 'dead' }).map((r) => r.id)).toEqual(['c']);
    expect(s.list({ limit: 2 }).map((r) => r.id)).toEqual(['b', 'c']);
    expect(s.deadIds()).toEqual(['c']);
    expect(s.stats(2_000)).toEqual({ pending: 1, inFlight: 0, delivered: 1, dead: 1, oldestPendingAgeMs: 1_000 });
    // A handled key is kept as its minute, rounded up; a released key is gone.
    expect(s.keys.get('pay:1')).toBe(1);
    expect(s.entry('pay:1')).toEqual({ done: true, leaseUntil: 0, claims: 1, at: 60_000 });
    expect(s.entry('pay:2')).toBeUndefined();
    expect(s.orders.get('T1')).toMatchObject({ outTradeNo: 'T1' });
  });

  it('keeps finished records as images in the log, read back whole on demand', () => {
    const s = replay(HISTORY);
    expect(typeof s.records.get('a')).toBe('object');
    expect(typeof s.records.get('b')).toBe('number');
    expect(typeof s.records.get('c')).toBe('number');
    expect(s.images.size).toBe(2);
    expect(s.hasFinishedInMemory()).toBe(false);
    // A finished record applied without a place (a write not yet on disk) stays in memory until demoted.
    const t = new FileStoreState(() => {
      throw new Error('nothing is on disk');
    });
    const placed = t.apply({ t: 'rec', r: { ...pendingRec('x', 1), state: 'delivered', finishedAt: 2 } })!;
    expect(t.hasFinishedInMemory()).toBe(true);
    expect(t.get('x')).toMatchObject({ state: 'delivered' });
    t.demote(placed, 8, 10);
    expect(t.records.get('x')).toBe(0);
    expect(() => t.get('x')).toThrow(/could not be read back/);
  });

  it('ends in the same state when any suffix of the log is applied again (what compaction relies on)', () => {
    const whole = snapshot(replay(HISTORY));
    const { log, places } = logOf(HISTORY);
    for (let k = 0; k < HISTORY.length; k++) {
      const s = new FileStoreState((offset, length) => readRecordAt(log, offset, length));
      HISTORY.forEach((op, i) => s.apply(op, places[i]));
      for (let i = k; i < HISTORY.length; i++) s.apply(HISTORY[i]!, places[i]);
      expect(snapshot(s), `suffix from ${k}`).toEqual(whole);
    }
  });

  it('brings a dead record back to pending on replay, as of the replay time', () => {
    const s = replay([...HISTORY, { t: 'replay', id: 'c', at: 3_000 }]);
    expect(s.get('c')).toMatchObject({ state: 'pending', attempts: 0, since: 3_000, nextAttemptAt: 3_000, finishedAt: undefined });
    expect(s.images.size).toBe(1);
    expect(s.pending('c')).toBeDefined();
    expect(s.pending('b')).toBeUndefined();
  });

  it('leases due records once per lease, earliest due first, and again when the lease ends', () => {
    const s = replay([
      { t: 'rec', r: pendingRec('late', 3_000) },
      { t: 'rec', r: pendingRec('early', 1_000) },
      { t: 'rec', r: pendingRec('other-app', 500, 'crm') },
      { t: 'rec', r: pendingRec('future', 9_000) },
    ]);
    const first = s.lease({ app: 'shop', now: 5_000, limit: 10, leaseMs: 1_000 });
    expect(first.map((r) => r.id)).toEqual(['early', 'late']);
    expect(s.stats(5_500)).toMatchObject({ pending: 2, inFlight: 2 });
    expect(s.lease({ app: 'shop', now: 5_500, limit: 10, leaseMs: 1_000 })).toEqual([]);
    // The lease ran out without an outcome: both come due again.
    expect(s.lease({ app: 'shop', now: 6_000, limit: 1, leaseMs: 1_000 }).map((r) => r.id)).toEqual(['early']);
    expect(s.lease({ app: 'shop', now: 6_000, limit: 1, leaseMs: 1_000 }).map((r) => r.id)).toEqual(['late']);
    // A delivered record is not leased again.
    s.apply({ t: 'rec', r: { ...pendingRec('early', 1_000), state: 'delivered', attempts: 1, finishedAt: 6_100 } });
    expect(s.lease({ app: 'shop', now: 9_000, limit: 10, leaseMs: 1_000 }).map((r) => r.id)).toEqual(['late', 'future']);
    expect(s.lease({ app: 'crm', now: 9_000, limit: 0, leaseMs: 1_000 })).toEqual([]);
  });

  it('does not hand out a rescheduled record at the end of its earlier lease', () => {
    const s = replay([{ t: 'rec', r: pendingRec('a', 1_000) }]);
    expect(s.lease({ app: 'shop', now: 5_000, limit: 10, leaseMs: 1_000 }).map((r) => r.id)).toEqual(['a']);
    s.apply({ t: 'retry', id: 'a', at: 5_100, attempts: 1, next: 8_000, status: 503, error: 'HTTP 503' });
    expect(s.lease({ app: 'shop', now: 6_500, limit: 10, leaseMs: 1_000 })).toEqual([]);
    expect(s.lease({ app: 'shop', now: 8_000, limit: 10, leaseMs: 1_000 }).map((r) => r.id)).toEqual(['a']);
  });

  it('ends the leases of claimed keys found on open', () => {
    const s = replay([{ t: 'key', k: 'pay:9', e: { done: false, leaseUntil: 99_999, claims: 1, at: 1 } }]);
    s.endLeases();
    expect(s.entry('pay:9')).toEqual({ done: false, leaseUntil: 0, claims: 1, at: 1 });
  });

  it('decodes only operations', () => {
    expect(decodeOp(encodeOp({ t: 'rel', k: 'x' }))).toEqual({ t: 'rel', k: 'x' });
    expect(decodeOp(Buffer.from('[1,2]'))).toBeUndefined();
    expect(decodeOp(Buffer.from('null'))).toBeUndefined();
    expect(decodeOp(Buffer.from('{"t":'))).toBeUndefined();
  });
});
