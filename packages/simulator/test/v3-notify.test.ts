import { createDecipheriv, createHash, generateKeyPairSync } from 'node:crypto';
import { parseXml } from '@wxpay-kit/core/protocol';
import {
  createManualClock,
  createSimulatorClient,
  NOTIFY_SCHEDULE_S,
  startSimulator,
  type ManualClock,
  type RunningSimulator,
  type SimulatorOptions,
} from '@wxpay-kit/simulator';
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from './helpers.js';
import { decryptResource, merchantKeys, v3, verifyWechatpay, type MerchantKeys } from './v3-helpers.js';

const MCH = '1230000109';
const APPID = 'wxd678efh567hg6787';
const API_KEY = 'v2v2v2v2v2v2v2v2v2v2v2v2v2v2v2v2';
const API_V3_KEY = '0123456789abcdef0123456789abcdef';
const keys: MerchantKeys = merchantKeys();
/** The simulator's own keys, made once for the file (generating RSA keys per simulator is slow). */
const simKeys = {
  privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  platformPrivateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

interface Setup {
  readonly sim: RunningSimulator;
  readonly receiver: Receiver;
  readonly clock: ManualClock | undefined;
}

async function setup(
  options: { wechatpayKey?: 'public-key' | 'platform-certificate'; manual?: boolean; sim?: Partial<SimulatorOptions> } = {},
  reply?: Parameters<typeof startReceiver>[0],
): Promise<Setup> {
  const receiver = await startReceiver(reply ?? (() => ({ status: 204, body: '' })));
  const clock = options.manual ? createManualClock(Date.now()) : undefined;
  const sim = await startSimulator({
    port: 0,
    ...(clock && { clock }),
    v3: simKeys,
    ...options.sim,
    merchants: [
      {
        mchId: MCH,
        apiKey: API_KEY,
        appIds: [APPID],
        refundNotifyUrl: receiver.url,
        v3: {
          publicKey: keys.publicKey,
          serialNo: keys.serialNo,
          apiV3Key: API_V3_KEY,
          ...(options.wechatpayKey && { wechatpayKey: options.wechatpayKey }),
        },
      },
    ],
  });
  cleanup.push(
    () => receiver.close(),
    () => sim.close(),
  );
  return { sim, receiver, clock };
}

async function placeOrder({ sim, receiver, clock }: Setup, no: string): Promise<void> {
  const timestamp = Math.floor((clock?.now() ?? Date.now()) / 1000);
  const res = await v3(
    sim.url,
    'POST',
    '/v3/pay/transactions/jsapi',
    {
      appid: APPID,
      mchid: MCH,
      description: 'd',
      out_trade_no: no,
      notify_url: receiver.url,
      amount: { total: 100 },
      payer: { openid: 'oPayer' },
    },
    { mchid: MCH, keys, timestamp },
  );
  expect(res.status).toBe(200);
}

async function refund({ sim, receiver, clock }: Setup, no: string, fee: number): Promise<void> {
  const timestamp = Math.floor((clock?.now() ?? Date.now()) / 1000);
  const res = await v3(
    sim.url,
    'POST',
    '/v3/refund/domestic/refunds',
    { out_trade_no: no, out_refund_no: `${no}R${fee}`, notify_url: receiver.url, amount: { refund: fee, total: 100, currency: 'CNY' } },
    { mchid: MCH, keys, timestamp },
  );
  expect(res.status).toBe(200);
}

type Envelope = {
  id: string;
  create_time: string;
  resource_type: string;
  event_type: string;
  summary: string;
  resource: { original_type: string; algorithm: string; ciphertext: string; associated_data: string; nonce: string };
};

describe('v3 pay notifications', () => {
  it('posts TRANSACTION.SUCCESS, signed with the WeChat Pay public key, with the transaction encrypted under the APIv3 key', async () => {
    const s = await setup();
    await placeOrder(s, 'V1');
    const paid = await s.sim.pay('V1', { coupons: [{ fee: 10, id: 'CP' }] });
    const n = await s.sim.waitForNotification({ outTradeNo: 'V1' });
    expect(n).toMatchObject({ kind: 'pay', format: 'json', status: 'delivered', attempts: [{ ok: true, statusCode: 204 }] });
    const [got] = s.receiver.received;
    expect(got!.body).toBe(n.body);
    expect(got!.headers['content-type']).toBe('application/json');
    const wechatpay = await s.sim.wechatpayKeys();
    expect(got!.headers['wechatpay-serial']).toBe(wechatpay.publicKeyId);
    expect(got!.headers['wechatpay-signature-type']).toBe('WECHATPAY2-SHA256-RSA2048');
    expect(verifyWechatpay(got!.headers, got!.body, new Map([[wechatpay.publicKeyId, wechatpay.publicKey]]))).toBe(true);
    expect(verifyWechatpay(got!.headers, `${got!.body} `, new Map([[wechatpay.publicKeyId, wechatpay.publicKey]]))).toBe(false);

    const envelope = JSON.parse(got!.body) as Envelope;
    expect(envelope).toMatchObject({
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction' },
    });
    expect(envelope.resource.nonce).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(envelope.create_time).toMatch(/\+08:00$/);
    const transaction = JSON.parse(decryptResource(envelope.resource, API_V3_KEY)) as Record<string, unknown>;
    expect(transaction).toMatchObject({
      appid: APPID,
      mchid: MCH,
      out_trade_no: 'V1',
      transaction_id: paid.transactionId,
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      payer: { openid: 'oPayer' },
      amount: { total: 100, payer_total: 90, currency: 'CNY', payer_currency: 'CNY' },
    });
    expect(() => decryptResource(envelope.resource, 'x'.repeat(32))).toThrow();
    expect(() => decryptResource({ ...envelope.resource, associated_data: 'refund' }, API_V3_KEY)).toThrow();
  });

  it('retries on 4xx/5xx on the v2 schedule, signing every attempt afresh', async () => {
    const s = await setup({ manual: true }, (n) =>
      n < 3 ? { status: n === 1 ? 500 : 400, body: '{"code":"FAIL","message":"失败"}' } : { status: 200, body: '' },
    );
    await placeOrder(s, 'V2');
    let arrived = nextAttemptOf(s);
    await s.sim.pay('V2');
    await arrived;
    for (let i = 1; i < 3; i++) {
      const [pending] = await s.sim.notifications();
      expect(pending!.nextAttemptAt! - pending!.createdAt).toBe(NOTIFY_SCHEDULE_S[i]! * 1000);
      arrived = nextAttemptOf(s);
      s.clock!.runNext();
      await arrived;
    }
    const n = await s.sim.waitForNotification({ outTradeNo: 'V2' });
    expect(n.attempts.map((a) => [a.ok, a.statusCode])).toEqual([
      [false, 500],
      [false, 400],
      [true, 200],
    ]);
    const stamps = s.receiver.received.map((r) => Number(r.headers['wechatpay-timestamp']));
    expect([stamps[1]! - stamps[0]!, stamps[2]! - stamps[0]!]).toEqual([15, 30]);
    expect(new Set(s.receiver.received.map((r) => r.headers['wechatpay-nonce'])).size).toBe(3);
    expect(new Set(s.receiver.received.map((r) => r.body)).size).toBe(1);
    const wechatpay = await s.sim.wechatpayKeys();
    for (const r of s.receiver.received)
      expect(verifyWechatpay(r.headers, r.body, new Map([[wechatpay.publicKeyId, wechatpay.publicKey]]))).toBe(true);
  });

  it('loses no notification across a platform certificate rotation: retries are signed with the new certificate', async () => {
    let trusted = new Map<string, string>();
    // A merchant that verifies against the certificates it downloaded and refuses anything else.
    const s = await setup({ wechatpayKey: 'platform-certificate', manual: true }, (n, body, headers) => {
      if (n === 1) return { status: 503, body: '{"code":"FAIL","message":"busy"}' };
      return verifyWechatpay(headers, body, trusted)
        ? { status: 200, body: '' }
        : { status: 401, body: '{"code":"FAIL","message":"bad signature"}' };
    });
    const download = async (): Promise<void> => {
      const res = await v3(s.sim.url, 'GET', '/v3/certificates', undefined, {
        mchid: MCH,
        keys,
        timestamp: Math.floor(s.clock!.now() / 1000),
      });
      expect(verifyWechatpay(res.headers, res.text, new Map([...trusted, ...decryptCerts(res.json!)]))).toBe(true);
      trusted = decryptCerts(res.json!);
    };
    await download();
    const [oldSerial] = [...trusted.keys()];
    await placeOrder(s, 'V3');
    const first = nextAttemptOf(s);
    await s.sim.pay('V3');
    await first;
    const rotated = await s.sim.rotatePlatformCertificate();

    const nextAttempt = async (): Promise<void> => {
      const done = nextAttemptOf(s);
      s.clock!.runNext();
      await done;
    };
    await nextAttempt();
    expect(s.receiver.received[1]!.headers['wechatpay-serial']).toBe(rotated.serialNo);
    await download();
    expect([...trusted.keys()]).toEqual([oldSerial, rotated.serialNo]);
    await nextAttempt();
    const n = await s.sim.waitForNotification({ outTradeNo: 'V3' });
    expect(n.attempts.map((a) => a.statusCode)).toEqual([503, 401, 200]);
    expect(s.receiver.received.map((r) => r.headers['wechatpay-serial'])).toEqual([oldSerial, rotated.serialNo, rotated.serialNo]);
  });
});

/** Resolves after the simulator's next notification attempt. */
function nextAttemptOf(s: Setup): Promise<void> {
  return new Promise((resolve) => {
    const once = (): void => {
      s.sim.off('attempt', once);
      resolve();
    };
    s.sim.on('attempt', once);
  });
}

function decryptCerts(json: Record<string, unknown>): Map<string, string> {
  const data = json['data'] as { serial_no: string; encrypt_certificate: { ciphertext: string; nonce: string; associated_data: string } }[];
  return new Map(data.map((d) => [d.serial_no, decryptResource(d.encrypt_certificate, API_V3_KEY)]));
}

/** v2 `req_info`: AES-256-ECB, key = lower-case hex MD5 of the v2 API key (spec v2 §8.2). */
function decryptReqInfo(reqInfo: string, apiKey: string): string {
  const key = Buffer.from(createHash('md5').update(apiKey, 'utf8').digest('hex'), 'utf8');
  const decipher = createDecipheriv('aes-256-ecb', key, null);
  return Buffer.concat([decipher.update(Buffer.from(reqInfo, 'base64')), decipher.final()]).toString('utf8');
}

describe('v3 refund notifications', () => {
  async function paid(s: Setup, no: string): Promise<void> {
    await placeOrder(s, no);
    await s.sim.pay(no, { notify: false });
  }

  it('posts REFUND.SUCCESS with the refund encrypted', async () => {
    const s = await setup();
    await paid(s, 'F1');
    await refund(s, 'F1', 40);
    const n = await s.sim.waitForNotification({ kind: 'refund', outRefundNo: 'F1R40' });
    expect(n.format).toBe('json');
    const got = s.receiver.received[0]!;
    const wechatpay = await s.sim.wechatpayKeys();
    expect(verifyWechatpay(got.headers, got.body, new Map([[wechatpay.publicKeyId, wechatpay.publicKey]]))).toBe(true);
    const envelope = JSON.parse(got.body) as Envelope;
    expect(envelope).toMatchObject({
      event_type: 'REFUND.SUCCESS',
      summary: '退款成功',
      resource: { original_type: 'refund', associated_data: 'refund' },
    });
    const resource = JSON.parse(decryptResource(envelope.resource, API_V3_KEY)) as Record<string, unknown>;
    const record = await s.sim.refund('F1R40');
    expect(resource).toMatchObject({
      mchid: MCH,
      out_trade_no: 'F1',
      transaction_id: record.transactionId,
      refund_id: record.refundId,
      out_refund_no: 'F1R40',
      refund_status: 'SUCCESS',
      user_received_account: '支付用户零钱',
      amount: { total: 100, refund: 40, payer_total: 100, payer_refund: 40 },
    });
    expect(resource['success_time']).toMatch(/\+08:00$/);
  });

  it('posts REFUND.ABNORMAL and REFUND.CLOSED for refunds finished so', async () => {
    const s = await setup({ sim: { refunds: 'manual' } });
    await paid(s, 'F2');
    await refund(s, 'F2', 10);
    await refund(s, 'F2', 20);
    expect(await s.sim.notifications()).toEqual([]);
    await s.sim.failRefund('F2R10');
    await s.sim.closeRefund('F2R20');
    const events: string[] = [];
    for (const no of ['F2R10', 'F2R20']) {
      const n = await s.sim.waitForNotification({ outRefundNo: no });
      const envelope = JSON.parse(n.body) as Envelope;
      const resource = JSON.parse(decryptResource(envelope.resource, API_V3_KEY)) as Record<string, unknown>;
      events.push(`${envelope.event_type} ${String(resource['refund_status'])}`);
      expect(resource['success_time']).toBeUndefined();
    }
    expect(events).toEqual(['REFUND.ABNORMAL ABNORMAL', 'REFUND.CLOSED CLOSED']);
  });

  it('notifies a console refund of a v3 order in v2 XML with req_info under the v2 key', async () => {
    const s = await setup({}, () => ({ status: 200, body: '<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>' }));
    await paid(s, 'F3');
    const started = await s.sim.startRefund('F3', { refundFee: 25, outRefundNo: 'F3C' });
    expect(started).toMatchObject({ source: 'console', apiVersion: 'v3', refundFee: 25, status: 'SUCCESS' });
    const n = await s.sim.waitForNotification({ outRefundNo: 'F3C' });
    expect(n.format).toBe('xml');
    const got = s.receiver.received[0]!;
    expect(got.headers['wechatpay-signature']).toBeUndefined();
    const xml = parseXml(got.body);
    expect(xml).toMatchObject({ return_code: 'SUCCESS', appid: APPID, mch_id: MCH });
    const info = parseXml(decryptReqInfo(xml['req_info']!, API_KEY));
    expect(info).toMatchObject({
      out_trade_no: 'F3',
      out_refund_no: 'F3C',
      refund_fee: '25',
      refund_status: 'SUCCESS',
      refund_request_source: 'VENDOR_PLATFORM',
    });
    // The same refund is visible through v3 queries.
    const query = await v3(s.sim.url, 'GET', '/v3/refund/domestic/refunds/F3C', undefined, { mchid: MCH, keys });
    expect(query.json).toMatchObject({ out_refund_no: 'F3C', status: 'SUCCESS', amount: { refund: 25 } });
  });

  it("notifies a control refund marked source api in the order's API version", async () => {
    const s = await setup();
    await paid(s, 'F4');
    await s.sim.startRefund('F4', { source: 'api', outRefundNo: 'F4A' });
    const n = await s.sim.waitForNotification({ outRefundNo: 'F4A' });
    expect(n.format).toBe('json');
    const resource = JSON.parse(decryptResource((JSON.parse(n.body) as Envelope).resource, API_V3_KEY)) as Record<string, unknown>;
    expect(resource).toMatchObject({ out_refund_no: 'F4A', amount: { refund: 100 } });
  });
});

describe('forged v3 notifications', () => {
  it('sends each forgery once, and a verifying merchant refuses each for its own reason', async () => {
    let wechatpay: { publicKeyId: string; publicKey: string } | undefined;
    const reasons: string[] = [];
    // A merchant that checks serial, signature, timestamp and GCM tag, in that order.
    const s = await setup({}, (_n, body, headers) => {
      const serial = headers['wechatpay-serial'];
      const keysById = new Map([[wechatpay!.publicKeyId, wechatpay!.publicKey]]);
      let reason = 'ok';
      if (typeof serial !== 'string' || !keysById.has(serial)) reason = 'serial';
      else if (String(headers['wechatpay-signature']).startsWith('WECHATPAY/SIGNTEST/')) reason = 'probe';
      else if (!verifyWechatpay(headers, body, keysById)) reason = 'signature';
      else if (Math.abs(Date.now() / 1000 - Number(headers['wechatpay-timestamp'])) > 300) reason = 'timestamp';
      else {
        try {
          decryptResource((JSON.parse(body) as Envelope).resource, API_V3_KEY);
        } catch {
          reason = 'decrypt';
        }
      }
      reasons.push(reason);
      return reason === 'ok' ? { status: 204, body: '' } : { status: 401, body: '{"code":"FAIL","message":"失败"}' };
    });
    wechatpay = await s.sim.wechatpayKeys();
    await placeOrder(s, 'G1');
    await s.sim.pay('G1');
    await s.sim.waitForNotification({ outTradeNo: 'G1' });
    expect(reasons).toEqual(['ok']);

    const forgeries = ['signtest', 'bad-signature', 'unknown-serial', 'stale-timestamp', 'bad-tag'] as const;
    for (const forgery of forgeries) {
      const n = await s.sim.forgeNotification({ forgery, outTradeNo: 'G1' });
      expect(n).toMatchObject({ kind: 'pay', forgery, status: 'failed', format: 'json' });
      expect(n.attempts.map((a) => a.statusCode)).toEqual([401]);
    }
    expect(reasons).toEqual(['ok', 'probe', 'signature', 'serial', 'timestamp', 'decrypt']);
    expect((await s.sim.order('G1')).tradeState).toBe('SUCCESS');
  });

  it('forges refund notifications too, over the control API, and refuses what cannot be forged', async () => {
    const s = await setup();
    const client = createSimulatorClient(s.sim.url);
    await placeOrder(s, 'G2');
    await expect(client.forgeNotification({ forgery: 'bad-tag', outTradeNo: 'G2' })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await s.sim.pay('G2', { notify: false });
    await refund(s, 'G2', 10);
    await s.sim.waitForNotification({ outRefundNo: 'G2R10' });
    const n = await client.forgeNotification({ forgery: 'bad-tag', outRefundNo: 'G2R10' });
    expect(n).toMatchObject({ kind: 'refund', outRefundNo: 'G2R10', forgery: 'bad-tag', status: 'delivered' });
    const envelope = JSON.parse(n.body) as Envelope;
    expect(envelope.event_type).toBe('REFUND.SUCCESS');
    expect(() => decryptResource(envelope.resource, API_V3_KEY)).toThrow();
    await expect(client.forgeNotification({ forgery: 'nonsense' as never, outTradeNo: 'G2' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(client.forgeNotification({ forgery: 'signtest' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('control API for v3', () => {
  it('starts refunds, lists keys and rotates certificates over HTTP', async () => {
    const s = await setup({}, () => ({ status: 200, body: '<xml><return_code>SUCCESS</return_code></xml>' }));
    const client = createSimulatorClient(s.sim.url);
    await placeOrder(s, 'K1');
    await expect(client.startRefund('K1')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await client.pay('K1', { notify: false });
    await expect(client.startRefund('K1', { refundFee: 101 })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(client.startRefund('K1', { source: 'bank' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const r = await client.startRefund('K1', { refundFee: 5, reason: 'r' });
    expect(r).toMatchObject({ source: 'console', refundFee: 5, refundDesc: 'r', outRefundNo: expect.stringMatching(/^C\d{22}$/) });
    await expect(client.startRefund('K1', { refundFee: 5, outRefundNo: r.outRefundNo })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const keysBefore = await client.wechatpayKeys();
    expect(keysBefore).toEqual(await s.sim.wechatpayKeys());
    const rotated = await client.rotatePlatformCertificate({ retirePrevious: true });
    const keysAfter = await client.wechatpayKeys();
    expect(keysAfter.platformCertificates.map((c) => c.serialNo)).toEqual([rotated.serialNo]);
    expect(keysAfter.publicKeyId).toBe(keysBefore.publicKeyId);
    const [merchant] = await client.listMerchants();
    expect(merchant).toMatchObject({ apiVersion: 'v3', v3: { serialNo: keys.serialNo, apiV3Key: API_V3_KEY, wechatpayKey: 'public-key' } });
  });
});
