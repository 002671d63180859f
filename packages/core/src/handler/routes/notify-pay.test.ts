import { describe, expect, it, vi } from 'vitest';
import { buildPayNotification, signNotifyXml } from '../../testing/index.js';
import { buildXml } from '../../protocol/v2/xml.js';
import type { ErrorEvent, PaidEvent } from '../../events/event-map.js';
import { createMemoryDedupStore } from '../../stores/memory-dedup-store.js';
import type { DedupStore } from '../../stores/dedup-store.js';
import { createHandler } from '../create-handler.js';
import { DEFAULT_LEASE_MS } from '../../flow/once-per-key.js';
import type { WxPayRequest, WxPayResponse } from '../types.js';
import { WXPAY_SERVE, type WxPay } from '../wxpay.js';
import {
  APP_ID_1,
  APP_ID_2,
  KEY_1,
  KEY_2,
  MCH_1,
  MCH_2,
  bodyText,
  busyStore,
  jsonRequest,
  recordingLogger,
  scriptedClient,
  testConfig,
  xmlRequest,
} from '../../../test/helpers/handler-fixtures.js';

function setup(store?: DedupStore) {
  const client = scriptedClient();
  const wxpay = createHandler(testConfig(store ? { store } : {}), client);
  const paid: PaidEvent[] = [];
  const errors: ErrorEvent[] = [];
  wxpay.on('paid', (e) => void paid.push(e));
  wxpay.on('error', (e) => void errors.push(e));
  return { wxpay, client, paid, errors };
}

const ok = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';

function isFail(body: string | Uint8Array): boolean {
  return bodyText(body).includes('<return_code><![CDATA[FAIL]]></return_code>');
}

