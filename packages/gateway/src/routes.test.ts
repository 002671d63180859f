import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CORE_ROUTES } from '@wxpay-kit/core';
import { DEFAULT_ENDPOINTS } from './config/gateway-config.js';
import { GATEWAY_ENDPOINTS, resolveEndpoints } from './endpoints.js';
import { KNOWN_UNSERVED_ENDPOINT_KEYS } from './config/seed-schema.js';
import { createGatewayLogger } from './logger.js';
import { createPathMapper } from './routes.js';

describe('createPathMapper', () => {
  const map = createPathMapper({ ...DEFAULT_ENDPOINTS, queryOrder: '/wxpay/queryorder', closeOrder: '' });

  it('maps the seed endpoints onto the core routes', () => {
    expect(map('/wxpay/create-pay/NATIVE')).toEqual({ kind: 'core', path: '/create-pay/NATIVE' });
    expect(map('/wxpay/queryorder')).toEqual({ kind: 'core', path: '/query-order' });
    expect(map('/wxpay/create-refund')).toEqual({ kind: 'core', path: '/create-refund' });
    expect(map('/wxpay/query-refund')).toEqual({ kind: 'core', path: '/query-refund' });
    expect(map('/wxpay/confirm')).toEqual({ kind: 'core', path: '/confirm' });
    expect(map('/wxpay/notify-pay/shop-dev')).toEqual({ kind: 'core', path: '/notify-pay/shop-dev' });
    expect(map('/wxpay/notify-refund/shop')).toEqual({ kind: 'core', path: '/notify-refund/shop' });
    expect(map('/health')).toEqual({ kind: 'health' });
    expect(map('/ready')).toEqual({ kind: 'ready' });
    expect(map('/wxpay/verify-notify-pay')).toEqual({ kind: 'verify-notify', notification: 'pay' });
    expect(map('/wxpay/verify-notify-refund')).toEqual({ kind: 'verify-notify', notification: 'refund' });
    // Off unless configured, as in go-wxpay-gateway.
    expect(map('/wxpay/realname-auth-root/url')).toBeUndefined();
    const withRealname = createPathMapper({ ...DEFAULT_ENDPOINTS, realnameAuthRoot: '/realname/auth' });
    expect(withRealname('/realname/auth/getinfo')).toEqual({ kind: 'realname', op: 'getinfo' });
    expect(withRealname('/realname/auth/')).toBeUndefined();
    expect(map('/metrics')).toEqual({ kind: 'metrics' });
    expect(map('/wxpay/reconcile')).toEqual({ kind: 'reconcile' });
    expect(map('/v3/transfer-bills')).toEqual({ kind: 'transfer-bills', call: 'create' });
    expect(map('/v3/query-transfer-bills')).toEqual({ kind: 'transfer-bills', call: 'query' });
    expect(map('/v3/cancel-transfer-bills')).toEqual({ kind: 'transfer-bills', call: 'cancel' });
    expect(map('/v3/verify-transfer-bills/shop')).toEqual({ kind: 'verify-transfer-bills', app: 'shop' });
    expect(map('/v3/verify-transfer-bills/shop%2Ddev')).toEqual({ kind: 'verify-transfer-bills', app: 'shop-dev' });
    expect(map('/v3/verify-transfer-bills')).toBeUndefined();
    expect(map('/v3/verify-transfer-bills/a/b')).toBeUndefined();
  });

  it('reads go-wxpay-gateway\'s "/v3/verify-transfer-bills/:payApp": the app still follows as a segment', () => {
    const endpoints = resolveEndpoints({
      'v3-verify-transfer-bills': '/v3/verify-transfer-bills/:payApp',
      'create-pay': '/pay/create/:type',
    });
    expect(endpoints.v3VerifyTransferBills).toBe('/v3/verify-transfer-bills');
    expect(endpoints.createPay).toBe('/pay/create');
    // An endpoint that takes no segment keeps its path as written.
    expect(resolveEndpoints({ 'v3-transfer-bills': '/v3/transfer-bills/:x' }).v3TransferBills).toBe('/v3/transfer-bills/:x');
    const mapped = createPathMapper(endpoints);
    expect(mapped('/v3/verify-transfer-bills/app-name')).toEqual({ kind: 'verify-transfer-bills', app: 'app-name' });
    expect(mapped('/pay/create/JSAPI')).toEqual({ kind: 'core', path: '/create-pay/JSAPI' });
  });

  it('matches nothing else: disabled endpoints, missing or extra segments, other prefixes', () => {
    expect(map('/wxpay/close-order')).toBeUndefined();
    expect(map('/wxpay/query-order')).toBeUndefined();
    expect(map('/wxpay/create-pay')).toBeUndefined();
    expect(map('/wxpay/create-pay/')).toBeUndefined();
    expect(map('/wxpay/create-pay/NATIVE/x')).toBeUndefined();
    expect(map('/create-pay/NATIVE')).toBeUndefined();
    expect(map('/wxpay/notify-payx/shop')).toBeUndefined();
    expect(map('/')).toBeUndefined();
  });
});

