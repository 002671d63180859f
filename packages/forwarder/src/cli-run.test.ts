import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli-run.js';
import { createFileStore } from './stores/file-store.js';

describe('wxpay-forwarder CLI', () => {
  let dir: string;
  let out: string;
  let err: string;
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t), now: () => 10_000 };
  const cli = (...args: string[]) => runCli(args, io);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wxpay-cli-'));
    out = '';
    err = '';
    const store = await createFileStore({ dir, now: () => 0 });
    for (const id of ['msg_a', 'msg_b', 'msg_c']) await store.append({ id, app: 'shop', event: 'paid', body: '{}', createdAt: 0 });
    await store.lease({ app: 'shop', limit: 3, now: 0, leaseMs: 1 });
    await store.ack('msg_a', { at: 1, status: 200 });
    await store.dead('msg_b', { at: 1, status: 500, error: 'HTTP 500' });
    await store.close();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the counts', async () => {
    expect(await cli('status', '--store', `file:${dir}`, '--json')).toBe(0);
    expect(JSON.parse(out)).toEqual({ pending: 1, inFlight: 0, delivered: 1, dead: 1, oldestPendingAgeMs: 10_000 });
    out = '';
    expect(await cli('status', '--store', `file:${dir}`)).toBe(0);
    expect(out).toMatch(/dead\s+1/);
  });

  it('lists dead letters without their bodies', async () => {
    expect(await cli('list', '--dead', '--store', `file:${dir}`, '--json')).toBe(0);
    const listed = JSON.parse(out) as { id: string; body?: string; lastError: string }[];
    expect(listed.map((r) => r.id)).toEqual(['msg_b']);
    expect(listed[0]!.body).toBeUndefined();
    expect(listed[0]!.lastError).toBe('HTTP 500');
  });

  it('replays one record and then every dead letter', async () => {
    expect(await cli('replay', 'msg_a', '--store', `file:${dir}`)).toBe(0);
    expect(out).toBe('msg_a queued for redelivery\n');
    out = '';
    expect(await cli('replay', '--dead', '--store', `file:${dir}`)).toBe(0);
    expect(out).toBe('1 dead letter(s) queued for redelivery\n');
    const store = await createFileStore({ dir, readOnly: true });
    expect((await store.list()).map((r) => [r.id, r.state])).toEqual([
      ['msg_a', 'pending'],
      ['msg_b', 'pending'],
      ['msg_c', 'pending'],
    ]);
    await store.close();
  });

  it('fails on an unknown id and while another process owns the store', async () => {
    expect(await cli('replay', 'msg_zz', '--store', `file:${dir}`)).toBe(1);
    expect(err).toContain('unknown or still pending');
    const owner = await createFileStore({ dir });
    try {
      err = '';
      expect(await cli('replay', '--dead', '--store', `file:${dir}`)).toBe(1);
      expect(err).toContain('already open');
      expect(await cli('status', '--store', `file:${dir}`)).toBe(0);
    } finally {
      await owner.close();
    }
  });

  it('refuses to report on a store that does not exist instead of printing zero counts', async () => {
    const missing = join(dir, 'no-such-store');
    expect(await cli('status', '--store', `file:${missing}`)).toBe(1);
    expect(out).toBe('');
    expect(err).toBe(
      `no forwarder store at ${missing} (no outbox.log there): check --store; a gateway's store is its "store-dir" or --data-dir\n`,
    );
    err = '';
    expect(await cli('list', '--store', `file:${missing}`)).toBe(1);
    expect(err).toContain('no forwarder store');
  });

  it('lists oldest first, as its help says', async () => {
    const other = await mkdtemp(join(tmpdir(), 'wxpay-cli-order-'));
    try {
      const store = await createFileStore({ dir: other, now: () => 0 });
      // Appended out of time order: the list follows createdAt, not the order of the log.
      for (const [id, createdAt] of [
        ['late', 300],
        ['early', 100],
        ['middle', 200],
      ] as const) {
        await store.append({ id, app: 'shop', event: 'paid', body: '{}', createdAt });
      }
      await store.close();
      expect(await cli('list', '--store', `file:${other}`, '--json')).toBe(0);
      expect((JSON.parse(out) as { id: string }[]).map((r) => r.id)).toEqual(['early', 'middle', 'late']);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('prints its version', async () => {
    expect(await cli('--version')).toBe(0);
    expect(out).toMatch(/^wxpay-forwarder \d+\.\d+\.\d+/);
  });

  it('answers bad usage with exit code 2 and the usage text', async () => {
    expect(await cli('status')).toBe(2);
    expect(await cli('frobnicate', '--store', `file:${dir}`)).toBe(2);
    expect(await cli('replay', '--store', `file:${dir}`)).toBe(2);
    expect(await cli('status', '--store', 'ftp://x')).toBe(1);
    expect(err).toContain('Usage: wxpay-forwarder');
  });
});
