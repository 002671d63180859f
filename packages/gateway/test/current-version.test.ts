/**
 * go-wxpay-gateway's current version (2025), replaced by the built `wxpay-gateway` with its config
 * file unchanged: a copy of that version's sample configuration with generated key files starts
 * without a warning about an unknown key, and its README's endpoints answer as it documents them,
 * in the current reply shapes (detected from the file) and in the first README's (`api-shape`).
 *
 * Gateway "current" runs the copy as it is: its `-dev` app pays on the embedded simulator. Gateway
 * "2019" runs the copy with `"api-shape": "2019"` and the live merchant pointed at a simulator this
 * test starts, which knows only that merchant's API v2 key: the merchant's v3 keys, given without
 * `api-version`, must leave its payments on v2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorClient, startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { skipWithout } from '../../../test/helpers/external-tools.js';
import { LIVE_API_KEY, LIVE_MCH_ID, SANDBOX_MCH_ID, writeCurrentSampleCopy } from './helpers/current-sample.js';
import { postJson, requireBuild, runCli, startReceiver, type GatewayProcess, type Receiver } from './helpers.js';

const APP_ID = 'wxc914c55fba939e3c';

interface Running {
  readonly gateway: GatewayProcess;
  readonly base: string;
  readonly simulatorUrl: string;
}

let dir: string;
let sim: RunningSimulator;
let receiver: Receiver;
let current: Running;
let legacy: Running;

async function start(file: string): Promise<Running> {
  const gateway = runCli([], { CONF_FILE: file });
  const base = (await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  await gateway.waitFor(/"msg":"wxpay-gateway listening"/);
  const simulatorUrl = gateway.logs().find((l) => l['msg'] === 'wxpay-gateway listening')?.['simulator'] as string;
  return { gateway, base, simulatorUrl };
}

async function stop(running: Running | undefined): Promise<void> {
  if (running && running.gateway.child.exitCode === null) {
    running.gateway.child.kill('SIGTERM');
    await running.gateway.exited;
  }
}

const skip = skipWithout(import.meta.url, ['openssl']);

beforeAll(async () => {
  if (skip) return;
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-current-'));
  receiver = await startReceiver();
  // Knows the live merchant's v2 key only: a v3 call would fail.
  sim = await startSimulator({ port: 0, merchants: [{ mchId: LIVE_MCH_ID, apiKey: LIVE_API_KEY, appIds: ['*'] }], timeFactor: 0.001 });
  const asIs = await writeCurrentSampleCopy(join(dir, 'current'));
  const old = await writeCurrentSampleCopy(join(dir, '2019'), (config) => {
    config['api-shape'] = '2019';
    config['merchants'][0]['api-base-url'] = sim.url;
  });
  [current, legacy] = await Promise.all([start(asIs.file), start(old.file)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([stop(current), stop(legacy)]);
  await sim?.close();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const dev = { appId: APP_ID, payApp: 'app-name-dev' };
const live = { appId: APP_ID, payApp: 'app-name' };
const order = (target: typeof dev, orderId: string, extra: Record<string, unknown> = {}) => ({
  ...target,
  goods: '测试商品',
  udd: 'user-data',
  orderId,
  fee: 101,
  ip: '127.0.0.1',
  ...extra,
});

describe.skipIf(skip)("go-wxpay-gateway's current sample configuration, as it is", () => {
  it('starts with no warning about an unknown or ignored key, and says which reply shapes it answers in', () => {
    expect(current.gateway.stderr()).not.toMatch(/unknown key|ignored|not used/);
    const notes = current.gateway.logs().map((l) => l['msg']);
    expect(notes).toContain('reply shapes: "current" (detected: a merchant names its key "mch-api-key" (go-wxpay-gateway since 2020))');
    expect(notes).toContain('"worker-num" (5) has no meaning here: one Node.js event loop serves every request');
    expect(notes).toContainEqual(
      expect.stringMatching(
        /^merchant "mch-name" pays on API v2; its API v3 keys \(.+\) are for the calls only API v3 has, such as transfer bills/,
      ),
    );
    expect(legacy.gateway.logs().map((l) => l['msg'])).toContain('reply shapes: "2019" ("api-shape" in the config)');
  });
});

describe.skipIf(skip)('the endpoints of the current README, in both reply shapes', () => {
  it('create-pay/JSAPI: jsapi_params is a JSON string (current) or an object (2019), signed MD5 on API v2', async () => {
    const now = await postJson(
      `${current.base}/wxpay/create-pay/JSAPI`,
      order(dev, 'cur-jsapi-1', { openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }),
    );
    expect(now.status).toBe(200);
    expect(typeof now.json.result.jsapi_params).toBe('string');
    const params = JSON.parse(now.json.result.jsapi_params);
    expect(params).toMatchObject({ appId: APP_ID, package: `prepay_id=${now.json.result.prepay_id}`, signType: 'MD5' });

    const old = await postJson(
      `${legacy.base}/wxpay/create-pay/JSAPI`,
      order(live, 'old-jsapi-1', { openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }),
    );
    expect(old.status).toBe(200);
    expect(old.json.result.jsapi_params).toMatchObject({ appId: APP_ID, signType: 'MD5' });
    // The live merchant has v3 keys and no api-version: the order went to the v2 unifiedorder.
    expect(await createSimulatorClient(sim.url).order('old-jsapi-1')).toMatchObject({ mchId: LIVE_MCH_ID, apiVersion: 'v2' });
  });

  it('create-pay/H5, APP and NATIVE answer as documented, in both shapes', async () => {
    for (const [running, target, tag] of [
      [current, dev, 'cur'],
      [legacy, live, 'old'],
    ] as const) {
      const h5 = await postJson(
        `${running.base}/wxpay/create-pay/H5`,
        order(target, `${tag}-h5-1`, {
          redirectUrl: 'http://localhost:11083',
          sceneInfo: { h5_info: { type: 'Wap', wap_name: 'shop', wap_url: 'https://shop.example.com' } },
        }),
      );
      expect(h5.json).toMatchObject({ code: 200, msg: 'OK', result: { pay_url: expect.stringContaining('redirect_url=') } });
      const app = await postJson(`${running.base}/wxpay/create-pay/APP`, order(target, `${tag}-app-1`));
      expect(app.json.result.req_params).toMatchObject({ appid: APP_ID, package: 'Sign=WXPay', prepayid: app.json.result.prepay_id });
      const native = await postJson(`${running.base}/wxpay/create-pay/NATIVE`, order(target, `${tag}-native-1`, { productId: 'p-1' }));
      expect(native.json.result.code_url).toMatch(/^weixin:\/\//);
    }
  });

  it('query-order by orderId and by transactionId: wrapped in {code, msg, result} (current) or flat (2019)', async () => {
    await postJson(`${current.base}/wxpay/create-pay/NATIVE`, order(dev, 'cur-q-1', { productId: 'p' }));
    await createSimulatorClient(current.simulatorUrl).pay('cur-q-1');
    const byOrder = await postJson(`${current.base}/wxpay/query-order`, { ...dev, orderId: 'cur-q-1' });
    expect(byOrder.status).toBe(200);
    expect(byOrder.json).toMatchObject({ code: 200, msg: 'OK', result: { order_id: 'cur-q-1', mch_id: SANDBOX_MCH_ID, total_fee: 101 } });
    const tx = byOrder.json.result.transaction_id as string;
    expect(tx).toMatch(/^\d{28}$/);
    const byTx = await postJson(`${current.base}/wxpay/query-order`, { ...dev, transactionId: tx, debug: true });
    expect(byTx.json).toMatchObject({ code: 200, result: { order_id: 'cur-q-1', transaction_id: tx } });

    await postJson(`${legacy.base}/wxpay/create-pay/NATIVE`, order(live, 'old-q-1', { productId: 'p' }));
    await sim.pay('old-q-1');
    const flat = await postJson(`${legacy.base}/wxpay/query-order`, { ...live, orderId: 'old-q-1' });
    expect(flat.json).toMatchObject({ order_id: 'old-q-1', mch_id: LIVE_MCH_ID, result_code: 'SUCCESS' });
    expect(flat.json).not.toHaveProperty('result');
    const flatByTx = await postJson(`${legacy.base}/wxpay/query-order`, { ...live, transactionId: flat.json.transaction_id });
    expect(flatByTx.json).toMatchObject({ order_id: 'old-q-1' });

    const neither = await postJson(`${current.base}/wxpay/query-order`, dev);
    expect(neither).toMatchObject({
      status: 400,
      json: { code: 400, msg: "orderId: give orderId (your order number) or transactionId (WeChat's)" },
    });
  });

  it('close-order by orderId answers {code: 200, msg: "OK"}; by transactionId it is refused, as WeChat closes by orderId only', async () => {
    for (const [running, target, tag] of [
      [current, dev, 'cur'],
      [legacy, live, 'old'],
    ] as const) {
      await postJson(`${running.base}/wxpay/create-pay/NATIVE`, order(target, `${tag}-close-1`, { productId: 'p' }));
      const closed = await postJson(`${running.base}/wxpay/close-order`, { ...target, orderId: `${tag}-close-1` });
      expect(closed).toEqual({ status: 200, json: { code: 200, msg: 'OK' } });
      const byTx = await postJson(`${running.base}/wxpay/close-order`, { ...target, transactionId: '4200000000202401010000000077' });
      expect(byTx.status).toBe(400);
    }
  });

  it('create-refund by orderId and by transactionId, with a per-call notifyUrl that WeChat notifies', async () => {
    await postJson(`${legacy.base}/wxpay/create-pay/NATIVE`, order(live, 'old-r-1', { productId: 'p' }));
    await sim.pay('old-r-1');
    const paid = await postJson(`${legacy.base}/wxpay/query-order`, { ...live, orderId: 'old-r-1' });
    const refund = await postJson(`${legacy.base}/wxpay/create-refund`, {
      ...live,
      transactionId: paid.json.transaction_id,
      refundId: 'old-r-1-a',
      totalFee: 101,
      refundFee: 60,
      refundReason: 'reason',
      notifyUrl: `${receiver.url}/app/refunded`,
    });
    expect(refund.status).toBe(200);
    expect(refund.json.result).toMatchObject({ order_id: 'old-r-1', refund_id: 'old-r-1-a', refund_fee: 60, total_fee: 101 });
    const byOrder = await postJson(`${legacy.base}/wxpay/create-refund`, {
      ...live,
      orderId: 'old-r-1',
      refundId: 'old-r-1-b',
      totalFee: 101,
      refundFee: 41,
    });
    expect(byOrder.json).toMatchObject({ code: 200, msg: 'OK', result: { refund_id: 'old-r-1-b' } });
    // WeChat sent the refund's result to the caller's URL, not to the gateway; the app has it checked.
    const notified = await receiver.waitFor((r) => r.path === '/app/refunded');
    expect(notified.body).toContain('<req_info>');
    const checked = await fetch(`${legacy.base}/verify-notify-refund?app=app-name`, { method: 'POST', body: notified.body });
    expect(checked.status).toBe(200);
    expect(await checked.json()).toMatchObject({ code: 200, msg: 'OK', params: { order_id: 'old-r-1', refund_id: 'old-r-1-a' } });

    const bad = await postJson(`${current.base}/wxpay/create-refund`, {
      ...dev,
      orderId: 'x',
      refundId: 'y',
      totalFee: 1,
      refundFee: 1,
      notifyUrl: 'https://shop.example.com/refund?a=1',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.msg).toMatch(/^notifyUrl: must be an absolute http\(s\) URL without query string/);
  });

  it("the app receives WeChat's pay notification at its notifyUrl and has it checked at verify-notify-pay: paid once, replays flagged, forgeries 406", async () => {
    await postJson(
      `${current.base}/wxpay/create-pay/NATIVE`,
      order(dev, 'cur-v-1', { productId: 'p', notifyUrl: `${receiver.url}/app/paid` }),
    );
    await createSimulatorClient(current.simulatorUrl).pay('cur-v-1');
    const notified = await receiver.waitFor((r) => r.path === '/app/paid' && r.body.includes('cur-v-1'));
    const check = (body: string) => fetch(`${current.base}/verify-notify-pay?app=app-name-dev`, { method: 'POST', body });
    const first = await check(notified.body);
    const reply = (await first.json()) as Record<string, any>;
    expect(first.status).toBe(200);
    expect(reply).toMatchObject({
      code: 200,
      msg: 'OK',
      params: { order_id: 'cur-v-1', total_fee: 101, result_code: 'SUCCESS' },
      redelivery: false,
    });
    expect(reply['msgForWxpay']).toContain('SUCCESS');
    expect(await (await check(notified.body)).json()).toMatchObject({ code: 200, redelivery: true });
    const forged = await check(notified.body.replace('<total_fee>101</total_fee>', '<total_fee>1</total_fee>'));
    expect(forged.status).toBe(406);
    const refusal = (await forged.json()) as Record<string, any>;
    expect(refusal).toMatchObject({ code: 406, params: null });
    expect(refusal['msgForWxpay']).toContain('FAIL');
    await current.gateway.waitFor(/"redelivery":true[^\n]*"msg":"notification verified for the app"/);
    expect(current.gateway.logs().filter((l) => l['msg'] === 'paid' && l['orderId'] === 'cur-v-1')).toHaveLength(1);
  });

  it('v3-transfer-bills for a -dev app answers 400: the sandbox has no API v3', async () => {
    const out = await postJson(`${current.base}/v3/transfer-bills`, {
      payApp: 'app-name-dev',
      appid: APP_ID,
      out_bill_no: 'curtb1',
      transfer_scene_id: '1000',
      openid: 'o-MYE42l80oelYMDE34nYD456Xoy',
      transfer_amount: 100,
      transfer_remark: 'r',
      transfer_scene_report_infos: [{ info_type: '活动名称', info_content: 'x' }],
    });
    expect(out.status).toBe(400);
    expect(out.json.msg).toBe('payApp: transfer bills are an API v3 call, which WeChat\'s sandbox (app "app-name-dev") does not have');
  });

  it('realname-auth-root/:op answers 501 naming the feature; an unknown op 400', async () => {
    for (const op of ['url', 'identity', 'getinfo']) {
      const out = await postJson(`${current.base}/realname/auth/${op}`, { ...dev, openId: 'o' });
      expect(out.status).toBe(501);
      expect(out.json).toEqual({ code: 501, msg: expect.stringContaining('real-name authentication') });
    }
    expect((await postJson(`${current.base}/realname/auth/other`, {})).status).toBe(400);
  });
});
