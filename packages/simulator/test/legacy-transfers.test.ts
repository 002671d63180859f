import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { createWxPay, ValidationError, WxPayError, type WxPay } from '@wxpay-kit/core';
import { buildXml, parseXml, sign } from '@wxpay-kit/core/protocol';
import { generateTestCertificates, type TestCertificates } from '@wxpay-kit/core/testing';
import { BATCH_STEP_MS, startSimulator, type RunningSimulator, type SimWechatpayKeys } from '@wxpay-kit/simulator';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../test/helpers/external-tools.js';
import { merchantKeys, v3, type MerchantKeys } from './v3-helpers.js';

const MCH_V2 = '1230000109';
const MCH_V3 = '1230000110';
const API_KEY = 'Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4f';
const API_V3_KEY = '0123456789abcdef0123456789abcdef';
const APP_ID = 'wx8888888888888888';
const OPENID = 'o-MYE42l80oelYMDE34nYD456Xoy';

/** RSA-OAEP (SHA-1) with node:crypto alone, as WeChat documents it. */
const oaepDecrypt = (ciphertext: string, key: KeyObject): string =>
  privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(ciphertext, 'base64')).toString('utf8');

describe.skipIf(skipWithout(import.meta.url, ['openssl']))('batch transfers and 企业付款 through the core client', () => {
  let certs: TestCertificates;
  let sim: RunningSimulator;
  let wxpay: WxPay;
  let keys: MerchantKeys;
  let wechatpay: SimWechatpayKeys;
  const agents: Agent[] = [];

  beforeAll(async () => {
    certs = await generateTestCertificates({ mchId: MCH_V2 });
    keys = merchantKeys();
    sim = await startSimulator({
      port: 0,
      merchants: [
        { mchId: MCH_V2, apiKey: API_KEY, appIds: [APP_ID] },
        {
          mchId: MCH_V3,
          apiKey: API_KEY,
          appIds: [APP_ID],
          v3: { publicKey: keys.publicKey, serialNo: keys.serialNo, apiV3Key: API_V3_KEY, wechatpayKey: 'public-key' },
        },
      ],
      tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey },
    });
    wechatpay = await sim.wechatpayKeys();
    const cert = { cert: certs.clientCert, key: certs.clientKey };
    wxpay = createWxPay({
      merchants: [
        { name: 'v2', mchId: MCH_V2, apiKey: API_KEY, baseUrl: sim.url, cert },
        { name: 'nocert', mchId: MCH_V2, apiKey: API_KEY, baseUrl: sim.url },
        {
          name: 'v3',
          mchId: MCH_V3,
          apiKey: API_KEY,
          baseUrl: sim.url,
          cert,
          apiVersion: 'v3',
          privateKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          certSerialNo: keys.serialNo,
          apiV3Key: API_V3_KEY,
          wechatpayPublicKey: wechatpay.publicKey,
          wechatpayPublicKeyId: wechatpay.publicKeyId,
        },
      ],
      apps: [
        { name: 'shop', merchant: 'v2', appIds: [APP_ID] },
        { name: 'shop3', merchant: 'v3', appIds: [APP_ID] },
      ],
      notifyPayUrl: 'https://pay.example.com/notify-pay',
      notifyRefundUrl: 'https://pay.example.com/notify-refund',
      client: { ca: certs.ca, retries: 2, retryDelayMs: 1 },
    });
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await wxpay?.close();
    await sim?.close();
  });

  describe('batch transfers (/v3/transfer/batches)', () => {
    const target = { merchant: 'v3', appId: APP_ID };
    const batch = (outBatchNo: string, over: Record<string, unknown> = {}) =>
      wxpay.client.createTransferBatch({
        ...target,
        outBatchNo,
        batchName: '四月佣金',
        batchRemark: '四月佣金发放',
        details: [
          { outDetailNo: `${outBatchNo}D1`, transferAmount: 250_000, transferRemark: '佣金', openId: OPENID, userName: '张三' },
          { outDetailNo: `${outBatchNo}D2`, transferAmount: 300, transferRemark: '佣金', openId: 'oFrozenUser_FAIL', userName: '李四' },
        ],
        ...over,
      });

    it('ACCEPTED → PROCESSING → FINISHED on business time; details SUCCESS / FAIL; the names were decrypted by the simulator', async () => {
      const created = await batch('BA1');
      expect(created).toMatchObject({ outBatchNo: 'BA1', batchStatus: 'ACCEPTED' });
      expect(created.batchId).toMatch(/^\d{40}$/);
      const byNo = () => wxpay.client.queryTransferBatch({ ...target, outBatchNo: 'BA1', needQueryDetail: true });
      expect(await byNo()).toMatchObject({ batchStatus: 'ACCEPTED', totalAmount: 250_300, totalNum: 2, details: [] });
      await sim.advanceClock(BATCH_STEP_MS);
      expect((await byNo()).batchStatus).toBe('PROCESSING');
      await sim.advanceClock(BATCH_STEP_MS);
      const finished = await wxpay.client.queryTransferBatch({ ...target, batchId: created.batchId, needQueryDetail: true });
      expect(finished).toMatchObject({
        batchStatus: 'FINISHED',
        mchId: MCH_V3,
        successAmount: 250_000,
        successNum: 1,
        failAmount: 300,
        failNum: 1,
        batchType: 'API',
      });
      expect(finished.details.map((d) => [d.outDetailNo, d.detailStatus])).toEqual([
        ['BA1D1', 'SUCCESS'],
        ['BA1D2', 'FAIL'],
      ]);
      const failed = await wxpay.client.queryTransferBatch({ ...target, outBatchNo: 'BA1', needQueryDetail: true, detailStatus: 'FAIL' });
      expect(failed.details.map((d) => d.outDetailNo)).toEqual(['BA1D2']);
      const d1 = await wxpay.client.queryTransferBatchDetail({ ...target, outBatchNo: 'BA1', outDetailNo: 'BA1D1' });
      const d2 = await wxpay.client.queryTransferBatchDetail({
        ...target,
        batchId: created.batchId,
        detailId: finished.details[1]!.detailId,
      });
      expect(d1).toMatchObject({ detailStatus: 'SUCCESS', transferAmount: 250_000, openId: OPENID, failReason: undefined });
      expect(d2).toMatchObject({ detailStatus: 'FAIL', failReason: 'ACCOUNT_FROZEN', outDetailNo: 'BA1D2' });
      // The simulator decrypted each name with its own WeChat Pay key; it answers them encrypted for the merchant.
      expect(oaepDecrypt(d1.userName!, keys.privateKey)).toBe('张三');
      expect(oaepDecrypt(d2.userName!, keys.privateKey)).toBe('李四');
      // The same batch number with the same request is the same batch (WeChat's advice after an unknown outcome).
      expect((await batch('BA1')).batchId).toBe(created.batchId);
      await expect(batch('BA1', { batchName: '别的批次' })).rejects.toMatchObject({ name: 'WxPayError', errCode: 'INVALID_REQUEST' });
    });

    it('NOT_ENOUGH (injected) is a typed error and records nothing; the same batch number goes through after', async () => {
      await sim.addFault({ kind: 'error', code: 'NOT_ENOUGH', status: 403, path: '/v3/transfer/batches' });
      const error = await batch('BN1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WxPayError);
      expect((error as WxPayError).errCode).toBe('NOT_ENOUGH');
      await expect(wxpay.client.queryTransferBatch({ ...target, outBatchNo: 'BN1' })).rejects.toMatchObject({ errCode: 'NOT_FOUND' });
      await expect(batch('BN1')).resolves.toMatchObject({ batchStatus: 'ACCEPTED' });
    });

    it('SYSTEM_ERROR after the batch was made: the client repeats the same number and gets that batch', async () => {
      await sim.addFault({ kind: 'systemerror', applied: true, path: '/v3/transfer/batches' });
      const created = await batch('BS1');
      const found = await wxpay.client.queryTransferBatch({ ...target, outBatchNo: 'BS1' });
      expect(found.batchId).toBe(created.batchId);
    });

    it('the simulator refuses what WeChat refuses on the wire: a wrong total, some names only, a name it cannot decrypt', async () => {
      const trusting = new Agent({ connect: { ca: certs.ca } });
      agents.push(trusting);
      const call = { mchid: MCH_V3, keys, dispatcher: trusting };
      const details = [
        { out_detail_no: 'W1', transfer_amount: 100, transfer_remark: 'r', openid: OPENID },
        { out_detail_no: 'W2', transfer_amount: 100, transfer_remark: 'r', openid: OPENID },
      ];
      const body = {
        appid: APP_ID,
        out_batch_no: 'BW1',
        batch_name: 'n',
        batch_remark: 'r',
        total_amount: 200,
        total_num: 2,
        transfer_detail_list: details,
      };
      const wrongTotal = await v3(sim.url, 'POST', '/v3/transfer/batches', { ...body, total_amount: 201 }, call);
      expect(wrongTotal.status).toBe(400);
      expect(wrongTotal.json).toMatchObject({ code: 'PARAM_ERROR', detail: { field: 'total_amount' } });
      const cipher = publicEncrypt(
        { key: wechatpay.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        Buffer.from('张三'),
      ).toString('base64');
      const someNames = await v3(
        sim.url,
        'POST',
        '/v3/transfer/batches',
        { ...body, transfer_detail_list: [{ ...details[0], user_name: cipher }, details[1]] },
        call,
      );
      expect(someNames.json).toMatchObject({ code: 'PARAM_ERROR', detail: { field: 'transfer_detail_list' } });
      // Without Wechatpay-Serial the simulator cannot know which of its keys to decrypt with.
      const noSerial = await v3(
        sim.url,
        'POST',
        '/v3/transfer/batches',
        { ...body, transfer_detail_list: details.map((d) => ({ ...d, user_name: cipher })) },
        call,
      );
      expect(noSerial.json).toMatchObject({ code: 'PARAM_ERROR' });
      await expect(wxpay.client.queryTransferBatch({ merchant: 'v3', appId: APP_ID, outBatchNo: 'BW1' })).rejects.toMatchObject({
        errCode: 'NOT_FOUND',
      });
    });

    it('validation errors are typed before any network call', async () => {
      const offline = createWxPay({
        merchants: [
          {
            name: 'v3',
            mchId: MCH_V3,
            baseUrl: 'http://127.0.0.1:9',
            apiVersion: 'v3',
            privateKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
            certSerialNo: keys.serialNo,
            apiV3Key: API_V3_KEY,
            wechatpayPublicKey: wechatpay.publicKey,
            wechatpayPublicKeyId: wechatpay.publicKeyId,
          },
        ],
        apps: [{ name: 'shop3', merchant: 'v3', appIds: [APP_ID] }],
        notifyPayUrl: 'https://pay.example.com/notify-pay',
        notifyRefundUrl: 'https://pay.example.com/notify-refund',
        client: { retries: 0 },
      });
      try {
        const bad = await offline.client
          .createTransferBatch({
            merchant: 'v3',
            appId: APP_ID,
            outBatchNo: 'BV1',
            batchName: 'n',
            batchRemark: 'r',
            details: [{ outDetailNo: 'D1', transferAmount: 200_000, transferRemark: 'r', openId: OPENID }],
          })
          .catch((e: unknown) => e);
        expect(bad).toBeInstanceOf(ValidationError);
        expect((bad as ValidationError).field).toBe('details[0].userName');
      } finally {
        await offline.close();
      }
    });
  });

  describe('企业付款到零钱 (/mmpaymkttransfers/…)', () => {
    const pay = (merchant: string, partnerTradeNo: string, over: Record<string, unknown> = {}) =>
      wxpay.client.transferToBalance({
        merchant,
        appId: APP_ID,
        partnerTradeNo,
        openId: OPENID,
        amount: 650,
        desc: '福利测试',
        spbillCreateIp: '10.0.0.8',
        ...over,
      });
    const query = (merchant: string, partnerTradeNo: string) =>
      wxpay.client.queryTransferToBalance({ merchant, appId: APP_ID, partnerTradeNo });

    it.each(['v2', 'v3'])(
      'pays at once over mutual TLS (%s merchant), the query finds it, the same number again is the same payment',
      async (m) => {
        const paid = await pay(m, `${m}P1`, { reUserName: '王五' });
        expect(paid).toMatchObject({ partnerTradeNo: `${m}P1`, appId: APP_ID });
        expect(paid.paymentNo).toMatch(/^\d{32}$/);
        expect(paid.paymentTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        const found = await query(m, `${m}P1`);
        expect(found).toMatchObject({
          status: 'SUCCESS',
          paymentAmount: 650,
          detailId: paid.paymentNo,
          transferName: '王五',
          openId: OPENID,
        });
        expect((await pay(m, `${m}P1`, { reUserName: '王五' })).paymentNo).toBe(paid.paymentNo);
        await expect(pay(m, `${m}P1`, { amount: 651 })).rejects.toMatchObject({ errCode: 'PARAM_ERROR' });
      },
    );

    it('amount limits, NOTENOUGH (injected), and an unknown number', async () => {
      await expect(pay('v2', 'PL1', { amount: 29 })).rejects.toMatchObject({ name: 'WxPayError', errCode: 'AMOUNT_LIMIT' });
      await expect(pay('v2', 'PL2', { amount: 2_000_001 })).rejects.toMatchObject({ errCode: 'AMOUNT_LIMIT' });
      await sim.addFault({ kind: 'error', code: 'NOTENOUGH', message: '余额不足', path: '/mmpaymkttransfers/promotion/transfers' });
      await expect(pay('v2', 'PN1')).rejects.toMatchObject({ errCode: 'NOTENOUGH' });
      await expect(query('v2', 'PN1')).rejects.toMatchObject({ errCode: 'NOT_FOUND' });
      await expect(pay('v2', 'PN1')).resolves.toMatchObject({ partnerTradeNo: 'PN1' });
    });

    it('SYSTEMERROR after paying: the client repeats the same partner_trade_no and gets the one payment', async () => {
      await sim.addFault({ kind: 'systemerror', applied: true, path: '/mmpaymkttransfers/promotion/transfers' });
      const paid = await pay('v2', 'PS1');
      expect((await query('v2', 'PS1')).detailId).toBe(paid.paymentNo);
    });

    it('a merchant without a certificate is refused before any network call; the simulator refuses a call without one', async () => {
      const error = await pay('nocert', 'PC1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('merchant');
      const fields: Record<string, string | number> = {
        mch_appid: APP_ID,
        mchid: MCH_V2,
        nonce_str: 'n0nce',
        partner_trade_no: 'PC2',
        openid: OPENID,
        check_name: 'NO_CHECK',
        amount: 100,
        desc: 'd',
        spbill_create_ip: '10.0.0.8',
      };
      const body = buildXml({ ...fields, sign: sign(fields, API_KEY, 'MD5') });
      const noCert = new Agent({ connect: { ca: certs.ca } });
      const withCert = new Agent({ connect: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
      agents.push(noCert, withCert);
      const refused = await request(`${sim.url}/mmpaymkttransfers/promotion/transfers`, { method: 'POST', body, dispatcher: noCert });
      expect(refused.statusCode).toBe(403);
      expect(parseXml(await refused.body.text())['return_code']).toBe('FAIL');
      await expect(query('v2', 'PC2')).rejects.toMatchObject({ errCode: 'NOT_FOUND' });
      // The same request with the certificate: WeChat's unsigned reply with mch_appid / mchid.
      const accepted = await request(`${sim.url}/mmpaymkttransfers/promotion/transfers`, { method: 'POST', body, dispatcher: withCert });
      const reply = parseXml(await accepted.body.text());
      expect(reply).toMatchObject({
        return_code: 'SUCCESS',
        result_code: 'SUCCESS',
        mch_appid: APP_ID,
        mchid: MCH_V2,
        partner_trade_no: 'PC2',
      });
      expect(reply['sign']).toBeUndefined();
      expect(reply['mch_id']).toBeUndefined();
    });
  });
});
