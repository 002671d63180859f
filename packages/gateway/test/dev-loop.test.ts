/**
 * The developer loop of default mode, driven as a developer would: `wxpay-gateway --forward-to
 * <my receiver> --sim-port <n>`, then `wxpay-simulator pay|refund <orderId>` from the terminal.
 * Every callback reaches the developer's receiver, signed with the secret the banner printed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '@wxpay-kit/forwarder';
import { postJson, requireBuild, ROOT, runCli, startReceiver, type GatewayProcess, type Receiver } from './helpers.js';

const SIMULATOR_CLI = join(ROOT, 'packages/simulator/dist/cli.js');
const FORWARDER_CLI = join(ROOT, 'packages/forwarder/dist/cli.js');
const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function simulatorCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SIMULATOR_CLI, ...args], { cwd: ROOT });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

let gateway: GatewayProcess;
let receiver: Receiver;
let base: string;
let secret: string;
let simPort: number;
let dataDir: string;

beforeAll(async () => {
  requireBuild();
  receiver = await startReceiver();
  simPort = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-devloop-'));
  gateway = runCli(['--port', '0', '--sim-port', String(simPort), '--forward-to', `${receiver.url}/hooks/wxpay`, '--data-dir', dataDir]);
  base = (await gateway.waitFor(/Demo shop\s+(http:\/\/127\.0\.0\.1:\d+)\//))[1]!;
  secret = (await gateway.waitFor(/Signing secret\s+(whsec_\S+)/))[1]!;
});

afterAll(async () => {
  if (gateway && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }
  await receiver?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('default mode for a developer', () => {
  it('prints where callbacks go and serves GET /info with the simulator URL and versions', async () => {
    expect(gateway.stdout()).toContain(`Callbacks            forwarded to ${receiver.url}/hooks/wxpay`);
    const res = await fetch(`${base}/info`);
    expect(res.status).toBe(200);
    const info = (await res.json()) as Record<string, any>;
    const version = (JSON.parse(readFileSync(join(ROOT, 'packages/gateway/package.json'), 'utf8')) as { version: string }).version;
    expect(info).toMatchObject({
      name: 'wxpay-gateway',
      mode: 'default',
      simulatorUrl: `http://127.0.0.1:${simPort}`,
      forwardTo: `${receiver.url}/hooks/wxpay`,
      versions: { gateway: version, simulator: version },
      gatewayUrl: base,
    });
    expect(info['demoApps'].map((a: { payApp: string }) => a.payApp)).toEqual(['demo', 'demo-v3']);
  });

  it('an order paid and refunded from the terminal arrives at the receiver as signed callbacks', async () => {
    for (const app of [
      { payApp: 'demo', appId: 'wxd930ea5d5a258f4f' },
      { payApp: 'demo-v3', appId: 'wxd678efh567hg6787' },
    ]) {
      const orderId = `dev-${app.payApp}-${Date.now()}`;
      const created = await postJson(`${base}/wxpay/create-pay/NATIVE`, {
        ...app,
        goods: 'coffee',
        orderId,
        fee: 100,
        ip: '127.0.0.1',
        productId: 'p1',
      });
      expect(created.status).toBe(200);

      const paid = await simulatorCli('pay', orderId, '--url', `http://127.0.0.1:${simPort}`);
      expect(paid).toMatchObject({ code: 0, err: '' });
      expect(paid.out).toMatch(new RegExp(`^order ${orderId}  SUCCESS  100 fen`));
      const isFor = (r: { body: string }) => r.body.includes(`"order_id":"${orderId}"`);
      const payCallback = await receiver.waitFor((r) => isFor(r) && !r.body.includes('"refund_fee"'));
      expect(payCallback.path).toBe('/hooks/wxpay');
      const verified = verifyWebhook<{ order_id: string; total_fee: number; result_code: string }>({
        payload: payCallback.body,
        headers: payCallback.headers,
        secret,
      });
      expect(verified.body).toMatchObject({ order_id: orderId, total_fee: 100, result_code: 'SUCCESS' });

      const refunded = await simulatorCli('refund', orderId, '--fee', '40', '--url', `http://127.0.0.1:${simPort}`);
      expect(refunded.code).toBe(0);
      expect(refunded.out).toMatch(new RegExp(`^refund \\S+ of order ${orderId}  SUCCESS  40 fen`));
      const refundCallback = await receiver.waitFor((r) => isFor(r) && r.body.includes('"refund_fee":40'));
      expect(refundCallback.path).toBe('/hooks/wxpay');
      expect(verifyWebhook({ payload: refundCallback.body, headers: refundCallback.headers, secret }).body).toMatchObject({
        order_id: orderId,
        refund_fee: 40,
        refund_status: 'SUCCESS',
      });
    }
  });

  it('every command prints its version', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'packages/gateway/package.json'), 'utf8')) as { version: string }).version;
    expect((await simulatorCli('--version')).out).toBe(`wxpay-simulator ${version}\n`);
    const { stdout } = await run(process.execPath, [FORWARDER_CLI, '--version'], { cwd: ROOT });
    expect(stdout).toBe(`wxpay-forwarder ${version}\n`);
  });

  it('refuses a --forward-to that is not an http(s) URL, in one line', async () => {
    const bad = runCli(['--port', '0', '--forward-to', 'localhost:3000/hook']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toBe(
      'wxpay-gateway: --forward-to must be an absolute http(s) URL, such as http://127.0.0.1:3000/webhooks/wxpay, not "localhost:3000/hook"\n',
    );
  });
});
