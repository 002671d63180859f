/**
 * Slow-loris against the gateway's own server settings (GATEWAY_SERVER_TIMEOUTS: headersTimeout
 * 10 s, requestTimeout 30 s, checked every 2 s), ten sockets at once, through the reliability host
 * process. test/reliability/slow-senders.test.ts checks the 40 s bound in every run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { startHost } from '../reliability/host-process.js';
import { writeFigures } from '../reliability/support.js';

function trickle(port: number, prefix: string, rest: string, everyMs: number): Promise<{ reply: string; afterMs: number }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const started = performance.now();
    let reply = '';
    let i = 0;
    socket.write(prefix);
    const timer = setInterval(() => {
      if (socket.writable) socket.write(rest[i++ % rest.length] ?? ' ');
    }, everyMs);
    socket.on('data', (d: Buffer) => void (reply += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ reply, afterMs: performance.now() - started });
    });
  });
}

describe('gateway slow-loris', () => {
  it('closes trickling headers and trickling bodies on its own timeouts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxpay-loris-'));
    const host = await startHost({ ADAPTER: 'gateway', STORE: 'file', STORE_DIR: dir, LOG_LEVEL: 'silent' });
    const port = Number(new URL(host.url).port);
    try {
      const outcomes = await Promise.all([
        ...Array.from({ length: 5 }, () =>
          trickle(
            port,
            '',
            'POST /wxpay/notify-pay/shop HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
            500,
          ),
        ),
        ...Array.from({ length: 5 }, () =>
          trickle(
            port,
            'POST /wxpay/notify-pay/shop HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 60000\r\n\r\n',
            'x',
            200,
          ),
        ),
      ]);
      for (const o of outcomes) if (o.reply !== '') expect(o.reply).toMatch(/^HTTP\/1\.1 (408|400)/);
      writeFigures('gateway-slow-loris', { closedAfterMs: outcomes.map((o) => Math.round(o.afterMs)) });
    } finally {
      await host.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
