/**
 * go-wxpay-gateway's older pay-out endpoints on the built `wxpay-gateway`, driven as the seed
 * documents them (its README for `v3-transfer`, `v3-query-transfer`, `v3-query-transfer-detail`;
 * its handlers' comments for `transfer` and `query-transfer`):
 *
 * - in default mode, against the embedded simulator, with the demo apps (API v2 and API v3);
 * - with a copy of the seed's current sample configuration, whose merchant pays on API v2 and keeps
 *   its v3 keys for transfers, against a simulator started here.
 */
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorClient, startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { skipWithout } from '../../../test/helpers/external-tools.js';
import { CERT_SERIAL, LIVE_API_KEY, LIVE_MCH_ID, PUB_KEY_ID, V3_KEY, writeCurrentSampleCopy } from './helpers/current-sample.js';
import { postJson, requireBuild, runCli, type GatewayProcess } from './helpers.js';

const OPENID = 'o-MYE42l80oelYMDE34nYD456Xoy';

describe.skipIf(skipWithout(import.meta.url, ['openssl']))('seed pay-out endpoints in default mode (embedded simulator)', () => {
  let gateway: GatewayProcess;
  let base: string;
  let simUrl: string;
  let dataDir: string;
  let v2: { payApp: string; appId: string };
  let v3: { payApp: string; appId: string };

  beforeAll(async () => {
    requireBuild();
    dataDir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-payouts-'));
    gateway = runCli(['--port', '0', '--data-dir', dataDir]);
    base = (await gateway.waitFor(/Demo shop\s+(http:\/\/127\.0\.0\.1:\d+)\//))[1]!;
    simUrl = (await gateway.waitFor(/WeChat Pay simulator (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const info = (await (await fetch(`${base}/info`)).json()) as { demoApps: { payApp: string; appId: string; apiVersion: string }[] };
    v2 = info.demoApps.find((a) => a.apiVersion === 'v2')!;
    v3 = info.demoApps.find((a) => a.apiVersion === 'v3')!;
  });

  afterAll(async () => {
    if (gateway && gateway.child.exitCode === null) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('transfer (企业付款) and query-transfer: {code, msg, result} with WeChat reply fields; the same tradeNo is the same payment', async () => {
    const body = {
      appId: v2.appId,
      payApp: v2.payApp,
      tradeNo: 'GP1',
      openId: OPENID,
      userName: '王五',
      amount: 650,
      desc: '福利',
      ip: '10.0.0.8',
      debug: false,
    };
    const paid = await postJson(`${base}/transfer`, body);
    expect(paid.status).toBe(200);
    expect(paid.json).toMatchObject({
      code: 200,
      msg: 'OK',
      result: { partner_trade_no: 'GP1', result_code: 'SUCCESS', mch_appid: v2.appId },
    });
    expect(paid.json.result.payment_no).toMatch(/^\d{32}$/);
    // Key names match case-insensitively, as go-wxpay-gateway's untagged structs decode them.
    const again = await postJson(`${base}/transfer`, { ...body, payapp: v2.payApp, payApp: undefined, TradeNo: 'GP1', tradeNo: undefined });
    expect(again.json.result.payment_no).toBe(paid.json.result.payment_no);
    const found = await postJson(`${base}/query-transfer`, { appId: v2.appId, payApp: v2.payApp, tradeNo: 'GP1' });
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({
      code: 200,
      msg: 'OK',
      result: {
        partner_trade_no: 'GP1',
        status: 'SUCCESS',
        payment_amount: '650',
        detail_id: paid.json.result.payment_no,
        transfer_name: '王五',
      },
    });
  });

  it('transfer: bad input is a 400 naming the seed field; WeChat refusals are 502 with err_code; unknown numbers 404', async () => {
    const body = { appId: v2.appId, payApp: v2.payApp, tradeNo: 'GP2', openId: OPENID, amount: 650, desc: '福利', ip: '10.0.0.8' };
    for (const [over, field] of [
      [{ amount: 6.5 }, 'amount'],
      [{ amount: '650' }, 'amount'],
      [{ tradeNo: 'G-P2' }, 'tradeNo'],
      [{ ip: 'somewhere' }, 'ip'],
      [{ payApp: 'nope' }, 'payApp'],
      [{ appId: 'wxother' }, 'appId'],
    ] as const) {
      const res = await postJson(`${base}/transfer`, { ...body, ...over });
      expect(res.status, JSON.stringify(over)).toBe(400);
      expect(res.json.msg).toContain(field);
    }
    const limit = await postJson(`${base}/transfer`, { ...body, amount: 10 });
    expect(limit.status).toBe(502);
    expect(limit.json).toMatchObject({ err_code: 'AMOUNT_LIMIT' });
    const missing = await postJson(`${base}/query-transfer`, { appId: v2.appId, payApp: v2.payApp, tradeNo: 'NOPE1' });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ err_code: 'NOT_FOUND' });
  });

  it('v3-transfer, v3-query-transfer, v3-query-transfer-detail as the seed README documents them', async () => {
    const created = await postJson(`${base}/v3/transfer`, {
      payApp: v3.payApp,
      appId: v3.appId,
      batchNo: 'GB1',
      batchName: '四月佣金',
      batchRemark: '四月佣金发放',
      details: [
        { tradeNo: 'GB1D1', amount: 30, desc: '佣金', openId: OPENID, userName: '张三' },
        { tradeNo: 'GB1D2', amount: 50, desc: '佣金', openId: 'oFrozen_FAIL', userName: '李四' },
      ],
    });
    expect(created.status).toBe(200);
    expect(created.json).toEqual({ code: 200, msg: 'OK', result: { wxBatchId: expect.stringMatching(/^\d{40}$/) } });
    const wxBatchId = created.json.result.wxBatchId as string;

    const accepted = await postJson(`${base}/v3/query-transfer`, { payApp: v3.payApp, needDetail: true, batchNo: 'GB1' });
    expect(accepted.json).toEqual({ code: 200, msg: 'OK', result: { status: 'ACCEPTED', total: 2, details: null } });
    await createSimulatorClient(simUrl).advanceClock(60_000);

    const all = await postJson(`${base}/v3/query-transfer`, { payApp: v3.payApp, status: '', needDetail: true, wxBatchId });
    expect(all.status).toBe(200);
    expect(all.json.result).toMatchObject({ status: 'FINISHED', total: 2 });
    expect(all.json.result.details).toEqual([
      { detail_id: expect.stringMatching(/^\d{40}$/), out_detail_no: 'GB1D1', detail_status: 'SUCCESS' },
      { detail_id: expect.stringMatching(/^\d{40}$/), out_detail_no: 'GB1D2', detail_status: 'FAIL' },
    ]);
    const failed = await postJson(`${base}/v3/query-transfer`, { payApp: v3.payApp, status: 'fail', needDetail: true, batchNo: 'GB1' });
    expect(failed.json.result.details.map((d: { out_detail_no: string }) => d.out_detail_no)).toEqual(['GB1D2']);
    const bare = await postJson(`${base}/v3/query-transfer`, { payApp: v3.payApp, batchNo: 'GB1' });
    expect(bare.json.result).toEqual({ status: 'FINISHED', total: 2, details: null });

    const byNo = await postJson(`${base}/v3/query-transfer-detail`, { payApp: v3.payApp, batchNo: 'GB1', tradeNo: 'GB1D1' });
    expect(byNo.json).toEqual({ code: 200, msg: 'OK', result: { status: 'SUCCESS', amount: 30, remark: '佣金', reason: '' } });
    const wxDetailId = all.json.result.details[1].detail_id as string;
    const byId = await postJson(`${base}/v3/query-transfer-detail`, { payApp: v3.payApp, wxBatchId, wxDetailId });
    expect(byId.json).toEqual({ code: 200, msg: 'OK', result: { status: 'FAIL', amount: 50, remark: '佣金', reason: 'ACCOUNT_FROZEN' } });
  });

  it("the batch endpoints answer the seed's 400s, the name rules and WeChat's refusals", async () => {
    const missing = await postJson(`${base}/v3/query-transfer`, { payApp: v3.payApp, needDetail: true });
    expect(missing.status).toBe(400);
    expect(missing.json.msg).toContain('wxBatchId or batchNo expected');
    const noDetail = await postJson(`${base}/v3/query-transfer-detail`, { payApp: v3.payApp, wxBatchId: '1030000' });
    expect(noDetail.status).toBe(400);
    expect(noDetail.json.msg).toContain('wxDetailId expected');
    const noTrade = await postJson(`${base}/v3/query-transfer-detail`, { payApp: v3.payApp, batchNo: 'GB1' });
    expect(noTrade.json.msg).toContain('tradeNo expected');
    const batch = { payApp: v3.payApp, appId: v3.appId, batchNo: 'GB2', batchName: 'n', batchRemark: 'r' };
    // ¥2,000 and more needs the payee's name ("2000以上，必须给收款人实名").
    const noName = await postJson(`${base}/v3/transfer`, {
      ...batch,
      details: [{ tradeNo: 'D1', amount: 200_000, desc: 'd', openId: OPENID }],
    });
    expect(noName.status).toBe(400);
    expect(noName.json.msg).toContain('details[0].userName');
    const badAmount = await postJson(`${base}/v3/transfer`, {
      ...batch,
      details: [{ tradeNo: 'D1', amount: 1.5, desc: 'd', openId: OPENID }],
    });
    expect(badAmount.json.msg).toContain('details[0].amount');
    await createSimulatorClient(simUrl).addFault({ kind: 'error', code: 'NOT_ENOUGH', status: 403, path: '/v3/transfer/batches' });
    const poor = await postJson(`${base}/v3/transfer`, { ...batch, details: [{ tradeNo: 'D1', amount: 100, desc: 'd', openId: OPENID }] });
    expect(poor.status).toBe(502);
    expect(poor.json).toMatchObject({ err_code: 'NOT_ENOUGH' });
    const unknown = await postJson(`${base}/v3/query-transfer`, { payApp: v3.payApp, batchNo: 'NOSUCH1' });
    expect(unknown.status).toBe(404);
    // The v3 demo merchant has no merchant certificate: 企业付款 is refused before any call, naming the merchant.
    const noCert = await postJson(`${base}/transfer`, {
      appId: v3.appId,
      payApp: v3.payApp,
      tradeNo: 'GP9',
      openId: OPENID,
      amount: 650,
      desc: 'd',
      ip: '10.0.0.8',
    });
    expect(noCert.status).toBe(400);
    expect(noCert.json.msg).toContain('certificate');
  });
});

describe.skipIf(skipWithout(import.meta.url, ['openssl']))("seed pay-out endpoints with the seed's current sample configuration", () => {
  let dir: string;
  let sim: RunningSimulator;
  let gateway: GatewayProcess;
  let base: string;

  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-payouts-sample-'));
    // The copy and its key files first, to tell the simulator the merchant's public key; then the copy points at it.
    const { file, config, keys } = await writeCurrentSampleCopy(dir);
    const merchantKey = readFileSync(join(dir, '路径指向', 'apiclient_key.pem'), 'utf8');
    sim = await startSimulator({
      port: 0,
      v3: { privateKey: keys.wechatpayPrivateKey, publicKeyId: PUB_KEY_ID },
      merchants: [
        {
          mchId: LIVE_MCH_ID,
          apiKey: LIVE_API_KEY,
          appIds: ['*'],
          v3: {
            publicKey: createPublicKey(merchantKey).export({ type: 'spki', format: 'pem' }).toString(),
            serialNo: CERT_SERIAL,
            apiV3Key: V3_KEY,
            wechatpayKey: 'public-key',
          },
        },
      ],
    });
    config['merchants'][0]['api-base-url'] = sim.url;
    writeFileSync(file, JSON.stringify(config, null, 2));
    gateway = runCli([], { CONF_FILE: file });
    base = (await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    await gateway.waitFor(/"msg":"wxpay-gateway listening"/);
  });

  afterAll(async () => {
    if (gateway && gateway.child.exitCode === null) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the merchant pays on API v2 and makes its batches with its v3 keys, at the sample's endpoint paths", async () => {
    const notes = gateway.logs().map((l) => String(l['msg']));
    expect(notes.some((n) => n.includes('are for the calls only API v3 has'))).toBe(true);
    const created = await postJson(`${base}/v3/transfer`, {
      payApp: 'app-name',
      appId: 'wxc914c55fba939e3c',
      batchNo: 'SB1',
      batchName: 'n',
      batchRemark: 'r',
      details: [{ tradeNo: 'SB1D1', amount: 100, desc: 'd', openId: OPENID }],
    });
    expect(created.status).toBe(200);
    expect(created.json.result.wxBatchId).toMatch(/^\d{40}$/);
    const found = await postJson(`${base}/v3/query-transfer`, { payApp: 'app-name', batchNo: 'SB1' });
    expect(found.json).toEqual({ code: 200, msg: 'OK', result: { status: 'ACCEPTED', total: 1, details: null } });
    const paid = await postJson(`${base}/transfer`, {
      appId: 'wxc914c55fba939e3c',
      payApp: 'app-name',
      tradeNo: 'SP1',
      openId: OPENID,
      amount: 100,
      desc: 'd',
      ip: '10.0.0.8',
    });
    expect(paid.status).toBe(200);
    expect(paid.json.result).toMatchObject({ partner_trade_no: 'SP1', result_code: 'SUCCESS' });
  });
});
