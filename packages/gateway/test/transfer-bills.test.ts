/**
 * go-wxpay-gateway's transfer-bill endpoints (its 2025 version), driven as its README documents
 * them, through the built `wxpay-gateway`:
 *
 * - a gateway run from a config file written for that version (`"api-shape": "current"`, its
 *   endpoint paths, `v3-verify-transfer-bills` spelt `/v3/verify-transfer-bills/:payApp`) with an
 *   API v3 merchant on a simulator this test starts: create → the payee confirms in the simulator
 *   → WeChat's callback → exactly one `transferred`, forwarded to the app's
 *   `notify-transfer-callback`; query (`out_bills_no`) and cancel; an app that receives WeChat's
 *   callback itself has it checked at `v3-verify-transfer-bills/:payApp` (forgeries and replays
 *   406, nothing emitted);
 * - the default mode (no config: the embedded simulator, the first README's reply shapes), whose
 *   transfer-bill replies are the same: the `api-shape` setting does not change these endpoints.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorClient, startSimulator, type RunningSimulator, type SimulatorControl } from '@wxpay-kit/simulator';
import { verifyWebhook } from '@wxpay-kit/forwarder';
import { postJson, requireBuild, runCli, startReceiver, type GatewayProcess, type Received, type Receiver } from './helpers.js';

const MCH_ID = '1230000109';
const APP_ID = 'wx8888888888888888';
const V2_KEY = 'Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4f';
const V3_KEY = randomBytes(16).toString('hex');
const SECRET = 'whsec_dHJhbnNmZXItYmlsbHMtY2FsbGJhY2stc2VjcmV0';
const OPENID = 'o-MYE42l80oelYMDE34nYD456Xoy';
const REPORTS = [
  { info_type: '活动名称', info_content: '新会员有礼' },
  { info_type: '奖励说明', info_content: '注册会员抽奖一等奖' },
];
/** WeChat's create reply, as go-wxpay-gateway passes it on in `result`. */
const CREATE_FIELDS = ['create_time', 'out_bill_no', 'package_info', 'state', 'transfer_bill_no'];

let sim: RunningSimulator;
let receiver: Receiver;
let dir: string;
let gateway: GatewayProcess;
let base: string;
let defaultMode: GatewayProcess;
let defaultBase: string;
let defaultSim: SimulatorControl;

/** The seed's `v3-transfer-bills` body. */
const bill = (outBillNo: string, extra: Record<string, unknown> = {}) => ({
  payApp: 'shop',
  appid: APP_ID,
  out_bill_no: outBillNo,
  transfer_scene_id: '1000',
  openid: OPENID,
  transfer_amount: 150,
  transfer_remark: '新会员开通有礼',
  transfer_scene_report_infos: REPORTS,
  ...extra,
});

/** The JSON log lines of `running` with message `msg` about bill `outBillNo`. */
const logged = (running: GatewayProcess, msg: string, outBillNo: string) =>
  running.logs().filter((l) => l['msg'] === msg && l['outBillNo'] === outBillNo);