describe('the endpoint table', () => {
  it("has the seed's endpoints, config keys and default paths, built from the core's routes", () => {
    expect(DEFAULT_ENDPOINTS).toEqual({
      createPay: '/wxpay/create-pay',
      notifyPay: '/wxpay/notify-pay',
      createRefund: '/wxpay/create-refund',
      notifyRefund: '/wxpay/notify-refund',
      queryOrder: '/wxpay/query-order',
      closeOrder: '/wxpay/close-order',
      queryRefund: '/wxpay/query-refund',
      confirm: '/wxpay/confirm',
      createTransfer: '/wxpay/create-transfer',
      queryTransferBill: '/wxpay/query-transfer-bill',
      cancelTransfer: '/wxpay/cancel-transfer',
      confirmTransfer: '/wxpay/confirm-transfer',
      notifyTransfer: '/wxpay/notify-transfer',
      micropay: '/wxpay/micropay',
      health: '/health',
      ready: '/ready',
      verifyNotifyPay: '/wxpay/verify-notify-pay',
      verifyNotifyRefund: '/wxpay/verify-notify-refund',
      v3TransferBills: '/v3/transfer-bills',
      v3QueryTransferBills: '/v3/query-transfer-bills',
      v3CancelTransferBills: '/v3/cancel-transfer-bills',
      v3VerifyTransferBills: '/v3/verify-transfer-bills',
      realnameAuthRoot: '',
      metrics: '/metrics',
      reconcile: '/wxpay/reconcile',
      openapi: '/openapi.json',
    });
    expect(GATEWAY_ENDPOINTS.map((e) => e.configKey).sort()).toEqual(
      [
        'create-pay',
        'notify-pay',
        'create-refund',
        'notify-refund',
        'query-order',
        'close-order',
        'query-refund',
        'confirm',
        // Not 'query-transfer': that seed key is the v2 企业付款 query.
        'create-transfer',
        'query-transfer-bill',
        'cancel-transfer',
        'confirm-transfer',
        'notify-transfer',
        'micropay',
        'health',
        'ready',
        'verify-notify-pay',
        'verify-notify-refund',
        'v3-transfer-bills',
        'v3-query-transfer-bills',
        'v3-cancel-transfer-bills',
        'v3-verify-transfer-bills',
        'realname-auth-root',
        'metrics',
        'reconcile',
        'openapi',
      ].sort(),
    );
    expect(GATEWAY_ENDPOINTS.filter((e) => e.target.kind === 'core')).toHaveLength(CORE_ROUTES.length);
  });

  it('names no core route after a go-wxpay-gateway endpoint key (its query-transfer is the v2 企业付款 query), and serves no key twice', () => {
    const seedKeys = new Set([...KNOWN_UNSERVED_ENDPOINT_KEYS, 'v3-transfer-bills', 'v3-query-transfer-bills', 'v3-cancel-transfer-bills']);
    const core = GATEWAY_ENDPOINTS.filter((e) => e.target.kind === 'core').map((e) => e.configKey);
    expect(core.filter((k) => seedKeys.has(k))).toEqual([]);
    const keys = GATEWAY_ENDPOINTS.map((e) => e.configKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.filter((k) => KNOWN_UNSERVED_ENDPOINT_KEYS.includes(k))).toEqual([]);
  });

  it("leads every core route's default endpoint to that route", () => {
    const map = createPathMapper(DEFAULT_ENDPOINTS);
    for (const route of CORE_ROUTES) {
      const concrete = route.path.replace(/:[A-Za-z]+$/, 'X1');
      expect(map(`/wxpay${concrete}`), route.path).toEqual({ kind: 'core', path: concrete });
    }
  });

  it("reads a config's endpoints by their seed keys, dropping trailing slashes", () => {
    const endpoints = resolveEndpoints({ 'query-order': '/pay/queryorder/', 'close-order': '', health: '/healthz' });
    expect(endpoints).toEqual({ ...DEFAULT_ENDPOINTS, queryOrder: '/pay/queryorder', closeOrder: '', health: '/healthz' });
    expect(resolveEndpoints(undefined)).toEqual(DEFAULT_ENDPOINTS);
  });
});

describe('createGatewayLogger', () => {
  it('writes one JSON line per call and censors secrets', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const log = createGatewayLogger({ level: 'info', destination });
    log.info(
      { merchant: { apiKey: '192006250b4c09247ec02edce69f6a2d', mchId: '1900000109' }, headers: { authorization: 'Bearer abc' } },
      'api call',
    );
    log.debug({}, 'hidden');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, any>;
    expect(entry['msg']).toBe('api call');
    expect(entry['service']).toBe('wxpay-gateway');
    expect(entry['merchant']).toEqual({ apiKey: '[redacted]', mchId: '1900000109' });
    expect(entry['headers']).toEqual({ authorization: '[redacted]' });
    expect(lines[0]).not.toContain('192006250b4c');
  });
});
