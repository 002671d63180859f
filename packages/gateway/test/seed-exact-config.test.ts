/**
 * go-wxpay-gateway's promise: a client switches by changing the host name. The built command is
 * started on a configuration written exactly as the seed README documents it (no key of ours:
 * no `app-ids`, no `api-base-url`), with a `-dev` app on a sandbox merchant whose `mch-app-key`
 * is the sandbox key, as go-wxpay-getsandbox prints it. The gateway's embedded simulator stands
 * in for WeChat's sandbox.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '@wxpay-kit/core/protocol';
import { createSimulatorClient } from '@wxpay-kit/simulator';
import { postJson, requireBuild, runCli, startReceiver, type GatewayProcess, type Receiver } from './helpers.js';

/** What go-wxpay-getsandbox printed for this merchant: the sandbox key, not the API key. */
const SANDBOX_KEY = '3f7c1b2a9d8e4f60a1b2c3d4e5f60718';
const MCH_ID = '1530730681';
/** The seed README's example appId; the config lists none. */
const APP_ID = 'wxc914c55fba939e3c';

let receiver: Receiver;
let gateway: GatewayProcess;
let base: string;
let dir: string;
let simUrl: string;

/** A port nothing listens on right now: the seed's notify URLs are fixed in the file, so the port must be known first. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-seed-exact-'));
  receiver = await startReceiver();
  const port = await freePort();
  const config = {
    'listen-host': '127.0.0.1',
    'listen-port': port,
    'notify-pay-url': `http://127.0.0.1:${port}/wxpay/notify-pay`,
    'notify-refund-url': `http://127.0.0.1:${port}/wxpay/notify-refund`,
    'notify-file': 'notify.log',
    endpoints: {
      'create-pay': '/wxpay/create-pay',
      'notify-pay': '/wxpay/notify-pay',
      'create-refund': '/wxpay/create-refund',
      'notify-refund': '/wxpay/notify-refund',
      'query-order': '/wxpay/queryorder',
    },
    merchants: [{ name: 'sandbox-mch', 'mch-id': MCH_ID, 'mch-app-key': SANDBOX_KEY }],
    apps: [
      {
        name: 'app-dev',
        merchant: 'sandbox-mch',
        'notify-pay-callback': `${receiver.url}/pay-cb`,
        'notify-refund-callback': `${receiver.url}/refund-cb`,
      },
    ],
  };
  const file = join(dir, 'wxpay-gateway-conf.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  gateway = runCli([], { CONF_FILE: file });
  base = (await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  await gateway.waitFor(/"msg":"wxpay-gateway listening"/);
  simUrl = gateway.logs().find((l) => l['msg'] === 'wxpay-gateway listening')?.['simulator'] as string;
});

afterAll(async () => {
  if (gateway && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const order = (orderId: string, extra: Record<string, unknown> = {}) => ({
  appId: APP_ID,
  payApp: 'app-dev',
  goods: '商品名',
  udd: '用户自定义数据',
  orderId,
  fee: 101,
  ip: '127.0.0.1',
  ...extra,
});

describe('wxpay-gateway on a configuration exactly as go-wxpay-gateway documents it', () => {
  it('starts, warning once that the app lists no app-ids, and about nothing else', () => {
    const text = gateway.stdout() + gateway.stderr();
    const appIdWarnings = text.split('\n').filter((l) => l.includes('lists no "app-ids"'));
    expect(appIdWarnings).toHaveLength(1);
    expect(appIdWarnings[0]).toContain('app "app-dev"');
    expect(text).not.toContain('unknown key');
    expect(simUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(base).toBe(`http://127.0.0.1:${new URL(base).port}`);
  });

  it('create-pay/JSAPI: the -dev app pays on the sandbox, signed with mch-app-key as it is', async () => {
    const { status, json } = await postJson(
      `${base}/wxpay/create-pay/JSAPI`,
      order('seed-jsapi-1', { openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }),
    );
    expect(status).toBe(200);
    expect(json).toMatchObject({ code: 200, msg: 'OK' });
    const params = json.result.jsapi_params as Record<string, string>;
    expect(params).toMatchObject({ appId: APP_ID, package: `prepay_id=${json.result.prepay_id}`, signType: 'MD5' });
    const { paySign, ...signed } = params;
    expect(paySign).toBe(sign(signed, SANDBOX_KEY, 'MD5'));
    const placed = await createSimulatorClient(simUrl).order('seed-jsapi-1');
    expect(placed).toMatchObject({ environment: 'sandbox', mchId: MCH_ID, appId: APP_ID, totalFee: 101 });
  });

  it("the embedded sandbox knows mch-app-key as the merchant's sandbox key and accepts any appId", async () => {
    const merchants = await createSimulatorClient(simUrl).listMerchants();
    expect(merchants.map((m) => [m.mchId, m.sandboxKey, m.appIds])).toEqual([[MCH_ID, SANDBOX_KEY, ['*']]]);
    const other = await postJson(`${base}/wxpay/create-pay/APP`, order('seed-app-1', { appId: 'wx0123456789abcdef' }));
    expect(other.status).toBe(200);
    expect(other.json.result.req_params).toMatchObject({ appid: 'wx0123456789abcdef', partnerid: MCH_ID, package: 'Sign=WXPay' });
  });

  it('create-pay/NATIVE, query-order NOTPAY, the user pays, the callback arrives, query-order SUCCESS', async () => {
    const created = await postJson(`${base}/wxpay/create-pay/NATIVE`, order('seed-native-1', { productId: '商品ID' }));
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ code: 200, msg: 'OK' });
    expect(created.json.result.code_url).toMatch(/^weixin:\/\//);
    expect(created.json.result.prepay_id).toBeTruthy();

    const before = await postJson(`${base}/wxpay/queryorder`, { appId: APP_ID, payApp: 'app-dev', orderId: 'seed-native-1' });
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({ app_id: APP_ID, mch_id: MCH_ID, order_id: 'seed-native-1' });
    expect(before.json.transaction_id ?? '').toBe('');

    // The sandbox notifies the gateway signed with the sandbox key; the gateway verifies it with mch-app-key.
    await createSimulatorClient(simUrl).pay('seed-native-1');
    const callback = await receiver.waitFor((r) => r.path === '/pay-cb' && r.body.includes('seed-native-1'));
    const paid = JSON.parse(callback.body) as Record<string, unknown>;
    expect(paid).toMatchObject({ result_code: 'SUCCESS', mch_id: MCH_ID, trade_type: 'NATIVE', total_fee: 101, order_id: 'seed-native-1' });

    const after = await postJson(`${base}/wxpay/queryorder`, { appId: APP_ID, payApp: 'app-dev', orderId: 'seed-native-1' });
    expect(after.status).toBe(200);
    expect(after.json).toMatchObject({
      app_id: APP_ID,
      mch_id: MCH_ID,
      result_code: 'SUCCESS',
      trade_type: 'NATIVE',
      total_fee: 101,
      order_id: 'seed-native-1',
    });
    expect(after.json.transaction_id).toBe(paid['transaction_id']);
    expect(gateway.logs().some((l) => l['msg'] === 'notification rejected')).toBe(false);
  });

  it('never prints the sandbox key', () => {
    expect(gateway.stdout() + gateway.stderr()).not.toContain(SANDBOX_KEY);
  });
});