/** WeChat's request as the app received it, posted on to the gateway: its `Wechatpay-*` headers and body. */
function verify(path: string, received: Pick<Received, 'headers' | 'body'>): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(received.headers)) {
    if (name.startsWith('wechatpay-') && typeof value === 'string') headers[name] = value;
  }
  return fetch(`${base}${path}`, { method: 'POST', headers, body: received.body });
}

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-transfer-bills-'));
  receiver = await startReceiver();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serialNo = randomBytes(20).toString('hex').toUpperCase();
  sim = await startSimulator({
    port: 0,
    timeFactor: 0.001,
    merchants: [
      {
        mchId: MCH_ID,
        apiKey: V2_KEY,
        appIds: [APP_ID],
        v3: { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), serialNo, apiV3Key: V3_KEY },
      },
    ],
  });
  const wechatpay = await sim.wechatpayKeys();
  writeFileSync(join(dir, 'apiclient_key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  writeFileSync(join(dir, 'pub_key.pem'), wechatpay.publicKey);
  const config = {
    'listen-host': '127.0.0.1',
    'listen-port': 0,
    'api-shape': 'current',
    'notify-file': 'notify-outbox',
    endpoints: {
      'v3-transfer-bills': '/v3/transfer-bills',
      'v3-cancel-transfer-bills': '/v3/cancel-transfer-bills',
      'v3-query-transfer-bills': '/v3/query-transfer-bills',
      'v3-verify-transfer-bills': '/v3/verify-transfer-bills/:payApp',
    },
    merchants: [
      {
        name: 'mch3',
        'mch-id': MCH_ID,
        'mch-api-key': V2_KEY,
        'api-base-url': sim.url,
        'api-version': 'v3',
        'mch-key-pem-file': 'apiclient_key.pem',
        'mch-cert-serialno': serialNo,
        'wxpay-v3-key': V3_KEY,
        'wxpay-pubkey-file': 'pub_key.pem',
        'wxpay-pubkey-id': wechatpay.publicKeyId,
      },
      // go-wxpay-gateway's way: the v3 keys next to the v2 key, no api-version. Pays on v2, transfers on v3.
      {
        name: 'mch2',
        'mch-id': MCH_ID,
        'mch-api-key': V2_KEY,
        'api-base-url': sim.url,
        'mch-key-pem-file': 'apiclient_key.pem',
        'mch-cert-serialno': serialNo,
        'wxpay-v3-key': V3_KEY,
        'wxpay-pubkey-file': 'pub_key.pem',
        'wxpay-pubkey-id': wechatpay.publicKeyId,
      },
    ],
    apps: [
      {
        name: 'shop',
        merchant: 'mch3',
        'app-ids': [APP_ID],
        'notify-transfer-callback': `${receiver.url}/shop/transfer`,
        'callback-secret': SECRET,
      },
      // Receives WeChat's callbacks at its own notify_url and asks the gateway to check them.
      { name: 'own', merchant: 'mch3', 'app-ids': [APP_ID] },
      { name: 'v2pay', merchant: 'mch2', 'app-ids': [APP_ID], 'notify-transfer-callback': `${receiver.url}/v2pay/transfer` },
    ],
  };
  const file = join(dir, 'wxpay-gateway.conf.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  gateway = runCli([], { CONF_FILE: file });
  defaultMode = runCli(['--port', '0', '--data-dir', join(dir, 'default'), '--forward-to', `${receiver.url}/default`]);
  base = (await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  await gateway.waitFor(/"msg":"wxpay-gateway listening"/);
  defaultBase = (await defaultMode.waitFor(/Demo shop\s+(http:\/\/127\.0\.0\.1:\d+)\//))[1]!;
  defaultSim = createSimulatorClient((await defaultMode.waitFor(/WeChat Pay simulator (http:\/\/127\.0\.0\.1:\d+)/))[1]!);
}, 60_000);

afterAll(async () => {
  for (const running of [gateway, defaultMode]) {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
  }
  await sim?.close();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("go-wxpay-gateway's transfer-bill endpoints (config file, current reply shapes)", () => {
  it('v3-transfer-bills → the payee confirms → one transferred, forwarded signed to notify-transfer-callback; queries and redeliveries fire nothing more', async () => {
    const created = await postJson(`${base}/v3/transfer-bills`, bill('TBG1'));
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({
      code: 200,
      msg: 'OK',
      result: { out_bill_no: 'TBG1', transfer_bill_no: expect.stringMatching(/^\d+$/), state: 'WAIT_USER_CONFIRM' },
    });
    expect(Object.keys(created.json.result).sort()).toEqual(CREATE_FIELDS);
    const packageInfo = created.json.result.package_info as string;
    expect(packageInfo.length).toBeGreaterThan(0);
    // No notify_url given: WeChat calls the gateway back, which fires the event for the app.
    const wx = await sim.transfer('TBG1');
    expect(wx).toMatchObject({ notifyUrl: `${base}/wxpay/notify-transfer/shop`, transferAmount: 150, packageInfo });

    await sim.confirmTransfer('TBG1');
    const forwarded = await receiver.waitFor((r) => r.path === '/shop/transfer' && r.body.includes('TBG1'));
    expect(() => verifyWebhook({ payload: forwarded.body, headers: forwarded.headers, secret: SECRET })).not.toThrow();
    expect(JSON.parse(forwarded.body)).toMatchObject({
      state: 'SUCCESS',
      out_bill_no: 'TBG1',
      transfer_bill_no: created.json.result.transfer_bill_no,
      transfer_amount: 150,
      mch_id: MCH_ID,
      app_id: APP_ID,
      openid: OPENID,
    });

    // The query answers WeChat's query fields (the seed's `out_bills_no` spelling).
    const queried = await postJson(`${base}/v3/query-transfer-bills`, { payApp: 'shop', out_bills_no: 'TBG1' });
    expect(queried).toMatchObject({
      status: 200,
      json: {
        code: 200,
        msg: 'OK',
        result: { mch_id: MCH_ID, appid: APP_ID, out_bill_no: 'TBG1', state: 'SUCCESS', transfer_amount: 150, openid: OPENID },
      },
    });
    // WeChat delivers the callback again: acknowledged, nothing fires.
    const first = (await sim.notifications()).find((n) => n.kind === 'transfer' && n.outBillNo === 'TBG1')!;
    await sim.resendNotification(first.id);
    await expect
      .poll(async () => (await sim.notifications()).filter((n) => n.outBillNo === 'TBG1' && n.status === 'delivered'))
      .toHaveLength(2);

    // A later bill's result is logged after everything above was handled.
    await postJson(`${base}/v3/transfer-bills`, bill('TBG1B'));
    await sim.confirmTransfer('TBG1B');
    await gateway.waitFor(/"outBillNo":"TBG1B"[^\n]*"msg":"transferred"/);
    expect(logged(gateway, 'transferred', 'TBG1')).toHaveLength(1);
    expect(receiver.received.filter((r) => r.path === '/shop/transfer' && r.body.includes('"TBG1"'))).toHaveLength(1);
  });

  it('v3-cancel-transfer-bills: CANCELING at once, then CANCELLED by the callback, forwarded as transfer-cancelled', async () => {
    await postJson(`${base}/v3/transfer-bills`, bill('TBG2'));
    const cancelled = await postJson(`${base}/v3/cancel-transfer-bills`, { payApp: 'shop', out_bills_no: 'TBG2' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ code: 200, msg: 'OK', result: { out_bill_no: 'TBG2', state: 'CANCELING' } });
    expect(Object.keys(cancelled.json.result).sort()).toEqual(['out_bill_no', 'state', 'transfer_bill_no', 'update_time']);
    const forwarded = await receiver.waitFor((r) => r.path === '/shop/transfer' && r.body.includes('TBG2'));
    expect(JSON.parse(forwarded.body)).toMatchObject({ state: 'CANCELLED', out_bill_no: 'TBG2', fail_reason: 'MCH_CANCEL' });
    await gateway.waitFor(/"outBillNo":"TBG2"[^\n]*"msg":"transfer cancelled"/);
    const queried = await postJson(`${base}/v3/query-transfer-bills`, { payApp: 'shop', out_bills_no: 'TBG2' });
    expect(queried.json.result).toMatchObject({ state: 'CANCELLED' });
  });

  it("v3-verify-transfer-bills/:payApp: WeChat's callback to the app's own notify_url, checked once; forgeries and replays 406 with nothing emitted", async () => {
    const own = (outBillNo: string) => bill(outBillNo, { payApp: 'own', notify_url: `${receiver.url}/own/notify` });
    expect((await postJson(`${base}/v3/transfer-bills`, own('TBG3'))).status).toBe(200);
    expect((await sim.transfer('TBG3')).notifyUrl).toBe(`${receiver.url}/own/notify`);
    await sim.failTransfer('TBG3', { reason: 'PAYEE_ACCOUNT_ABNORMAL' });
    const genuine = await receiver.waitFor((r) => r.path === '/own/notify' && r.body.includes('MCHTRANSFER.BILL.FINISHED'));

    // Forged before the genuine one is checked: refused, nothing fires.
    for (const forgery of ['bad-signature', 'stale-timestamp', 'unknown-serial'] as const) {
      const before = receiver.received.length;
      const n = await sim.forgeNotification({ outBillNo: 'TBG3', forgery });
      const received = await receiver.waitFor(
        (r) => receiver.received.indexOf(r) >= before && r.path === '/own/notify' && r.body === n.body,
      );
      const refused = await verify('/v3/verify-transfer-bills/own', received);
      expect(refused.status, forgery).toBe(406);
      const reply = (await refused.json()) as Record<string, any>;
      expect(reply).toMatchObject({ code: 406, redelivery: false, respToWxpay: { respBody: { code: 'FAIL' } } });
      expect(reply['respToWxpay']['respCode']).toBeGreaterThanOrEqual(400);
      expect(reply).not.toHaveProperty('result');
    }
    // Headers missing, or another app named: refused too.
    expect((await fetch(`${base}/v3/verify-transfer-bills/own`, { method: 'POST', body: genuine.body })).status).toBe(406);
    expect((await verify('/v3/verify-transfer-bills/no-such-app', genuine)).status).toBe(406);
    expect(logged(gateway, 'transfer failed', 'TBG3')).toHaveLength(0);

    const checked = await verify('/v3/verify-transfer-bills/own', genuine);
    expect(checked.status).toBe(200);
    expect(await checked.json()).toEqual({
      code: 200,
      msg: 'OK',
      respToWxpay: { respCode: 200, respBody: expect.objectContaining({ code: 'SUCCESS' }) },
      result: {
        bill: expect.objectContaining({
          out_bill_no: 'TBG3',
          state: 'FAIL',
          fail_reason: 'PAYEE_ACCOUNT_ABNORMAL',
          mch_id: MCH_ID,
          transfer_amount: 150,
          openid: OPENID,
        }),
      },
      redelivery: false,
    });
    const again = (await (await verify('/v3/verify-transfer-bills/own', genuine)).json()) as Record<string, any>;
    expect(again).toMatchObject({ code: 200, redelivery: true, result: { bill: { out_bill_no: 'TBG3' } } });
    await gateway.waitFor(/"redelivery":true[^\n]*"msg":"transfer callback verified for the app"/);
    expect(logged(gateway, 'transfer failed', 'TBG3')).toHaveLength(1);
  });

  it('an API v2 merchant with v3 keys (no api-version) pays on v2 and makes transfer bills on v3, as go-wxpay-gateway does', async () => {
    const paid = await postJson(`${base}/wxpay/create-pay/NATIVE`, {
      appId: APP_ID,
      payApp: 'v2pay',
      goods: 'g',
      orderId: 'TBGV2O',
      fee: 1,
      ip: '127.0.0.1',
      productId: 'p',
    });
    expect(paid.status).toBe(200);
    expect(await sim.order('TBGV2O')).toMatchObject({ apiVersion: 'v2' });

    const created = await postJson(`${base}/v3/transfer-bills`, bill('TBGV2', { payApp: 'v2pay' }));
    expect(created.json).toMatchObject({ code: 200, result: { out_bill_no: 'TBGV2', state: 'WAIT_USER_CONFIRM' } });
    expect((await sim.transfer('TBGV2')).notifyUrl).toBe(`${base}/wxpay/notify-transfer/v2pay`);
    await sim.confirmTransfer('TBGV2');
    // WeChat's v3 callback for the v2 merchant is verified with its v3 keys, and the result forwarded.
    const forwarded = await receiver.waitFor((r) => r.path === '/v2pay/transfer' && r.body.includes('TBGV2'));
    expect(JSON.parse(forwarded.body)).toMatchObject({ state: 'SUCCESS', out_bill_no: 'TBGV2', transfer_amount: 150 });
    const queried = await postJson(`${base}/v3/query-transfer-bills`, { payApp: 'v2pay', out_bills_no: 'TBGV2' });
    expect(queried.json.result).toMatchObject({ state: 'SUCCESS', mch_id: MCH_ID });
  });

  it('answers bad input with 400 naming the field as the seed spells it', async () => {
    const zero = await postJson(`${base}/v3/transfer-bills`, bill('TBG4', { transfer_amount: 0 }));
    expect(zero).toMatchObject({ status: 400, json: { code: 400, msg: expect.stringMatching(/^transfer_amount: /) } });
    const fraction = await postJson(`${base}/v3/transfer-bills`, bill('TBG4', { transfer_amount: 1.5 }));
    expect(fraction.json.msg).toMatch(/^transfer_amount: must be an integer number of fen/);
    const stranger = await postJson(`${base}/v3/transfer-bills`, bill('TBG4', { payApp: 'nobody' }));
    expect(stranger).toMatchObject({ status: 400, json: { msg: "payApp: unknown app 'nobody'" } });
    const rows = await postJson(`${base}/v3/transfer-bills`, bill('TBG4', { transfer_scene_report_infos: [{ info_type: '活动名称' }] }));
    expect(rows.json.msg).toMatch(/^transfer_scene_report_infos\.0\.info_content: /);
    const noBill = await postJson(`${base}/v3/query-transfer-bills`, { payApp: 'shop' });
    expect(noBill).toMatchObject({ status: 400, json: { msg: expect.stringMatching(/^out_bills_no: /) } });
    const notJson = await fetch(`${base}/v3/cancel-transfer-bills`, { method: 'POST', body: 'out_bills_no=1' });
    expect([notJson.status, ((await notJson.json()) as { msg: string }).msg]).toEqual([400, 'the body must be a JSON object']);
    expect(await sim.transfers()).not.toContainEqual(expect.objectContaining({ outBillNo: 'TBG4' }));
  });
});

describe('the transfer-bill endpoints in default mode (embedded simulator, first-README reply shapes)', () => {
  it('answer in the same shape: create, the payee confirms in the embedded simulator, the result is forwarded', async () => {
    const created = await postJson(`${defaultBase}/v3/transfer-bills`, bill('TBD1', { payApp: 'demo-v3', appid: 'wxd678efh567hg6787' }));
    expect(created.json).toMatchObject({ code: 200, msg: 'OK', result: { out_bill_no: 'TBD1', state: 'WAIT_USER_CONFIRM' } });
    expect(Object.keys(created.json.result).sort()).toEqual(CREATE_FIELDS);
    await defaultSim.confirmTransfer('TBD1');
    const forwarded = await receiver.waitFor((r) => r.path === '/default' && r.body.includes('TBD1'));
    expect(JSON.parse(forwarded.body)).toMatchObject({ state: 'SUCCESS', out_bill_no: 'TBD1', transfer_amount: 150 });
    const queried = await postJson(`${defaultBase}/v3/query-transfer-bills`, { payApp: 'demo-v3', out_bills_no: 'TBD1' });
    expect(queried.json).toMatchObject({ code: 200, msg: 'OK', result: { out_bill_no: 'TBD1', state: 'SUCCESS' } });
    // The API v2 demo merchant cannot make transfer bills: one line says why.
    const v2 = await postJson(`${defaultBase}/v3/transfer-bills`, bill('TBD2', { payApp: 'demo', appid: 'x' }));
    expect(v2.status).toBe(400);
    expect(v2.json.msg).toMatch(
      /^payApp: transfer bills are an API v3 call and merchant "demo-merchant" of app "demo" pays on API v2 without API v3 keys; give it mch-key-pem-file/,
    );
  });
});
