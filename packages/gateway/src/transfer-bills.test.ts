import { describe, expect, it } from 'vitest';
import type { GatewayApp, GatewayMerchant } from './config/gateway-config.js';
import { coreTransferBody, SeedRequestError, seedTransferReply, transferBillsRefusal } from './transfer-bills.js';

const app = (name: string, appIds: string[], merchant = 'm3'): GatewayApp => ({
  name,
  merchant,
  sandbox: false,
  payCallback: undefined,
  refundCallback: undefined,
  transferCallback: undefined,
  appIds,
  callbackSecret: undefined,
});
const apps = [app('shop', ['*', 'wx1']), app('any', ['*']), app('old', ['wx2'], 'm2')];
const json = (status: number, body: unknown) => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe("go-wxpay-gateway's transfer-bill requests, in the core routes' fields", () => {
  it('create: WeChat field names become the core route names, the report rows included', () => {
    expect(
      coreTransferBody(
        'create',
        {
          payApp: 'shop',
          appid: 'wx1',
          out_bill_no: 'B1',
          transfer_scene_id: '1000',
          openid: 'o1',
          user_name: '张三',
          transfer_amount: 200_000,
          transfer_remark: 'r',
          notify_url: 'https://shop.example.com/n',
          user_recv_perception: '现金奖励',
          transfer_scene_report_infos: [{ info_type: '活动名称', info_content: 'x' }],
          unknown: 1,
        },
        apps,
      ),
    ).toEqual({
      payApp: 'shop',
      appId: 'wx1',
      outBillNo: 'B1',
      sceneId: '1000',
      openId: 'o1',
      userName: '张三',
      fee: 200_000,
      remark: 'r',
      notifyUrl: 'https://shop.example.com/n',
      userRecvPerception: '现金奖励',
      sceneReportInfos: [{ infoType: '活动名称', infoContent: 'x' }],
    });
  });

  it("query and cancel: out_bills_no (the seed's spelling) or out_bill_no, with the app's first listed app id", () => {
    expect(coreTransferBody('query', { payApp: 'shop', out_bills_no: 'B1' }, apps)).toEqual({
      payApp: 'shop',
      appId: 'wx1',
      outBillNo: 'B1',
    });
    expect(coreTransferBody('cancel', { payApp: 'any', out_bill_no: 'B2' }, apps)).toEqual({ payApp: 'any', appId: '*', outBillNo: 'B2' });
    expect(() => coreTransferBody('cancel', [1], apps)).toThrow(SeedRequestError);
    expect(() => coreTransferBody('create', undefined, apps)).toThrow('the body must be a JSON object');
  });

  it('refuses an API v2 merchant without (a whole set of) v3 keys and sandbox apps, naming what to add; leaves unknown apps to the core', () => {
    const keys = (over: Record<string, unknown>) => ({
      keys: [],
      privateKey: '/k.pem',
      certSerialNo: 'AB',
      apiV3Key: 'k'.repeat(32),
      wechatpayPublicKey: '/pub.pem',
      wechatpayPublicKeyId: 'PUB_KEY_ID_1',
      platformCertificate: undefined,
      ...over,
    });
    const merchants = [
      { name: 'm3', v3: {} },
      { name: 'm2' },
      { name: 'm2keys', transferKeys: keys({}) },
      {
        name: 'm2cert',
        transferKeys: keys({ wechatpayPublicKey: undefined, wechatpayPublicKeyId: undefined, platformCertificate: '/c.pem' }),
      },
      { name: 'm2half', transferKeys: keys({ apiV3Key: undefined, wechatpayPublicKeyId: undefined }) },
    ] as unknown as GatewayMerchant[];
    const all = [
      ...apps,
      app('k', ['wx3'], 'm2keys'),
      app('c', ['wx3'], 'm2cert'),
      app('h', ['wx3'], 'm2half'),
      { ...app('k-dev', ['wx3'], 'm2keys'), sandbox: true },
    ];
    const refusal = (payApp: string) => transferBillsRefusal({ apps: all, merchants }, payApp);
    expect(refusal('shop')).toBeUndefined();
    expect(refusal('nobody')).toBeUndefined();
    expect(refusal('k')).toBeUndefined();
    expect(refusal('c')).toBeUndefined();
    expect(refusal('old')).toBe(
      'payApp: transfer bills are an API v3 call and merchant "m2" of app "old" pays on API v2 without API v3 keys; give it mch-key-pem-file, mch-cert-serialno, wxpay-v3-key and wxpay-pubkey-file + wxpay-pubkey-id (or wxpay-v3-cert)',
    );
    expect(refusal('h')).toBe(
      'payApp: transfer bills are an API v3 call and merchant "m2half" of app "h" pays on API v2 with an incomplete set of API v3 keys; give it wxpay-v3-key, wxpay-pubkey-id',
    );
    expect(refusal('k-dev')).toBe('payApp: transfer bills are an API v3 call, which WeChat\'s sandbox (app "k-dev") does not have');
  });
});

