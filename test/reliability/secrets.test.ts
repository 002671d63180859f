/**
 * Secrets never leave: every route, on success and failure, with canary values for the API key,
 * the bearer token, the PKCS#12 passphrase and the webhook secret, a debug-level capturing
 * logger on the core and the forwarder; no secret in any log line, error message or response body.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../helpers/external-tools.js';
import { createWxPay, isWxPayKitError, type ErrorEvent, type WxPay } from '@wxpay-kit/core';
import { buildPayNotification, buildRefundNotifyXml, generateTestCertificates, signNotifyXml } from '@wxpay-kit/core/testing';
import { createFileStore, forwarder, type FileStore } from '@wxpay-kit/forwarder';
import { startSimulator } from '@wxpay-kit/simulator';
import { listenLoopback, type LoopbackServer } from '../helpers/loopback.js';
import { APP_ID, capturingLogger, notifyRequest, type CapturingLogger } from './support.js';

const MCH_ID = '1900000109';
const API_KEY = 'CanaryApiKey0000CanaryApiKey9999';
const BEARER = 'canary-bearer-token-7d1f0c2b9e';
const PASSPHRASE = 'canary-pfx-passphrase-5e8a';
const WEBHOOK_SECRET = 'whsec_Q2FuYXJ5V2ViaG9va1NlY3JldDAxMjM0NTY3';
/** The refund notification key is derived from the API key. */
const REFUND_KEY = createHash('md5').update(API_KEY).digest('hex');
const SECRETS = { API_KEY, BEARER, PASSPHRASE, WEBHOOK_SECRET, REFUND_KEY, WEBHOOK_KEY_BASE64: WEBHOOK_SECRET.slice('whsec_'.length) };

