import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { StoreError, type ClaimResult, type Logger, type OrderRecord } from '@wxpay-kit/core';
import { RETAIN_RECORDS_MS } from './retention.js';
import type { AttemptFailure, ForwarderStore, LeaseOptions, ListOptions, NewOutboxRecord, OutboxRecord, OutboxStats } from '../outbox.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** An ioredis client, or a `redis://` URL the store connects to (and closes on `close()`). */
  readonly redis: Redis | string;
  /** Prefix of every key. Default `wxpay:`. */
  readonly prefix?: string;
  /** Consumer group of the delivery workers. Default `forwarder`. */
  readonly group?: string;
  /** This instance's consumer name in the group. Default host, pid and a random suffix. */
  readonly consumer?: string;
  /**
   * Consumers of the group idle this long with no pending entries are removed (those of instances
   * that died; a restart starts a new one), in ms. Checked when this instance first reads an app's
   * stream and then at most once per this period. Default 15 minutes. A live consumer removed by
   * mistake loses nothing (only consumers without pending entries are removed, atomically) and
   * comes back at its next read.
   */
  readonly staleConsumerMs?: number;
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
  /**
   * Where connection errors of a client the store created from a URL are reported (ioredis
   * reconnects by itself; without a listener each error would be printed as unhandled). Once per
   * error kind until the connection is back. Default: silent.
   */
  readonly logger?: Logger;
}

/** The multi-instance store. See {@link createRedisStore}. */
export interface RedisStore extends ForwarderStore {
  readonly redis: Redis;
}

const DAY = 86_400_000;

const APPEND = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local seq = redis.call('INCR', KEYS[6])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'app', ARGV[2], 'event', ARGV[3], 'body', ARGV[4], 'seq', seq,
  'createdAt', ARGV[5], 'state', 'pending', 'attempts', 0, 'since', ARGV[5], 'nextAttemptAt', ARGV[5])
redis.call('XADD', KEYS[2], '*', 'id', ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[4], seq, ARGV[1])
redis.call('ZADD', KEYS[5], seq, ARGV[1])
return 1`;

// Moves retries that are due back onto their app's stream; atomic, so one instance moves each.
const PROMOTE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    local app = redis.call('HGET', ARGV[3] .. 'rec:' .. id, 'app')
    if app then redis.call('XADD', ARGV[3] .. 'stream:' .. app, '*', 'id', id) end
  end
end
return #ids`;

// KEYS: rec, stream, pending, retry, delivered, dead. ARGV: group, entry, kind, at, status, error, next, retainMs
const FINISH = `
if ARGV[2] ~= '' then
  redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
  redis.call('XDEL', KEYS[2], ARGV[2])
end
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then return 0 end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'lastStatus', ARGV[5], 'lastError', ARGV[6])
local id = redis.call('HGET', KEYS[1], 'id')
if ARGV[3] == 'ok' then
  redis.call('HSET', KEYS[1], 'state', 'delivered', 'finishedAt', ARGV[4])
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZADD', KEYS[5], ARGV[4], id)
  redis.call('PEXPIRE', KEYS[1], ARGV[8])
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', tonumber(ARGV[4]) - tonumber(ARGV[8]))
elseif ARGV[3] == 'dead' then
  redis.call('HSET', KEYS[1], 'state', 'dead', 'finishedAt', ARGV[4])
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZADD', KEYS[6], ARGV[4], id)
else
  redis.call('HSET', KEYS[1], 'nextAttemptAt', ARGV[7])
  redis.call('ZADD', KEYS[4], ARGV[7], id)
end
return attempts`;

// The sweeper's queue: takes the keys due at ARGV[1] (at most ARGV[2]) and leases them by moving
// their due time to ARGV[3], in one step, so instances sharing the queue never take the same key.
// KEYS: sweep:due. ARGV: at, limit, leasedUntil
const SWEEP_TAKE = `
local keys = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, key in ipairs(keys) do redis.call('ZADD', KEYS[1], ARGV[3], key) end
return keys
`;

