import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { parseGatewayConfig } from './config/load-config.js';
import { createGatewayLogger } from './logger.js';
import { startGateway, type GatewayHandle } from './server.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const APP_ID = 'wxd930ea5d5a258f4f';

let sim: RunningSimulator;
let dir: string;
let gateway: GatewayHandle;
const lines: Record<string, unknown>[] = [];
let release: () => void = () => undefined;
let entered: Promise<void>;
let markEntered: () => void = () => undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-server-'));
  sim = await startSimulator({ port: 0, timeFactor: 0.001 });
  const { config } = parseGatewayConfig(
    {
      'listen-host': '127.0.0.1',
      'listen-port': 0,
      store: `file:${join(dir, 'store')}`,
      endpoints: { 'query-order': '/wxpay/queryorder', 'close-order': '' },
      merchants: [{ name: 'mch', 'mch-id': '1900000109', 'mch-app-key': KEY, 'api-base-url': sim.url }],
      apps: [{ name: 'shop', merchant: 'mch', 'app-ids': [APP_ID] }],
    },
    { baseDir: dir },
  );
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  entered = new Promise<void>((resolve) => (markEntered = resolve));
  gateway = await startGateway({
    config,
    logger: createGatewayLogger({ level: 'info', destination }),
    async extra(_req, res, url) {
      if (url.pathname !== '/slow') return false;
      markEntered();
      await new Promise<void>((resolve) => (release = resolve));
      res.writeHead(200, { 'content-type': 'text/plain' }).end('finished');
      return true;
    },
  });
});

afterAll(async () => {
  await gateway?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown) =>
  fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('startGateway', () => {
  it('answers /health and /ready', async () => {
    const health = await fetch(`${gateway.url}/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${gateway.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', details: { sweeper: { state: 'on' } } });
  });

  it('serves the configured endpoint paths through the core routes', async () => {
    const created = await post('/wxpay/create-pay/NATIVE', {
      appId: APP_ID,
      payApp: 'shop',
      goods: 'g',
      orderId: 'srv-1',
      fee: 5,
      ip: '127.0.0.1',
      productId: 'p',
    });
    expect(created.status).toBe(200);
    const body = (await created.json()) as { code: number; result: { code_url: string } };
    expect(body.code).toBe(200);
    expect(body.result.code_url).toBeTruthy();
    const query = await post('/wxpay/queryorder', { appId: APP_ID, payApp: 'shop', orderId: 'srv-1' });
    expect(query.status).toBe(200);
    expect(await query.json()).toMatchObject({ order_id: 'srv-1', total_fee: 5 });
  });

  it('answers 404 {code, msg} for a disabled endpoint, a core path, or anything else', async () => {
    for (const path of ['/wxpay/close-order', '/query-order', '/wxpay/create-pay']) {
      const res = await post(path, {});
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 404 });
    }
  });

  it('answers 405 {code, msg} with Allow for a known endpoint asked with another method', async () => {
    for (const [method, path] of [
      ['GET', '/wxpay/queryorder'],
      ['PUT', '/wxpay/create-pay/NATIVE'],
      ['GET', '/wxpay/notify-pay/shop'],
      ['DELETE', '/wxpay/create-refund'],
    ] as const) {
      const res = await fetch(`${gateway.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(await res.json()).toMatchObject({ code: 405 });
    }
    expect(lines.some((l) => l['msg'] === 'method not allowed' && l['path'] === '/wxpay/queryorder' && l['status'] === 405)).toBe(true);
  });

  it('answers an unknown payApp with 400 {code, msg, err_code, retryable}', async () => {
    const res = await post('/wxpay/queryorder', { appId: APP_ID, payApp: 'nope', orderId: 'x' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['code', 'err_code', 'msg', 'retryable']);
    expect(body['code']).toBe(400);
  });

  it('logs one line per API call', () => {
    const calls = lines.filter((l) => l['msg'] === 'api call');
    expect(calls.map((l) => [l['path'], l['status']])).toEqual(
      expect.arrayContaining([
        ['/wxpay/create-pay/NATIVE', 200],
        ['/wxpay/queryorder', 200],
        ['/wxpay/queryorder', 400],
      ]),
    );
    expect(lines.some((l) => l['msg'] === 'wxpay-gateway listening')).toBe(true);
  });

  it('finishes a request in flight before close() resolves, and refuses new ones after', async () => {
    const slow = fetch(`${gateway.url}/slow`);
    await entered;
    let closed = false;
    const closing = gateway.close().then(() => {
      closed = true;
    });
    // The listener is closed: a new connection is refused while the slow request still runs.
    await expect(fetch(`${gateway.url}/health`, { headers: { connection: 'close' } })).rejects.toThrow();
    expect(closed).toBe(false);
    release();
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('finished');
    await closing;
    expect(lines.some((l) => l['msg'] === 'wxpay-gateway stopped')).toBe(true);
  });
});

describe('startGateway with bearer-token', () => {
  it('guards the internal endpoints but not health or the notifications', async () => {
    const token = 'a-long-enough-internal-token';
    const { config } = parseGatewayConfig(
      {
        'listen-host': '127.0.0.1',
        'listen-port': 0,
        store: `file:${join(dir, 'store-bearer')}`,
        'bearer-token': token,
        merchants: [{ name: 'mch', 'mch-id': '1900000109', 'mch-app-key': KEY, 'api-base-url': sim.url }],
        apps: [{ name: 'shop', merchant: 'mch', 'app-ids': [APP_ID] }],
      },
      { baseDir: dir },
    );
    const quiet = new Writable({ write: (_c, _e, done) => done() });
    const guarded = await startGateway({ config, logger: createGatewayLogger({ destination: quiet }) });
    try {
      const body = JSON.stringify({ appId: APP_ID, payApp: 'shop', orderId: 'b-1' });
      const headers = { 'content-type': 'application/json' };
      const refused = await fetch(`${guarded.url}/wxpay/query-order`, { method: 'POST', headers, body });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ code: 401 });
      const allowed = await fetch(`${guarded.url}/wxpay/query-order`, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${token}` },
        body,
      });
      expect(allowed.status).not.toBe(401);
      expect((await fetch(`${guarded.url}/health`)).status).toBe(200);
      // A notification is WeChat's, never guarded: it is refused for its content, not for auth.
      const notify = await fetch(`${guarded.url}/wxpay/notify-pay/shop`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: '<xml><return_code>SUCCESS</return_code></xml>',
      });
      expect(notify.status).not.toBe(401);
      expect(await notify.text()).toContain('<return_code><![CDATA[FAIL]]></return_code>');
    } finally {
      await guarded.close();
    }
  });
});