describe.skipIf(skipWithout(import.meta.url, ['openssl']))('secrets in logs, errors and responses', () => {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let wxpay: WxPay;
  let logger: CapturingLogger;
  let store: FileStore;
  let dir: string;
  let receiver: LoopbackServer;
  const errors: ErrorEvent[] = [];
  const bodies: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wxpay-secrets-'));
    const certs = await generateTestCertificates({ mchId: MCH_ID, passphrase: PASSPHRASE });
    sim = await startSimulator({
      port: 0,
      merchants: [{ mchId: MCH_ID, apiKey: API_KEY, appIds: [APP_ID] }],
      tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey },
    });
    let calls = 0;
    // The app's webhook fails once, then accepts: both paths of the forwarder log.
    receiver = await listenLoopback((req, res) => {
      req.resume();
      calls += 1;
      res.writeHead(calls % 2 === 1 ? 500 : 204).end();
    });
    logger = capturingLogger();
    store = await createFileStore({ dir, logger });
    wxpay = createWxPay({
      merchants: [
        { name: 'main', mchId: MCH_ID, apiKey: API_KEY, baseUrl: sim.url, cert: { pfx: certs.clientPfx, passphrase: PASSPHRASE } },
      ],
      apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
      notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
      notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
      bearerToken: BEARER,
      store,
      logger,
      client: { retries: 1, retryDelayMs: 5, ca: certs.ca, timeoutMs: 500 },
    });
    wxpay.use(
      forwarder({
        store,
        apps: { shop: { payCallback: `${receiver.url}/paid`, refundCallback: `${receiver.url}/refunded`, secret: WEBHOOK_SECRET } },
        baseDelayMs: 10,
        maxDelayMs: 20,
        pollIntervalMs: 10,
      }),
    );
    wxpay.on('error', (e) => void errors.push(e));
    wxpay.on('paid', () => {});
    wxpay.on('refunded', () => {});
    await wxpay.ready();
  });
  afterAll(async () => {
    await wxpay.close();
    await store.close();
    await sim.close();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(
    path: string,
    body: unknown,
    auth: string | null = `Bearer ${BEARER}`,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth !== null) headers['authorization'] = auth;
    const response = await wxpay.handle({
      method: 'POST',
      path,
      headers,
      rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    });
    const text = String(response.body);
    bodies.push(text);
    return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
  }
  async function notify(xml: string, route: 'pay' | 'refund'): Promise<void> {
    const response = await wxpay.handle(notifyRequest(xml, route));
    bodies.push(String(response.body));
  }

  it('runs every route, on its success and failure paths, and finds no secret anywhere', async () => {
    const orderId = `SEC${Date.now()}`;
    const common = {
      appId: APP_ID,
      payApp: 'shop',
      goods: 'g',
      fee: 101,
      ip: '127.0.0.1',
      productId: 'p',
      openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      sceneInfo: { h5_info: { type: 'Wap', wap_url: 'https://shop.example', wap_name: 'shop' } },
    };
    for (const type of ['NATIVE', 'JSAPI', 'APP', 'H5']) {
      const created = await call(`/create-pay/${type}`, { ...common, orderId: `${orderId}${type}` });
      expect(created.status, JSON.stringify(created.json)).toBe(200);
    }
    const order = await sim.pay(`${orderId}NATIVE`, { notify: false });
    expect((await call('/query-order', { appId: APP_ID, payApp: 'shop', orderId: `${orderId}NATIVE` })).status).toBe(200);
    expect((await call('/confirm', { appId: APP_ID, payApp: 'shop', orderId: `${orderId}NATIVE` })).status).toBe(200);
    expect((await call('/close-order', { appId: APP_ID, payApp: 'shop', orderId: `${orderId}APP` })).status).toBe(200);
    const refund = await call('/create-refund', {
      appId: APP_ID,
      payApp: 'shop',
      orderId: `${orderId}NATIVE`,
      refundId: `R${orderId}`,
      totalFee: 101,
      refundFee: 1,
    });
    expect(refund.status, JSON.stringify(refund.json)).toBe(200);
    expect((await call('/query-refund', { appId: APP_ID, payApp: 'shop', refundId: `R${orderId}` })).status).toBe(200);
    const micropay = { appId: APP_ID, payApp: 'shop', goods: 'g', fee: 101, ip: '127.0.0.1', authCode: '134567890123456000' };
    expect((await call('/micropay', { ...micropay, orderId: `${orderId}MP` })).status).toBe(200);
    expect((await call('/micropay', { ...micropay, orderId: `${orderId}MP4`, authCode: '134567890123456004' })).status).toBe(200);
    expect((await call('/micropay', { ...micropay, orderId: `${orderId}MPX`, authCode: '1' })).status).toBe(400);

    // Failure paths: auth, validation, WeChat errors and transport failures.
    expect((await call('/query-order', { appId: APP_ID, payApp: 'shop', orderId }, null)).status).toBe(401);
    expect((await call('/query-order', { appId: APP_ID, payApp: 'shop', orderId }, `Bearer ${BEARER}x`)).status).toBe(401);
    expect(
      (await call('/query-order', { appId: APP_ID, payApp: 'shop', orderId }, `Basic ${Buffer.from(`u:${BEARER}`).toString('base64')}`))
        .status,
    ).toBe(401);
    expect((await call('/create-pay/NATIVE', '{not json')).status).toBe(400);
    expect((await call('/create-pay/NATIVE', { ...common, orderId: `${orderId}x`, fee: -1 })).status).toBe(400);
    expect((await call('/query-order', { appId: APP_ID, payApp: 'shop', orderId: 'NOPE' })).status).toBeGreaterThanOrEqual(400);
    await sim.addFault({ kind: 'systemerror', path: '/pay/orderquery', times: 2 });
    expect((await call('/query-order', { appId: APP_ID, payApp: 'shop', orderId: `${orderId}NATIVE` })).status).toBe(502);
    await sim.addFault({ kind: 'drop', times: 2 });
    expect((await call('/query-refund', { appId: APP_ID, payApp: 'shop', refundId: `R${orderId}` })).status).toBe(502);
    await sim.addFault({ kind: 'drop', path: '/secapi/pay/refund', times: 2 });
    expect(
      (
        await call('/create-refund', {
          appId: APP_ID,
          payApp: 'shop',
          orderId: `${orderId}NATIVE`,
          refundId: `R2${orderId}`,
          totalFee: 101,
          refundFee: 1,
        })
      ).status,
    ).toBe(502);

    // Notifications: genuine, forged, malformed, and a refund notification (genuine and with another key).
    const pay = buildPayNotification({
      appid: APP_ID,
      mch_id: MCH_ID,
      out_trade_no: `${orderId}NATIVE`,
      transaction_id: order.transactionId ?? '',
      total_fee: '101',
      cash_fee: '101',
    });
    await notify(signNotifyXml(pay, API_KEY), 'pay');
    await notify(signNotifyXml({ ...pay, total_fee: '1' }, 'k'.repeat(32)), 'pay');
    await notify('<xml><return_code>SUCCESS</xml>', 'pay');
    await notify(`<!DOCTYPE x [<!ENTITY k "${API_KEY}">]><xml><a>&k;</a></xml>`.replace(API_KEY, 'x'), 'pay');
    await notify(
      buildRefundNotifyXml({ out_trade_no: `${orderId}NATIVE`, out_refund_no: `R${orderId}`, total_fee: '101', refund_fee: '1' }, API_KEY, {
        appid: APP_ID,
        mch_id: MCH_ID,
      }),
      'refund',
    );
    await notify(buildRefundNotifyXml({ out_trade_no: `${orderId}NATIVE` }, 'k'.repeat(32), { appid: APP_ID, mch_id: MCH_ID }), 'refund');
    // Let the forwarder deliver (one 500, then success) so its log lines are in.
    for (let i = 0; i < 100 && (await store.stats(Date.now())).delivered < 2; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await store.stats(Date.now())).delivered).toBeGreaterThanOrEqual(2);

    // A configuration with a wrong passphrase fails at start-up, without echoing it.
    const certs = await generateTestCertificates({ mchId: MCH_ID, passphrase: PASSPHRASE });
    let configError: unknown;
    try {
      createWxPay({
        merchants: [
          { name: 'main', mchId: MCH_ID, apiKey: `${API_KEY}!`, cert: { pfx: certs.clientPfx, passphrase: `${PASSPHRASE}-wrong` } },
        ],
        apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
        notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
        notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
        bearerToken: 'short',
      });
    } catch (error) {
      configError = error;
    }
    expect(isWxPayKitError(configError)).toBe(true);

    const errorTexts = [...errors.flatMap((e) => describeError(e.error)), ...describeError(configError)];
    expect(logger.lines.length).toBeGreaterThan(10);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    const haystacks = { logs: logger.lines.join('\n'), errors: errorTexts.join('\n'), responses: bodies.join('\n') };
    const found: string[] = [];
    for (const [where, text] of Object.entries(haystacks)) {
      for (const [name, secret] of Object.entries(SECRETS)) {
        if (text.includes(secret)) found.push(`${name} in ${where}`);
        // Also the partial prefix of a wrong value ("…x", "…-wrong").
        if (text.includes(secret.slice(0, 16))) found.push(`${name} (prefix) in ${where}`);
      }
    }
    expect(found).toEqual([]);
  });
});

/** Message, stack, JSON and causes of an error, as a host would log or show them. */
function describeError(error: unknown, depth = 0): string[] {
  if (error === undefined || error === null || depth > 5) return [];
  if (!(error instanceof Error)) return [String(error)];
  let json = '';
  try {
    json = JSON.stringify(error);
  } catch {
    json = '';
  }
  return [error.message, error.stack ?? '', json, String(error), ...describeError(error.cause, depth + 1)];
}
