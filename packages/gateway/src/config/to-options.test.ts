import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from './load-config.js';
import { simulatorMerchantsOf } from '../runtime.js';
import { needsEmbeddedSimulator, toWxPayOptions } from './to-options.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const SANDBOX_KEY = 'a'.repeat(32);

function config(extra: { merchants?: unknown[]; apps?: unknown[]; top?: Record<string, unknown> } = {}) {
  return parseGatewayConfig({
    merchants: extra.merchants ?? [
      { name: 'mch', 'mch-id': '1530730681', 'mch-app-key': KEY, 'sign-type': 'HMAC-SHA256', 'api-base-url': 'http://127.0.0.1:1' },
      { name: 'mch-sandbox', 'mch-id': '1530730681', 'mch-app-key': SANDBOX_KEY },
    ],
    apps: extra.apps ?? [
      { name: 'shop', merchant: 'mch', 'app-ids': ['wx1'] },
      { name: 'shop-dev', merchant: 'mch-sandbox', 'app-ids': ['wx2'] },
    ],
    ...extra.top,
  }).config;
}

describe('toWxPayOptions', () => {
  it("maps merchants and apps; a -dev app goes to the sandbox on MD5, its merchant's mch-app-key being the sandbox key", () => {
    const c = config();
    expect(needsEmbeddedSimulator(c)).toBe(true);
    const options = toWxPayOptions(c, { localBaseUrl: 'http://127.0.0.1:7080', simulatorUrl: 'http://127.0.0.1:7999' });
    expect(options.merchants).toEqual([
      { name: 'mch', mchId: '1530730681', apiKey: KEY, signType: 'HMAC-SHA256', baseUrl: 'http://127.0.0.1:1' },
      {
        name: 'mch-sandbox',
        mchId: '1530730681',
        apiKey: SANDBOX_KEY,
        signType: 'MD5',
        baseUrl: 'http://127.0.0.1:7999',
        sandbox: true,
        sandboxKey: SANDBOX_KEY,
      },
    ]);
    expect(options.apps).toEqual([
      { name: 'shop', merchant: 'mch', appIds: ['wx1'] },
      { name: 'shop-dev', merchant: 'mch-sandbox', appIds: ['wx2'] },
    ]);
  });

  it('derives the notify URLs from the local address and the endpoints when not configured', () => {
    const options = toWxPayOptions(config(), { localBaseUrl: 'http://127.0.0.1:7080/', simulatorUrl: 'http://s' });
    expect(options.notifyPayUrl).toBe('http://127.0.0.1:7080/wxpay/notify-pay');
    expect(options.notifyRefundUrl).toBe('http://127.0.0.1:7080/wxpay/notify-refund');
    const configured = toWxPayOptions(config({ top: { 'notify-pay-url': 'https://p.example.com/n', 'bearer-token': 't'.repeat(20) } }), {
      localBaseUrl: 'http://x',
      simulatorUrl: 'http://s',
    });
    expect(configured.notifyPayUrl).toBe('https://p.example.com/n');
    expect(configured.bearerToken).toBe('t'.repeat(20));
  });

  it('passes order-expire-minutes to the core as orderExpireMinutes, and leaves it out when not configured', () => {
    expect(
      toWxPayOptions(config({ top: { 'order-expire-minutes': 30 } }), { localBaseUrl: 'http://x', simulatorUrl: 'http://s' })
        .orderExpireMinutes,
    ).toBe(30);
    expect('orderExpireMinutes' in toWxPayOptions(config(), { localBaseUrl: 'http://x', simulatorUrl: 'http://s' })).toBe(false);
  });

  it('passes lease-ms to the core as leaseMs, and leaves it out when not configured', () => {
    expect(toWxPayOptions(config({ top: { 'lease-ms': 5_000 } }), { localBaseUrl: 'http://x', simulatorUrl: 'http://s' }).leaseMs).toBe(
      5_000,
    );
    expect('leaseMs' in toWxPayOptions(config(), { localBaseUrl: 'http://x', simulatorUrl: 'http://s' })).toBe(false);
  });

  it('turns the sweeper on by default, passes sweep-schedule, sweep-rate and sweep-lease-ms, and turns it off with false', () => {
    const sweep = (top: Record<string, unknown>) =>
      toWxPayOptions(config({ top }), { localBaseUrl: 'http://x', simulatorUrl: 'http://s' }).sweep;
    expect(sweep({})).toEqual({});
    expect(sweep({ 'sweep-schedule': [10, 30, 60], 'sweep-rate': 3, 'sweep-lease-ms': 2_000 })).toEqual({
      schedule: [10, 30, 60],
      rate: 3,
      leaseMs: 2_000,
    });
    expect(sweep({ 'sweep-schedule': false, 'sweep-rate': 3 })).toBe(false);
  });

  it("gives the core the gateway's clock (now, and the sweeper's timer) when one is passed", () => {
    const clock = { now: () => 42, setTimeout: () => 1, clearTimeout: () => undefined };
    const options = toWxPayOptions(config(), { localBaseUrl: 'http://x', simulatorUrl: 'http://s', clock });
    expect(options.now).toBe(clock.now);
    expect(options.sweep).toEqual({ timer: clock });
    expect('now' in toWxPayOptions(config(), { localBaseUrl: 'http://x', simulatorUrl: 'http://s' })).toBe(false);
  });

  it('passes the micropay-* keys to the core as micropay, and leaves it out when none is set', () => {
    const options = toWxPayOptions(config({ top: { 'micropay-deadline-ms': 2_000, 'micropay-reverse-attempts': 2 } }), {
      localBaseUrl: 'http://x',
      simulatorUrl: 'http://s',
    });
    expect(options.micropay).toEqual({ deadlineMs: 2_000, reverseAttempts: 2 });
    expect('micropay' in toWxPayOptions(config(), { localBaseUrl: 'http://x', simulatorUrl: 'http://s' })).toBe(false);
  });

  it('splits a merchant used by both a live and a -dev app into two core merchants', () => {
    const c = config({
      merchants: [{ name: 'mch', 'mch-id': '1', 'mch-app-key': KEY, 'api-base-url': 'http://127.0.0.1:2' }],
      apps: [
        { name: 'shop', merchant: 'mch', 'app-ids': ['wx1'] },
        { name: 'shop-dev', merchant: 'mch', 'app-ids': ['wx1'] },
        { name: 'club-dev', merchant: 'mch', 'app-ids': ['wx3'] },
      ],
    });
    expect(needsEmbeddedSimulator(c)).toBe(false);
    const options = toWxPayOptions(c, { localBaseUrl: 'http://x' });
    expect(options.merchants.map((m) => [m.name, m.sandbox ?? false, m.baseUrl])).toEqual([
      ['mch', false, 'http://127.0.0.1:2'],
      ['mch.sandbox', true, 'http://127.0.0.1:2'],
    ]);
    // Its mch-app-key is the live API key, so the sandbox copy fetches the sandbox key with it.
    expect(options.merchants.map((m) => [m.apiKey, m.sandboxKey])).toEqual([
      [KEY, undefined],
      [KEY, undefined],
    ]);
    expect(options.apps.map((a) => [a.name, a.merchant])).toEqual([
      ['shop', 'mch'],
      ['shop-dev', 'mch.sandbox'],
      ['club-dev', 'mch.sandbox'],
    ]);
  });

  it('fetch-sandbox-key: mch-app-key is the API key and the sandbox key is fetched', () => {
    const c = config({
      merchants: [{ name: 'mch-sandbox', 'mch-id': '1530730681', 'mch-app-key': KEY, 'fetch-sandbox-key': true }],
      apps: [{ name: 'shop-dev', merchant: 'mch-sandbox' }],
    });
    const [merchant] = toWxPayOptions(c, { localBaseUrl: 'http://x', simulatorUrl: 'http://s' }).merchants;
    expect(merchant).toEqual({
      name: 'mch-sandbox',
      mchId: '1530730681',
      apiKey: KEY,
      signType: 'MD5',
      baseUrl: 'http://s',
      sandbox: true,
    });
  });

  it('an app without app-ids accepts any appId; the embedded simulator too, with the seed key as its sandbox key', () => {
    const c = config({ apps: [{ name: 'shop-dev', merchant: 'mch-sandbox' }] });
    expect(toWxPayOptions(c, { localBaseUrl: 'http://x', simulatorUrl: 'http://s' }).apps).toEqual([
      { name: 'shop-dev', merchant: 'mch-sandbox', appIds: ['*'] },
    ]);
    expect(simulatorMerchantsOf(c)).toEqual([{ mchId: '1530730681', apiKey: SANDBOX_KEY, appIds: ['*'], sandboxKey: SANDBOX_KEY }]);
    const fetching = config({
      merchants: [{ name: 'mch-sandbox', 'mch-id': '1530730681', 'mch-app-key': KEY, 'fetch-sandbox-key': true }],
      apps: [{ name: 'shop-dev', merchant: 'mch-sandbox', 'app-ids': ['wx1'] }],
    });
    expect(simulatorMerchantsOf(fetching)).toEqual([{ mchId: '1530730681', apiKey: KEY, appIds: ['wx1'] }]);
  });

  it('leaves a live merchant without api-base-url on the production host', () => {
    const c = config({ apps: [{ name: 'shop', merchant: 'mch-sandbox', 'app-ids': ['wx1'] }] });
    expect(needsEmbeddedSimulator(c)).toBe(false);
    expect(toWxPayOptions(c, { localBaseUrl: 'http://x' }).merchants[0]?.baseUrl).toBeUndefined();
  });
});