describe('POST /notify-pay/:app', () => {
  it('verifies, emits paid with camelCase fields, and answers SUCCESS as text/xml', async () => {
    const { wxpay, paid, errors } = setup();
    const fields = buildPayNotification({
      out_trade_no: 'T1',
      total_fee: 110,
      cash_fee: 100,
      attach: 'a&b',
      coupon_count: 1,
      coupon_fee: 10,
      coupon_id_0: 'C1',
      coupon_type_0: 'CASH',
      coupon_fee_0: 10,
    });
    const out = await wxpay.handle(xmlRequest('/notify-pay/shop', signNotifyXml(fields, KEY_1)));
    expect(out.status).toBe(200);
    expect(out.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(bodyText(out.body)).toBe(ok);
    expect(errors).toEqual([]);
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({
      app: 'shop',
      appId: APP_ID_1,
      mchId: MCH_1,
      orderId: 'T1',
      transactionId: fields['transaction_id'],
      totalFee: 110,
      cashFee: 100,
      attach: 'a&b',
      tradeType: 'JSAPI',
      isSubscribe: false,
      coupons: [{ id: 'C1', type: 'CASH', fee: 10 }],
      source: 'notify',
      redelivery: false,
    });
  });

  it('accepts a notification without a content type (WeChat is not strict)', async () => {
    const { wxpay, paid } = setup();
    const out = await wxpay.handle(xmlRequest('/notify-pay/shop', signNotifyXml(buildPayNotification(), KEY_1), undefined));
    expect(bodyText(out.body)).toBe(ok);
    expect(paid).toHaveLength(1);
  });

  it('accepts HMAC-SHA256 and, for an HMAC merchant, also MD5 notifications', async () => {
    const { wxpay, paid } = setup();
    const base = { appid: APP_ID_2, mch_id: MCH_2 };
    const hmac = await wxpay.handle(xmlRequest('/notify-pay/other', signNotifyXml(buildPayNotification(base), KEY_2, 'HMAC-SHA256')));
    const md5 = await wxpay.handle(xmlRequest('/notify-pay/other', signNotifyXml(buildPayNotification(base), KEY_2, 'MD5')));
    expect([bodyText(hmac.body), bodyText(md5.body)]).toEqual([ok, ok]);
    expect(paid).toHaveLength(2);
  });

  it.each([
    ['a wrong signature', (xml: Record<string, string>) => buildXml({ ...xml, sign: 'A'.repeat(32) }), 'WXPAY_ERR_SIGNATURE'],
    ['no signature', (xml: Record<string, string>) => buildXml(xml), 'WXPAY_ERR_SIGNATURE'],
    ['the other merchant’s key', (xml: Record<string, string>) => signNotifyXml(xml, KEY_2), 'WXPAY_ERR_SIGNATURE'],
    ['an unknown sign_type', (xml: Record<string, string>) => signNotifyXml({ ...xml, sign_type: 'SHA1' }, KEY_1), 'WXPAY_ERR_SIGNATURE'],
    [
      'HMAC declared but an MD5 signature',
      (xml: Record<string, string>) =>
        buildXml({ ...xml, sign_type: 'HMAC-SHA256', sign: signNotifyXml(xml, KEY_1).match(/<sign>(\w+)</)![1] }),
      'WXPAY_ERR_SIGNATURE',
    ],
    [
      'an appid of another app',
      (xml: Record<string, string>) => signNotifyXml({ ...xml, appid: APP_ID_2 }, KEY_1),
      'WXPAY_ERR_APP_MISMATCH',
    ],
    [
      'a mch_id of another merchant',
      (xml: Record<string, string>) => signNotifyXml({ ...xml, mch_id: MCH_2 }, KEY_1),
      'WXPAY_ERR_APP_MISMATCH',
    ],
    ['a malformed amount', (xml: Record<string, string>) => signNotifyXml({ ...xml, total_fee: '1.5' }, KEY_1), 'WXPAY_ERR_XML'],
    ['a DOCTYPE', () => '<!DOCTYPE xml [<!ENTITY x "y">]><xml><a>&x;</a></xml>', 'WXPAY_ERR_XML'],
    ['malformed XML', () => '<xml><a>1</b></xml>', 'WXPAY_ERR_XML'],
  ])('answers FAIL, reports an error event and emits no paid for %s', async (_name, build, code) => {
    const { wxpay, paid, errors } = setup();
    const out = await wxpay.handle(xmlRequest('/notify-pay/shop', build(buildPayNotification())));
    expect(isFail(out.body)).toBe(true);
    expect(out.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(out.status).toBe(400);
    expect(paid).toEqual([]);
    expect(errors.map((e) => [e.error.code, e.route, e.app])).toEqual([[code, '/notify-pay/:app', 'shop']]);
  });

  it('refuses a notification for an app that is not configured', async () => {
    const { wxpay, paid, errors } = setup();
    const out = await wxpay.handle(xmlRequest('/notify-pay/nobody', signNotifyXml(buildPayNotification(), KEY_1)));
    expect(isFail(out.body)).toBe(true);
    expect(paid).toEqual([]);
    expect(errors[0]?.error.code).toBe('WXPAY_ERR_APP_MISMATCH');
  });

  it('refuses an amount that differs from the order recorded at create-pay', async () => {
    const { wxpay, paid, errors } = setup();
    const created = await wxpay.handle(
      jsonRequest('/create-pay/JSAPI', {
        appId: APP_ID_1,
        payApp: 'shop',
        goods: 'g',
        orderId: 'T9',
        fee: 500,
        ip: '1.2.3.4',
        openId: 'o',
      }),
    );
    expect(created.status).toBe(200);
    const forged = await wxpay.handle(
      xmlRequest('/notify-pay/shop', signNotifyXml(buildPayNotification({ out_trade_no: 'T9', total_fee: 1 }), KEY_1)),
    );
    expect(isFail(forged.body)).toBe(true);
    expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_AMOUNT_MISMATCH']);
    const genuine = await wxpay.handle(
      xmlRequest('/notify-pay/shop', signNotifyXml(buildPayNotification({ out_trade_no: 'T9', total_fee: 500 }), KEY_1)),
    );
    expect(bodyText(genuine.body)).toBe(ok);
    expect(paid.map((e) => e.totalFee)).toEqual([500]);
  });

  it('acknowledges a notification that reports no payment without emitting paid', async () => {
    const { wxpay, paid, errors } = setup();
    const out = await wxpay.handle(
      xmlRequest('/notify-pay/shop', signNotifyXml(buildPayNotification({ result_code: 'FAIL', err_code: 'X' }), KEY_1)),
    );
    expect(bodyText(out.body)).toBe(ok);
    expect(paid).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('answers FAIL when a listener rejects, then emits paid once on the redelivery', async () => {
    const { wxpay, paid, errors } = setup();
    let calls = 0;
    wxpay.on('paid', async () => {
      calls++;
      if (calls === 1) throw new Error('database down');
    });
    const xml = signNotifyXml(buildPayNotification(), KEY_1);
    const first = await wxpay.handle(xmlRequest('/notify-pay/shop', xml));
    expect(isFail(first.body)).toBe(true);
    expect(first.status).toBe(500);
    expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_LISTENER']);
    const second = await wxpay.handle(xmlRequest('/notify-pay/shop', xml));
    const third = await wxpay.handle(xmlRequest('/notify-pay/shop', xml));
    expect([bodyText(second.body), bodyText(third.body)]).toEqual([ok, ok]);
    expect(calls).toBe(2);
    // The recording listener ran on both attempts; only the second one was acknowledged.
    expect(paid).toHaveLength(2);
    expect(paid[1]?.redelivery).toBe(false);
  });

  it('emits one paid for 20 concurrent duplicates and answers every one SUCCESS', async () => {
    const { wxpay, paid } = setup();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    wxpay.on('paid', () => gate);
    const xml = signNotifyXml(buildPayNotification(), KEY_1);
    const pending = Array.from({ length: 20 }, () => wxpay.handle(xmlRequest('/notify-pay/shop', xml)));
    release();
    const outs = await Promise.all(pending);
    expect(outs.map((o) => bodyText(o.body))).toEqual(Array(20).fill(ok));
    expect(paid).toHaveLength(1);
  });

  it('answers FAIL without emitting when another instance holds the transaction', async () => {
    const { wxpay, paid, errors } = setup(busyStore(createMemoryDedupStore()));
    const out = await wxpay.handle(xmlRequest('/notify-pay/shop', signNotifyXml(buildPayNotification(), KEY_1)));
    expect(isFail(out.body)).toBe(true);
    expect(out.status).toBe(503);
    expect(paid).toEqual([]);
    expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_STORE']);
  });

  it('answers FAIL 503 when the store fails; once it works, the redelivery after the lease fires as one', async () => {
    let now = 0;
    const inner = createMemoryDedupStore({ now: () => now });
    let broken: 'claim' | 'complete' | undefined = 'claim';
    const flaky: DedupStore = {
      ...inner,
      claim: async (key, lease) => {
        if (broken === 'claim') throw new Error('ECONNRESET');
        return inner.claim(key, lease);
      },
      complete: async (key) => {
        if (broken === 'complete') throw new Error('ECONNRESET');
        return inner.complete(key);
      },
    };
    const { wxpay, paid, errors } = setup(flaky);
    const xml = signNotifyXml(buildPayNotification(), KEY_1);
    const first = await wxpay.handle(xmlRequest('/notify-pay/shop', xml));
    expect([first.status, isFail(first.body)]).toEqual([503, true]);
    expect(paid).toEqual([]);
    broken = 'complete';
    const second = await wxpay.handle(xmlRequest('/notify-pay/shop', xml));
    expect([second.status, isFail(second.body)]).toEqual([503, true]);
    broken = undefined;
    // The claim of the second attempt was never completed: it holds until its lease ends.
    const held = await wxpay.handle(xmlRequest('/notify-pay/shop', xml));
    expect([held.status, isFail(held.body)]).toEqual([503, true]);
    now += DEFAULT_LEASE_MS;
    const third = await wxpay.handle(xmlRequest('/notify-pay/shop', xml));
    expect(bodyText(third.body)).toBe(ok);
    expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_STORE', 'WXPAY_ERR_STORE', 'WXPAY_ERR_STORE']);
    expect(paid.map((e) => e.redelivery)).toEqual([false, true]);
  });

  it('answers FAIL 413 and 415 for oversized and non-XML notifications', async () => {
    const client = scriptedClient();
    const wxpay = createHandler(testConfig({ bodyLimit: 100 }), client);
    const errors: string[] = [];
    wxpay.on('error', (e) => void errors.push(e.error.code));
    const big = await wxpay.handle(xmlRequest('/notify-pay/shop', `<xml><a>${'x'.repeat(200)}</a></xml>`));
    expect([big.status, isFail(big.body)]).toEqual([413, true]);
    const json = await wxpay.handle(xmlRequest('/notify-pay/shop', '<xml></xml>', 'application/json'));
    expect([json.status, isFail(json.body)]).toEqual([415, true]);
    expect(errors).toEqual(['WXPAY_ERR_PAYLOAD_TOO_LARGE', 'WXPAY_ERR_UNSUPPORTED_MEDIA_TYPE']);
  });

  it('warns when paid fires with no listener', async () => {
    const logger = recordingLogger();
    const wxpay = createHandler(testConfig({ logger }), scriptedClient());
    const out = await wxpay.handle(xmlRequest('/notify-pay/shop', signNotifyXml(buildPayNotification(), KEY_1)));
    expect(bodyText(out.body)).toBe(ok);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.obj)).toEqual([{ event: 'paid', count: 1 }]);
  });

  it('warns about unheard results once and then every 1000th, not once per request', async () => {
    const logger = recordingLogger();
    const wxpay = createHandler(testConfig({ logger }), scriptedClient());
    for (let i = 1; i <= 1001; i++) {
      const xml = signNotifyXml(buildPayNotification({ transaction_id: `T-${i}` }), KEY_1);
      expect(bodyText((await wxpay.handle(xmlRequest('/notify-pay/shop', xml))).body)).toBe(ok);
    }
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.obj)).toEqual([
      { event: 'paid', count: 1 },
      { event: 'paid', count: 1000 },
    ]);
  });

  it('needs no bearer token (WeChat cannot send one)', async () => {
    const client = scriptedClient();
    const wxpay = createHandler(testConfig({ bearerToken: 'secret-token', authorize: () => false }), client);
    const out = await wxpay.handle(xmlRequest('/notify-pay/shop', signNotifyXml(buildPayNotification(), KEY_1)));
    expect(bodyText(out.body)).toBe(ok);
  });

  describe('synchronous and asynchronous stores and listeners', () => {
    const serveOf = (wxpay: WxPay) => (wxpay as unknown as Record<typeof WXPAY_SERVE, (r: WxPayRequest) => unknown>)[WXPAY_SERVE];
    const isThenable = (value: unknown): boolean => typeof (value as { then?: unknown } | undefined)?.then === 'function';

    it('answers without a promise over the memory store and synchronous listeners, once the sign key is known', async () => {
      const { wxpay, paid, client } = setup();
      const signKey = vi.spyOn(client, 'signKey');
      const serve = serveOf(wxpay);
      // The first notification asks the client for the merchant's key; the answer is kept.
      expect(
        bodyText(
          (await wxpay.handle(xmlRequest('/notify-pay/shop', signNotifyXml(buildPayNotification({ transaction_id: 'T-1' }), KEY_1)))).body,
        ),
      ).toBe(ok);
      const out = serve(xmlRequest('/notify-pay/shop', signNotifyXml(buildPayNotification({ transaction_id: 'T-2' }), KEY_1)));
      expect(isThenable(out)).toBe(false);
      expect(bodyText((out as WxPayResponse).body)).toBe(ok);
      expect(paid.map((e) => e.transactionId)).toEqual(['T-1', 'T-2']);
      expect(signKey).toHaveBeenCalledTimes(1);
      // handle() itself always answers with a promise.
      expect(
        wxpay.handle(xmlRequest('/notify-pay/shop', signNotifyXml(buildPayNotification({ transaction_id: 'T-2' }), KEY_1))),
      ).toBeInstanceOf(Promise);
    });

    it('waits for async listeners and stores, and answers FAIL when an async listener rejects, then fires on redelivery', async () => {
      const inner = createMemoryDedupStore();
      const store: DedupStore = {
        claim: async (key, lease) => inner.claim(key, lease),
        complete: async (key) => inner.complete(key),
        release: async (key) => inner.release(key),
        putOrder: async (key, order) => inner.putOrder(key, order),
        getOrder: async (key) => inner.getOrder(key),
      };
      const { wxpay, paid, errors } = setup(store);
      let fail = true;
      let settled = 0;
      wxpay.on('paid', async () => {
        await Promise.resolve();
        if (fail) throw new Error('database down');
        settled++;
      });
      const xml = signNotifyXml(buildPayNotification(), KEY_1);
      const first = serveOf(wxpay)(xmlRequest('/notify-pay/shop', xml));
      expect(isThenable(first)).toBe(true);
      const failed = (await first) as WxPayResponse;
      expect([failed.status, isFail(failed.body)]).toEqual([500, true]);
      expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_LISTENER']);
      fail = false;
      const again = await wxpay.handle(xmlRequest('/notify-pay/shop', xml));
      expect(bodyText(again.body)).toBe(ok);
      expect(settled).toBe(1);
      expect(paid).toHaveLength(2);
      expect(await wxpay.handle(xmlRequest('/notify-pay/shop', xml))).toMatchObject({ status: 200 });
      expect(paid).toHaveLength(2);
    });

    it('answers FAIL when a synchronous listener throws, and fires again on redelivery', async () => {
      const { wxpay, errors } = setup();
      let calls = 0;
      wxpay.on('paid', () => {
        calls++;
        if (calls === 1) throw new Error('listener bug');
      });
      const xml = signNotifyXml(buildPayNotification(), KEY_1);
      const first = await wxpay.handle(xmlRequest('/notify-pay/shop', xml));
      expect([first.status, isFail(first.body)]).toEqual([500, true]);
      expect(errors.map((e) => e.error.code)).toEqual(['WXPAY_ERR_LISTENER']);
      expect(bodyText((await wxpay.handle(xmlRequest('/notify-pay/shop', xml))).body)).toBe(ok);
      expect(calls).toBe(2);
    });
  });
});
