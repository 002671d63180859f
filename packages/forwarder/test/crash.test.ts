import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPayNotification, signNotifyXml } from '@wxpay-kit/core/testing';
import { createFileStore, verifyWebhook, webhookIdFor } from '@wxpay-kit/forwarder';
import { bundleFixture, ROOT, type BundledFixture } from './helpers/bundle-fixture.js';
import { startCallbackServer } from './helpers/callback-server.js';
import { freePort } from './helpers/free-port.js';

const TOTAL = 1_000;
const SENDERS = 16;
const API_KEY = '192006250b4c09247ec02edce69f6a2d';
const MCH_ID = '10000100';
const APP_ID = 'wxd930ea5d5a258f4f';
const SECRET = 'whsec_Y3Jhc2gtdGVzdC1zZWNyZXQ=';
const FIXTURE = fileURLToPath(new URL('./fixtures/crash-gateway.ts', import.meta.url));

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('crash safety of the file store and the forwarder', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let bundle: BundledFixture;
  beforeAll(async () => {
    bundle = await bundleFixture('gateway', FIXTURE);
    cleanups.push(() => bundle.remove());
  }, 60_000);
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('delivers every acknowledged notification at least once while the gateway is SIGKILLed at random moments', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wxpay-crash-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    const callback = await startCallbackServer((_req, res) => res.writeHead(200).end());
    cleanups.push(() => callback.close());

    let child: ChildProcess | undefined;
    const start = async (): Promise<void> => {
      const proc = spawn(process.execPath, [bundle.file], {
        cwd: ROOT,
        env: {
          ...process.env,
          STORE_DIR: dir,
          PORT: String(port),
          MCH_ID,
          API_KEY,
          APP_ID,
          CALLBACK_URL: `${callback.url}/shop/paid`,
          WEBHOOK_SECRET: SECRET,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const ready = await new Promise<boolean>((resolve) => {
        proc.stdout!.on('data', (c: Buffer) => {
          if (c.toString().includes('ready')) resolve(true);
        });
        proc.once('exit', () => resolve(false));
      });
      if (!ready) throw new Error(`the gateway did not start: ${stderr.slice(0, 2_000)}`);
      child = proc;
    };
    const kill = async (): Promise<void> => {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGKILL');
      await exited;
    };
    cleanups.push(kill);

    const notifications = Array.from({ length: TOTAL }, (_, i) => {
      const fields = buildPayNotification({ appid: APP_ID, mch_id: MCH_ID, out_trade_no: `C${i}`, total_fee: 100 + i, cash_fee: 100 + i });
      return { orderId: `C${i}`, id: webhookIdFor(['paid', MCH_ID, fields['transaction_id']!]), xml: signNotifyXml(fields, API_KEY) };
    });

    // WeChat's side: send each notification until it is answered SUCCESS.
    const acknowledged = new Set<string>();
    const ackWaiters: (() => void)[] = [];
    let next = 0;
    const send = async (): Promise<void> => {
      for (let n = next++; n < TOTAL; n = next++) {
        const note = notifications[n]!;
        for (;;) {
          try {
            const res = await request(`http://127.0.0.1:${port}/notify-pay/shop`, {
              method: 'POST',
              body: note.xml,
              headers: { 'content-type': 'text/xml' },
              signal: AbortSignal.timeout(5_000),
            });
            const text = await res.body.text();
            if (res.statusCode === 200 && text.includes('<return_code><![CDATA[SUCCESS]]></return_code>')) {
              acknowledged.add(note.orderId);
              for (const w of ackWaiters.splice(0)) w();
              break;
            }
          } catch {
            // Refused or reset while the gateway is down: retry, as WeChat does.
          }
          await pause(20);
        }
      }
    };

    await start();
    let kills = 0;
    let sending = true;
    // Kills land after a random number of acknowledgements (so there are several however fast the
    // machine is), plus a random delay, so they hit every stage: claim, outbox write, delivery, ack.
    const chaos = (async () => {
      let threshold = 0;
      while (sending) {
        threshold = acknowledged.size + 60 + Math.floor(Math.random() * 140);
        while (sending && acknowledged.size < threshold) await new Promise<void>((resolve) => ackWaiters.push(resolve));
        if (!sending) break;
        await pause(Math.floor(Math.random() * 30));
        await kill();
        kills++;
        await start();
      }
    })();
    await Promise.all(Array.from({ length: SENDERS }, send));
    sending = false;
    for (const w of ackWaiters.splice(0)) w();
    await chaos;
    expect(acknowledged.size).toBe(TOTAL);
    expect(kills).toBeGreaterThanOrEqual(3);

    // One last kill, then look into the outbox: every acknowledged result must be in it.
    await kill();
    const expected = new Map(notifications.map((n) => [n.id, n.orderId]));
    const view = await createFileStore({ dir, readOnly: true });
    const stored = new Set((await view.list({ limit: 10 * TOTAL })).map((r) => r.id));
    await view.close();
    expect([...expected.keys()].filter((id) => !stored.has(id))).toEqual([]);

    // Restarted, the forwarder delivers whatever was still pending.
    await start();
    const seen = (): Set<string> => new Set(callback.received.map((r) => String(r.headers['webhook-id'])));
    while ([...expected.keys()].some((id) => !seen().has(id))) await callback.waitFor(callback.received.length + 1);
    const ids = seen();
    expect([...expected.keys()].filter((id) => !ids.has(id))).toEqual([]);
    // Every delivery is genuine, and carries the id of its own result.
    for (const r of callback.received) {
      const { id, body } = verifyWebhook<{ order_id: string }>({ payload: r.body, headers: r.headers as never, secret: SECRET });
      expect(expected.get(id)).toBe(body.order_id);
    }
  }, 120_000);
});