describe("the core's transfer answers, in go-wxpay-gateway's shapes", () => {
  const bill = {
    mch_id: '1230000109',
    app_id: 'wx1',
    out_bill_no: 'B1',
    transfer_bill_no: '1330000071100999991182020050700019480001',
    state: 'WAIT_USER_CONFIRM',
    transfer_amount: 150,
    create_time: '2025-01-01T10:00:00+08:00',
    package_info: 'affffddafdfafddffda==',
    confirm_params: { mchId: '1230000109', appId: 'wx1', package: 'affffddafdfafddffda==' },
  };

  it("keeps WeChat's fields of each call's reply: create, query (appid), cancel", () => {
    expect(seedTransferReply('create', json(200, { code: 200, msg: 'OK', result: bill }))).toEqual({
      status: 200,
      body: {
        code: 200,
        msg: 'OK',
        result: {
          out_bill_no: 'B1',
          transfer_bill_no: bill.transfer_bill_no,
          create_time: bill.create_time,
          state: 'WAIT_USER_CONFIRM',
          package_info: bill.package_info,
        },
      },
    });
    expect(seedTransferReply('query', json(200, { code: 200, msg: 'OK', result: { ...bill, state: 'SUCCESS' } })).body['result']).toEqual({
      mch_id: '1230000109',
      out_bill_no: 'B1',
      transfer_bill_no: bill.transfer_bill_no,
      appid: 'wx1',
      state: 'SUCCESS',
      transfer_amount: 150,
      create_time: bill.create_time,
    });
    expect(Object.keys(seedTransferReply('cancel', json(200, { code: 200, msg: 'OK', result: bill })).body['result'] as object)).toEqual([
      'out_bill_no',
      'transfer_bill_no',
      'state',
    ]);
  });

  it('passes errors on with their status, the field named as the seed spells it', () => {
    const err = (msg: string, call: 'create' | 'query' = 'create') =>
      seedTransferReply(call, json(400, { code: 400, msg, err_code: 'WXPAY_ERR_VALIDATION', retryable: false }));
    expect(err('fee: must be positive')).toEqual({
      status: 400,
      body: { code: 400, msg: 'transfer_amount: must be positive', err_code: 'WXPAY_ERR_VALIDATION', retryable: false },
    });
    expect(err('transferRemark is required').body['msg']).toBe('transfer_remark is required');
    expect(err('sceneReportInfos[0].infoContent is required').body['msg']).toBe('transfer_scene_report_infos[0].info_content is required');
    expect(err('outBillNo: Invalid input', 'query').body['msg']).toBe('out_bills_no: Invalid input');
    expect(err("payApp: unknown app 'x'").body['msg']).toBe("payApp: unknown app 'x'");
    const refused = seedTransferReply(
      'create',
      json(502, { code: 502, msg: 'WeChat Pay refused', err_code: 'NOT_ENOUGH', retryable: false }),
    );
    expect(refused).toEqual({ status: 502, body: { code: 502, msg: 'WeChat Pay refused', err_code: 'NOT_ENOUGH', retryable: false } });
  });
});