// KEYS: rec, pending, delivered, dead. ARGV: at, prefix
const REPLAY = `
local state = redis.call('HGET', KEYS[1], 'state')
if (not state) or state == 'pending' then return 0 end
redis.call('PERSIST', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'pending', 'attempts', 0, 'since', ARGV[1], 'nextAttemptAt', ARGV[1], 'finishedAt', '')
local id = redis.call('HGET', KEYS[1], 'id')
local app = redis.call('HGET', KEYS[1], 'app')
redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'seq'), id)
redis.call('XADD', ARGV[2] .. 'stream:' .. app, '*', 'id', id)
return 1`;

// KEYS: lease key, claims key. ARGV: token
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0`;

// KEYS: lease key. ARGV: token, lease ms
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

// Removes the group's consumers that have no pending entries and have been idle at least
// ARGV[3] ms, except ARGV[2]; only ARGV[4] when it is not ''. Atomic, so a consumer never loses
// entries it was given meanwhile. KEYS: stream. ARGV: group, keep, min idle, only
const PRUNE = `
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then return 0 end
local removed = 0
for _, c in ipairs(consumers) do
  local name, pending, idle
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1]
    elseif c[i] == 'pending' then pending = tonumber(c[i + 1])
    elseif c[i] == 'idle' then idle = tonumber(c[i + 1]) end
  end
  if name ~= ARGV[2] and (ARGV[4] == '' or name == ARGV[4]) and pending == 0 and idle >= tonumber(ARGV[3]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    removed = removed + 1
  end
end
return removed`;

function num(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function toRecord(h: Record<string, string>): OutboxRecord | undefined {
  if (!h['id']) return undefined;
  return {
    id: h['id'],
    app: h['app'] ?? '',
    event: (h['event'] ?? 'paid') as OutboxRecord['event'],
    body: h['body'] ?? '',
    createdAt: num(h['createdAt']) ?? 0,
    state: (h['state'] ?? 'pending') as OutboxRecord['state'],
    attempts: num(h['attempts']) ?? 0,
    since: num(h['since']) ?? 0,
    nextAttemptAt: num(h['nextAttemptAt']) ?? 0,
    finishedAt: num(h['finishedAt']),
    lastStatus: num(h['lastStatus']),
    lastError: h['lastError'] || undefined,
  };
}

/** Parses the `[[entryId, [field, value, …]], …]` list that XREADGROUP and XAUTOCLAIM return. */
function entriesOf(list: unknown): { entry: string; id: string }[] {
  const out: { entry: string; id: string }[] = [];
  if (!Array.isArray(list)) return out;
  for (const item of list) {
    if (!Array.isArray(item) || typeof item[0] !== 'string' || !Array.isArray(item[1])) continue;
    const fields = item[1] as string[];
    const at = fields.indexOf('id');
    const id = at >= 0 ? fields[at + 1] : undefined;
    if (id !== undefined) out.push({ entry: item[0], id });
  }
  return out;
}

/**
 * The multi-instance store on Redis (ioredis): the core's dedup store and the forwarder's outbox,
 * shared by every gateway or app instance that points at the same Redis and prefix.
 *
 * - Outbox: one record hash per result and one stream per app. Delivery workers read their
 *   app's stream through a consumer group (XREADGROUP), so each entry goes to one instance;
 *   XACK ends it; entries whose worker died are taken over with XAUTOCLAIM once idle for the
 *   lease. Failed attempts wait in a sorted set until due and are then put back on the stream.
 *   Consumers that dead instances left behind (each instance is one, named by host and pid) are
 *   removed once idle for `staleConsumerMs` with nothing pending; a closing instance removes its own.
 * - Dedup: `SET key token NX PX lease` claims a notification, renewed (`PEXPIRE` while the token is
 *   still ours) while its listeners run; a claim counter marks redeliveries.
 *
 * Every change resolves once Redis acknowledged it. How durable that is depends on the server's
 * persistence settings (AOF with `appendfsync always` or `everysec`, or replicas with `WAIT`).
 *
 * @example
 * const store = createRedisStore({ redis: 'redis://127.0.0.1:6379' });
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const owned = typeof options.redis === 'string';
  const redis = typeof options.redis === 'string' ? new Redis(options.redis, { lazyConnect: false }) : options.redis;
  if (owned) {
    let reported = new Set<string>();
    redis.on('error', (error: Error & { code?: string }) => {
      const kind = error.code ?? error.name;
      if (reported.has(kind)) return;
      reported.add(kind);
      options.logger?.warn(
        { code: error.code, err: { name: error.name, message: error.message } },
        '@wxpay-kit/forwarder: Redis connection error; reconnecting',
      );
    });
    redis.on('ready', () => {
      reported = new Set();
    });
  }
  const p = options.prefix ?? 'wxpay:';
  const group = options.group ?? 'forwarder';
  const consumer = options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const staleConsumerMs = options.staleConsumerMs ?? 15 * 60_000;
  const retainDeliveredMs = options.retainDeliveredMs ?? 7 * DAY;
  const retainDedupMs = options.retainDedupMs ?? 7 * DAY;
  const retainRecordsMs = options.retainRecordsMs ?? RETAIN_RECORDS_MS;

  const k = {
    rec: (id: string) => `${p}rec:${id}`,
    stream: (app: string) => `${p}stream:${app}`,
    apps: `${p}apps`,
    pending: `${p}pending`,
    all: `${p}all`,
    seq: `${p}seq`,
    retry: `${p}retry`,
    delivered: `${p}delivered`,
    dead: `${p}dead`,
    lease: (key: string) => `${p}dedup:${key}`,
    claims: (key: string) => `${p}claims:${key}`,
    order: (key: string) => `${p}order:${key}`,
    sweepDue: `${p}sweep:due`,
    sweepCreated: `${p}sweep:created`,
  };

  const groups = new Set<string>();
  /** When this instance last pruned each app's consumers (epoch ms). */
  const pruned = new Map<string, number>();
  /** Stream entry of each record this instance holds a lease on. */
  const entries = new Map<string, string>();
  /** Lease tokens of the dedup claims this instance holds. */
  const tokens = new Map<string, string>();

  async function run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`@wxpay-kit/forwarder: Redis ${what} failed`, { cause: error });
    }
  }

  const shas = new Map<string, string>();
  async function script(body: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    let sha = shas.get(body);
    if (!sha) shas.set(body, (sha = createHash('sha1').update(body).digest('hex')));
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
      return redis.eval(body, keys.length, ...keys, ...args);
    }
  }

  async function ensureGroup(app: string): Promise<void> {
    if (groups.has(app)) return;
    try {
      await redis.xgroup('CREATE', k.stream(app), group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
    groups.add(app);
  }

  async function finish(
    id: string,
    kind: 'ok' | 'retry' | 'dead',
    at: number,
    status: number | undefined,
    error: string,
    next: number,
  ): Promise<void> {
    const h = await redis.hget(k.rec(id), 'app');
    const entry = entries.get(id) ?? '';
    entries.delete(id);
    if (h === null) return;
    await script(
      FINISH,
      [k.rec(id), k.stream(h), k.pending, k.retry, k.delivered, k.dead],
      [group, entry, kind, at, status ?? '', error, next, retainDeliveredMs],
    );
  }

  async function load(ids: readonly string[]): Promise<OutboxRecord[]> {
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(k.rec(id));
    const results = (await pipeline.exec()) ?? [];
    const out: OutboxRecord[] = [];
    for (const [error, value] of results) {
      if (error) throw error;
      const r = toRecord(value as Record<string, string>);
      if (r) out.push(r);
    }
    return out;
  }

  async function leaseFrom(o: LeaseOptions): Promise<OutboxRecord[]> {
    await ensureGroup(o.app);
    await script(PROMOTE, [k.retry], [o.now, 100, p]);
    const got: { entry: string; id: string }[] = [];
    const claimed = (await redis.xautoclaim(k.stream(o.app), group, consumer, o.leaseMs, '0-0', 'COUNT', o.limit)) as unknown[];
    got.push(...entriesOf(claimed[1]));
    await pruneConsumers(o.app);
    if (got.length < o.limit) {
      const read = (await redis.call(
        'XREADGROUP',
        'GROUP',
        group,
        consumer,
        'COUNT',
        o.limit - got.length,
        'STREAMS',
        k.stream(o.app),
        '>',
      )) as [string, unknown][] | null;
      for (const [, list] of read ?? []) got.push(...entriesOf(list));
    }
    const records = await load(got.map((g) => g.id));
    const byId = new Map(records.map((r) => [r.id, r]));
    const out: OutboxRecord[] = [];
    for (const g of got) {
      const r = byId.get(g.id);
      if (r && r.state === 'pending') {
        entries.set(g.id, g.entry);
        out.push(r);
      } else {
        // A stale entry (its record finished or expired): drop it.
        await redis.multi().xack(k.stream(o.app), group, g.entry).xdel(k.stream(o.app), g.entry).exec();
      }
    }
    return out;
  }

  /**
   * Removes the consumers that dead instances left in `app`'s group (after XAUTOCLAIM took over
   * their entries), on this instance's first read and then once per `staleConsumerMs`.
   */
  async function pruneConsumers(app: string): Promise<void> {
    const t = Date.now();
    const last = pruned.get(app);
    if (last !== undefined && t - last < staleConsumerMs) return;
    pruned.set(app, t);
    await script(PRUNE, [k.stream(app)], [group, consumer, staleConsumerMs, '']);
  }

  async function replayOne(id: string, at: number): Promise<boolean> {
    return (await script(REPLAY, [k.rec(id), k.pending, k.delivered, k.dead], [at, p])) === 1;
  }

  return {
    redis,

    claim: (key, leaseMs) =>
      run('claim', async (): Promise<ClaimResult> => {
        for (let i = 0; i < 3; i++) {
          const token = `lease:${randomBytes(8).toString('hex')}`;
          if ((await redis.set(k.lease(key), token, 'PX', leaseMs, 'NX')) === 'OK') {
            tokens.set(key, token);
            const [[, claims]] = ((await redis.multi().incr(k.claims(key)).pexpire(k.claims(key), retainDedupMs).exec()) ?? [
              [null, 1],
            ]) as [[unknown, number]];
            return { state: 'claimed', redelivery: claims > 1 };
          }
          const value = await redis.get(k.lease(key));
          if (value === 'done') return { state: 'done' };
          if (value !== null) return { state: 'busy' };
        }
        return { state: 'busy' };
      }),
    complete: (key) =>
      run('complete', async () => {
        tokens.delete(key);
        await redis.multi().set(k.lease(key), 'done', 'PX', retainDedupMs).del(k.claims(key)).exec();
      }),
    renew: (key, leaseMs) =>
      run('renew', async () => {
        const token = tokens.get(key);
        if (!token) return false;
        return (await script(RENEW, [k.lease(key)], [token, leaseMs])) === 1;
      }),
    release: (key) =>
      run('release', async () => {
        const token = tokens.get(key);
        tokens.delete(key);
        if (token) await script(RELEASE, [k.lease(key), k.claims(key)], [token]);
      }),
    putOrder: (key, order) =>
      run('putOrder', async () => {
        await redis.set(k.order(key), JSON.stringify(order), 'PX', retainRecordsMs);
      }),
    getOrder: (key) =>
      run('getOrder', async () => {
        const value = await redis.get(k.order(key));
        return value === null ? undefined : (JSON.parse(value) as OrderRecord);
      }),
    sweeps: {
      schedule: (key, dueAt, createdAt) =>
        run('sweep schedule', async () => {
          await redis.multi().zadd(k.sweepDue, dueAt, key).zadd(k.sweepCreated, 'NX', createdAt, key).exec();
        }),
      take: (at, limit, leaseMs) =>
        run('sweep take', async () => (await script(SWEEP_TAKE, [k.sweepDue], [at, limit, at + leaseMs])) as string[]),
      remove: (key) =>
        run('sweep remove', async () => {
          await redis.multi().zrem(k.sweepDue, key).zrem(k.sweepCreated, key).exec();
        }),
      stats: () =>
        run('sweep stats', async () => {
          const [pending, oldest] = await Promise.all([redis.zcard(k.sweepDue), redis.zrange(k.sweepCreated, 0, 0, 'WITHSCORES')]);
          return { pending, oldestCreatedAt: oldest[1] === undefined ? undefined : Number(oldest[1]) };
        }),
    },

    append: (r: NewOutboxRecord) =>
      run('append', async () => {
        const added = await script(
          APPEND,
          [k.rec(r.id), k.stream(r.app), k.apps, k.pending, k.all, k.seq],
          [r.id, r.app, r.event, r.body, r.createdAt],
        );
        return added === 1;
      }),
    lease: (o: LeaseOptions) =>
      run('lease', async () => {
        if (o.limit <= 0) return [];
        try {
          return await leaseFrom(o);
        } catch (error) {
          // The stream or its group was deleted (FLUSHDB, manual cleanup): create it again next time.
          if (String((error as Error).message).includes('NOGROUP')) groups.delete(o.app);
          throw error;
        }
      }),
    ack: (id, info) => run('ack', () => finish(id, 'ok', info.at, info.status, '', 0)),
    retry: (id, f: AttemptFailure & { nextAttemptAt: number }) =>
      run('retry', () => finish(id, 'retry', f.at, f.status, f.error, f.nextAttemptAt)),
    dead: (id, f: AttemptFailure) => run('dead', () => finish(id, 'dead', f.at, f.status, f.error, 0)),
    replay: (id, at) => run('replay', () => replayOne(id, at)),
    replayDead: (at) =>
      run('replayDead', async () => {
        let n = 0;
        for (const id of await redis.zrange(k.dead, 0, -1)) if (await replayOne(id, at)) n++;
        return n;
      }),
    get: (id) =>
      run('get', async () => {
        const [r] = await load([id]);
        return r;
      }),
    list: (o: ListOptions = {}) =>
      run('list', async () => {
        const limit = o.limit ?? 100;
        const key = o.state === undefined ? k.all : k[o.state];
        const ids = await redis.zrange(key, -limit, -1);
        const records = await load(ids);
        const out = o.state === undefined ? records : records.filter((r) => r.state === o.state);
        if (o.state === undefined && records.length < ids.length) {
          // Delivered records expired with their retention; forget them in the index too.
          const live = new Set(records.map((r) => r.id));
          const gone = ids.filter((id) => !live.has(id));
          if (gone.length > 0) await redis.zrem(k.all, ...gone);
        }
        return out;
      }),
    stats: (at) =>
      run('stats', async (): Promise<OutboxStats> => {
        const apps = await redis.smembers(k.apps);
        let inFlight = 0;
        for (const app of apps) {
          try {
            const summary = (await redis.xpending(k.stream(app), group)) as [number, ...unknown[]];
            inFlight += Number(summary[0]) || 0;
          } catch {
            // No group yet: nothing is in flight for this app.
          }
        }
        const [open, delivered, dead, oldest] = await Promise.all([
          redis.zcard(k.pending),
          redis.zcard(k.delivered),
          redis.zcard(k.dead),
          redis.zrange(k.pending, 0, 0),
        ]);
        const first = oldest[0] === undefined ? undefined : num((await redis.hget(k.rec(oldest[0]), 'createdAt')) ?? undefined);
        return {
          pending: Math.max(0, open - inFlight),
          inFlight,
          delivered,
          dead,
          oldestPendingAgeMs: first === undefined ? 0 : Math.max(0, at - first),
        };
      }),
    async close() {
      // This instance's consumers go with it, unless they still hold entries (another instance
      // takes those over after the lease, and prunes the consumer then).
      if (redis.status === 'ready') {
        for (const app of groups) await script(PRUNE, [k.stream(app)], [group, '', 0, consumer]).catch(() => undefined);
      }
      if (owned) await redis.quit().catch(() => undefined);
    },
  };
}
