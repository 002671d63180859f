import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CORE_ROUTES } from '@wxpay-kit/core';
import { DEFAULT_ENDPOINTS } from './config/gateway-config.js';
import { GATEWAY_ENDPOINTS, resolveEndpoints } from './endpoints.js';
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
      realnameAuthRoot: '',
      metrics: '/metrics',
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
        'realname-auth-root',
        'metrics',
        'openapi',
      ].sort(),
    );
    expect(GATEWAY_ENDPOINTS.filter((e) => e.target.kind === 'core')).toHaveLength(CORE_ROUTES.length);
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
