import { describe, expect, it, vi } from 'vitest';
import { ListenerError, SignatureError } from '../errors.js';
import type { Logger } from '../logger.js';
import { createEmitter } from './emitter.js';
import type { PaidEvent } from './event-map.js';

function recordingLogger(): Logger & { calls: { level: string; obj: object; msg?: string }[] } {
  const calls: { level: string; obj: object; msg?: string }[] = [];
  const log = (level: string) => (obj: object, msg?: string) => void calls.push({ level, obj, msg });
  return { calls, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

const paid = { orderId: 'o1', transactionId: 't1' } as PaidEvent;

describe('createEmitter', () => {
  it('waits for every async listener before resolving', async () => {
    const emitter = createEmitter({ logger: recordingLogger() });
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    emitter.on('paid', async () => {
      await gate;
      order.push('slow');
    });
    emitter.on('paid', () => void order.push('sync'));
    let done = false;
    const pending = emitter.emitAndWait('paid', paid).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    release();
    await pending;
    expect(order).toEqual(['sync', 'slow']);
  });

  it('rejects with one ListenerError holding every failure, and still runs the other listeners', async () => {
    const emitter = createEmitter({ logger: recordingLogger() });
    const ran: string[] = [];
    emitter.on('paid', () => {
      throw new Error('sync boom');
    });
    emitter.on('paid', async () => {
      ran.push('ok');
    });
    emitter.on('paid', async () => Promise.reject(new Error('async boom')));
    const error = await emitter.emitAndWait('paid', paid).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ListenerError);
    expect((error as ListenerError).errors.map((e) => (e as Error).message)).toEqual(['sync boom', 'async boom']);
    expect(ran).toEqual(['ok']);
  });

  it('resolves with no listeners', async () => {
    const emitter = createEmitter({ logger: recordingLogger() });
    await expect(emitter.emitAndWait('paid', paid)).resolves.toBeUndefined();
  });

  it('fires a once listener a single time and off removes a listener', async () => {
    const emitter = createEmitter({ logger: recordingLogger() });
    const once = vi.fn();
    const always = vi.fn();
    emitter.once('paid', once);
    emitter.on('paid', always);
    await emitter.emitAndWait('paid', paid);
    await emitter.emitAndWait('paid', paid);
    emitter.off('paid', always);
    await emitter.emitAndWait('paid', paid);
    expect(once).toHaveBeenCalledTimes(1);
    expect(always).toHaveBeenCalledTimes(2);
    expect(emitter.listenerCount('paid')).toBe(0);
  });

  it('off removes a once listener before it fires', async () => {
    const emitter = createEmitter({ logger: recordingLogger() });
    const once = vi.fn();
    emitter.once('paid', once);
    emitter.off('paid', once);
    await emitter.emitAndWait('paid', paid);
    expect(once).not.toHaveBeenCalled();
  });

  it('passes the payload and the context', async () => {
    const context = { name: 'instance' };
    const emitter = createEmitter({ logger: recordingLogger(), context });
    let seen: unknown;
    let self: unknown;
    emitter.on('paid', function (this: unknown, event) {
      seen = event;
      self = this;
    });
    await emitter.emitAndWait('paid', paid);
    expect(seen).toBe(paid);
    expect(self).toBe(context);
  });

  it('never throws from an error listener and logs its failure', async () => {
    const logger = recordingLogger();
    const emitter = createEmitter({ logger });
    const seen: unknown[] = [];
    emitter.on('error', (e) => void seen.push(e.error));
    emitter.on('error', () => {
      throw new Error('listener broke');
    });
    emitter.on('error', async () => Promise.reject(new Error('async listener broke')));
    const error = new SignatureError('mismatch');
    expect(() => emitter.emitError({ error, route: '/notify-pay/:app' })).not.toThrow();
    await vi.waitFor(() => expect(logger.calls.filter((c) => c.level === 'error')).toHaveLength(2));
    expect(seen).toEqual([error]);
  });

  it('logs an error event nobody listens to', () => {
    const logger = recordingLogger();
    const emitter = createEmitter({ logger });
    emitter.emitError({ error: new SignatureError('missing'), app: 'shop' });
    expect(logger.calls).toHaveLength(1);
    expect(logger.calls[0]).toMatchObject({ level: 'warn', obj: { code: 'WXPAY_ERR_SIGNATURE', app: 'shop' } });
  });

  describe('emitSettling', () => {
    it('returns undefined when nobody listens, and when every listener finished synchronously', () => {
      const emitter = createEmitter({ logger: recordingLogger() });
      expect(emitter.emitSettling('paid', paid)).toBeUndefined();
      const seen: string[] = [];
      emitter.on('paid', (e) => void seen.push(e.orderId));
      emitter.once('paid', (e) => void seen.push(`once:${e.orderId}`));
      expect(emitter.emitSettling('paid', paid)).toBeUndefined();
      expect(seen).toEqual(['o1', 'once:o1']);
    });

    it('returns a promise that waits for async listeners', async () => {
      const emitter = createEmitter({ logger: recordingLogger() });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let finished = false;
      emitter.on('paid', () => undefined);
      emitter.on('paid', async () => {
        await gate;
        finished = true;
      });
      const pending = emitter.emitSettling('paid', paid);
      expect(pending).toBeInstanceOf(Promise);
      release();
      await pending;
      expect(finished).toBe(true);
    });

    it('rejects with a ListenerError when a listener throws synchronously, after running the others', async () => {
      const emitter = createEmitter({ logger: recordingLogger() });
      const ran: string[] = [];
      emitter.on('paid', () => {
        throw new Error('sync boom');
      });
      emitter.on('paid', () => void ran.push('next'));
      const pending = emitter.emitSettling('paid', paid);
      expect(ran).toEqual(['next']);
      const error = await pending?.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ListenerError);
      expect((error as ListenerError).errors.map((e) => (e as Error).message)).toEqual(['sync boom']);
    });
  });
});
