import { constants, publicEncrypt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWxPay, type WxPay } from '@wxpay-kit/core';
import { startSimulator, TRANSFER_NOTIFY_SCHEDULE_S, type RunningSimulator, type SimWechatpayKeys } from '@wxpay-kit/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptResource, merchantKeys, v3, verifyWechatpay, type MerchantKeys } from './v3-helpers.js';

const MCH_ID = '1230000109';
const API_KEY = 'Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4f';
const API_V3_KEY = '0123456789abcdef0123456789abcdef';
const APP_ID = 'wx8888888888888888';
const OPENID = 'o-MYE42l80oelYMDE34nYD456Xoy';
const REPORTS = [
  { infoType: '活动名称', infoContent: '新会员有礼' },
  { infoType: '奖励说明', infoContent: '注册会员抽奖一等奖' },
];

describe.each(['public-key', 'platform-certificate'] as const)('transfer bills against the simulator (%s)', (mode) => {
  let sim: RunningSimulator;
  let wxpay: WxPay;
  let keys: MerchantKeys;
  let wechatpay: SimWechatpayKeys;
  let receiver: Server;
  let notifyUrl: string;
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  beforeAll(async () => {
    keys = merchantKeys();
    sim = await startSimulator({
      port: 0,
      timeFactor: 0.001,
      merchants: [
        {
          mchId: MCH_ID,
          apiKey: API_KEY,
          appIds: [APP_ID],
          v3: { publicKey: keys.publicKey, serialNo: keys.serialNo, apiV3Key: API_V3_KEY, wechatpayKey: mode },
        },
      ],
    });
    wechatpay = await sim.wechatpayKeys();
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"SUCCESS"}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify-transfer/shop`;
    wxpay = createWxPay({
      merchants: [
        {
          name: 'main',
          mchId: MCH_ID,
          apiKey: API_KEY,
          baseUrl: sim.url,
          apiVersion: 'v3',
          privateKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          certSerialNo: keys.serialNo,
          apiV3Key: API_V3_KEY,
          ...(mode === 'public-key'
            ? { wechatpayPublicKey: wechatpay.publicKey, wechatpayPublicKeyId: wechatpay.publicKeyId }
            : { platformCertificates: true }),
        },
      ],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: 'http://127.0.0.1:1/notify-pay',
      notifyRefundUrl: 'http://127.0.0.1:1/notify-refund',
      client: { retries: 0 },
    });
  });

  afterAll(async () => {
    await wxpay?.close();
    await sim?.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  const create = (outBillNo: string, over: Record<string, unknown> = {}) =>
    wxpay.client.createTransfer({
      merchant: 'main',
      appId: APP_ID,
      outBillNo,
      transferSceneId: '1000',
      openId: OPENID,
      transferAmount: 300_000,
      transferRemark: '新会员开通有礼',
      userName: '张三',
      notifyUrl,
      sceneReportInfos: REPORTS,
      ...over,
    });

  /** The callback for a bill, verified and decrypted with node:crypto alone. */
  async function callbackOf(outBillNo: string): Promise<Record<string, unknown>> {
    const n = await sim.waitForNotification({ kind: 'transfer', outBillNo });
    const hit = received.find((r) => r.body === n.body)!;
    const ring = new Map<string, string>([[wechatpay.publicKeyId, wechatpay.publicKey]]);
    for (const c of wechatpay.platformCertificates) ring.set(c.serialNo, c.certificate);
    expect(verifyWechatpay(hit.headers, hit.body, ring)).toBe(true);
    const envelope = JSON.parse(hit.body) as {
      event_type: string;
      resource: { ciphertext: string; nonce: string; associated_data: string; original_type: string };
    };
    expect(envelope.event_type).toBe('MCHTRANSFER.BILL.FINISHED');
    expect(envelope.resource).toMatchObject({ original_type: 'mch_payment', associated_data: 'mch_payment' });
    return JSON.parse(decryptResource(envelope.resource, API_V3_KEY)) as Record<string, unknown>;
  }

  it('create → WAIT_USER_CONFIRM with package_info; the simulator decrypted user_name; the payee confirms → SUCCESS callback', async () => {
    const created = await create(`TB${mode.length}A1`);
    expect(created.state).toBe('WAIT_USER_CONFIRM');
    expect(created.confirmParams).toEqual({ mchId: MCH_ID, appId: APP_ID, package: created.packageInfo });
    expect(created.transferBillNo).toMatch(/^\d{40}$/);
    const bill = await sim.transfer(created.outBillNo);
    expect(bill.userName).toBe('张三');
    expect(bill.userNameSerial).toBe(mode === 'public-key' ? wechatpay.publicKeyId : wechatpay.platformCertificates.at(-1)!.serialNo);
    const confirmed = await sim.confirmTransfer(created.outBillNo);
    expect(confirmed.history).toEqual(['ACCEPTED', 'PROCESSING', 'WAIT_USER_CONFIRM', 'TRANSFERING', 'SUCCESS']);
    expect(await callbackOf(created.outBillNo)).toMatchObject({
      out_bill_no: created.outBillNo,
      transfer_bill_no: created.transferBillNo,
      state: 'SUCCESS',
      mch_id: MCH_ID,
      transfer_amount: 300_000,
      openid: OPENID,
    });
    const target = { merchant: 'main', appId: APP_ID };
    const byOut = await wxpay.client.queryTransfer({ ...target, outBillNo: created.outBillNo });
    const byWx = await wxpay.client.queryTransfer({ ...target, transferBillNo: created.transferBillNo });
    for (const q of [byOut, byWx]) expect(q).toMatchObject({ state: 'SUCCESS', transferAmount: 300_000, openId: OPENID, mchId: MCH_ID });
    // A repeat of the same create finds the same bill (原单重试); another request under the number is refused.
    expect((await create(created.outBillNo)).transferBillNo).toBe(created.transferBillNo);
    await expect(create(created.outBillNo, { transferAmount: 300_001 })).rejects.toMatchObject({ errCode: 'INVALID_REQUEST' });
  });

  it('cancel → CANCELING answered, then CANCELLED with a callback; a finished bill cannot be cancelled', async () => {
    const created = await create(`TB${mode.length}C1`, { transferAmount: 100, userName: undefined });
    const cancelled = await wxpay.client.cancelTransfer({ merchant: 'main', appId: APP_ID, outBillNo: created.outBillNo });
    expect(cancelled.state).toBe('CANCELING');
    expect(await callbackOf(created.outBillNo)).toMatchObject({ state: 'CANCELLED', fail_reason: 'MCH_CANCEL' });
    expect((await sim.transfer(created.outBillNo)).state).toBe('CANCELLED');
    await expect(sim.confirmTransfer(created.outBillNo)).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('the payee never confirms: the bill expires → FAIL / OVERDUE_CLOSE with a callback', async () => {
    const created = await create(`TB${mode.length}E1`, { transferAmount: 100, userName: undefined });
    await sim.expireTransfer(created.outBillNo);
    expect(await callbackOf(created.outBillNo)).toMatchObject({ state: 'FAIL', fail_reason: 'OVERDUE_CLOSE' });
    await expect(wxpay.client.cancelTransfer({ merchant: 'main', appId: APP_ID, outBillNo: created.outBillNo })).rejects.toMatchObject({
      errCode: 'INVALID_REQUEST',
    });
  });

  it("WeChat's refusals: NOT_ENOUGH (injected), a wrong scene report, a name under an unknown serial, a missing name at ¥2,000", async () => {
    await sim.addFault({ kind: 'error', code: 'NOT_ENOUGH', status: 403, path: '/v3/fund-app/mch-transfer/transfer-bills' });
    await expect(create(`TB${mode.length}N1`)).rejects.toMatchObject({ name: 'WxPayError', errCode: 'NOT_ENOUGH' });
    await expect(create(`TB${mode.length}N2`, { sceneReportInfos: [{ infoType: '岗位类型', infoContent: 'x' }] })).rejects.toMatchObject({
      errCode: 'PARAM_ERROR',
    });
    const call = { mchid: MCH_ID, keys };
    const body = {
      appid: APP_ID,
      out_bill_no: `TB${mode.length}N3`,
      transfer_scene_id: '1000',
      openid: OPENID,
      transfer_amount: 200_000,
      transfer_remark: 'r',
      transfer_scene_report_infos: REPORTS.map((r) => ({ info_type: r.infoType, info_content: r.infoContent })),
    };
    const noName = await v3(sim.url, 'POST', '/v3/fund-app/mch-transfer/transfer-bills', body, call);
    expect(noName.status).toBe(400);
    expect(noName.json).toMatchObject({ code: 'PARAM_ERROR', detail: { field: 'user_name' } });
    const cipher = publicEncrypt(
      { key: wechatpay.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      Buffer.from('张三'),
    ).toString('base64');
    // v3() sends no Wechatpay-Serial: the simulator cannot know which key to decrypt with.
    const noSerial = await v3(sim.url, 'POST', '/v3/fund-app/mch-transfer/transfer-bills', { ...body, user_name: cipher }, call);
    expect(noSerial.json).toMatchObject({ code: 'PARAM_ERROR', detail: { field: 'user_name' } });
    expect(await sim.transfers()).not.toContainEqual(expect.objectContaining({ outBillNo: `TB${mode.length}N3` }));
  });
});

it('transfer callbacks retry on the schedule WeChat documents for them: 0s, 15s ×10, 5min ×10, 30min ×44', () => {
  expect(TRANSFER_NOTIFY_SCHEDULE_S).toHaveLength(65);
  expect(TRANSFER_NOTIFY_SCHEDULE_S.slice(0, 3)).toEqual([0, 15, 30]);
  expect(TRANSFER_NOTIFY_SCHEDULE_S[10]).toBe(150);
  expect(TRANSFER_NOTIFY_SCHEDULE_S[20]).toBe(150 + 3000);
  expect(TRANSFER_NOTIFY_SCHEDULE_S.at(-1)).toBe(150 + 3000 + 44 * 1800);
});
