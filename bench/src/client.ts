/**
 * Child process: one HTTP client in a closed loop against the stub. `--impl` picks the client,
 * `--c` the requests in flight, `--warmup`/`--duration` in ms, or `--calls N` for a fixed number
 * of sequential calls. Prints `{ rps, p50, p99, calls, errors }` (latencies in ms).
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { createWxPayClient, resolveConfig, type WxPayClient } from '@wxpay-kit/core';
import { parseXml, verifySign } from '@wxpay-kit/core/protocol';
import { API_KEY, APP_ID, MCH_ID, UNIFIED_ORDER_PARAMS, UNIFIED_ORDER_XML } from './fixtures.js';
import * as floor from './floors.js';
import { quantile } from './harness.js';
import { tenpay, wapClient } from './peers.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1]!;
};
const impl = arg('impl', 'undici-pool');
const url = arg('url', 'http://127.0.0.1:1');
const concurrency = Number(arg('c', '1'));
const warmupMs = Number(arg('warmup', '1000'));
const durationMs = Number(arg('duration', '4000'));
const calls = Number(arg('calls', '0'));
const op = arg('op', 'unifiedorder');
const certDir = arg('certs', '');
const origin = new URL(url).origin;
const tls = origin.startsWith('https:');
const pem = (name: string): string => readFileSync(`${certDir}/${name}`, 'utf8');

type Call = () => Promise<unknown>;

/** `--op unifiedorder`, `refund` (mutual TLS), or `mixed` (the two alternating). */
function pick(order: Call, refund: Call): Call {
  if (op === 'refund') return refund;
  if (op !== 'mixed') return order;
  let k = 0;
  return () => (k++ % 2 === 0 ? order() : refund());
}

async function makeCall(): Promise<{ call: Call; close: () => Promise<void> }> {
  let n = 0;
  const orderInput = () => ({
    merchant: 'main',
    appId: APP_ID,
    tradeType: 'NATIVE' as const,
    body: UNIFIED_ORDER_PARAMS['body']!,
    detail: UNIFIED_ORDER_PARAMS['detail']!,
    attach: UNIFIED_ORDER_PARAMS['attach']!,
    outTradeNo: `20150806125346`,
    feeType: 'CNY',
    totalFee: 88,
    spbillCreateIp: '123.12.12.123',
    timeStart: '20091225091010',
    timeExpire: '20091227091010',
    goodsTag: 'WXG',
    deviceInfo: 'WEB',
    notifyUrl: 'https://pay.example.com/wxpay/notify-pay/shop',
    productId: '12235413214070356458058',
  });
  const tlsOptions = tls ? { ca: pem('ca.pem') } : {};
  switch (impl) {
    case 'undici-pool': {
      // Transport floor: the same body and reply, no signing or parsing.
      const pool = new Pool(origin, { connections: concurrency, connect: tlsOptions, keepAliveTimeout: 30_000 });
      const path = op === 'refund' ? '/secapi/pay/refund' : '/pay/unifiedorder';
      return {
        call: async () => {
          const res = await pool.request({ method: 'POST', path, body: UNIFIED_ORDER_XML, headers: { 'content-type': 'text/xml' } });
          return res.body.text();
        },
        close: () => pool.close(),
      };
    }
    case 'floor-e2e': {
      // Reference end to end: undici Pool, hand builder, flat scanner, one-shot MD5, constant-time compare.
      const pool = new Pool(origin, { connections: concurrency, connect: tlsOptions, keepAliveTimeout: 30_000 });
      return {
        call: async () => {
          const fields: Record<string, string> = { ...UNIFIED_ORDER_PARAMS, nonce_str: String(n++) };
          fields['sign'] = floor.md5OneShot(fields, API_KEY);
          const res = await pool.request({
            method: 'POST',
            path: '/pay/unifiedorder',
            body: floor.handBuild(fields),
            headers: { 'content-type': 'text/xml' },
          });
          return floor.flatVerify(await res.body.text(), API_KEY);
        },
        close: () => pool.close(),
      };
    }
    case 'wxpay-kit': {
      const config = resolveConfig({
        merchants: [
          {
            name: 'main',
            mchId: MCH_ID,
            apiKey: API_KEY,
            baseUrl: origin,
            ...(tls ? { cert: { cert: pem('client-cert.pem'), key: pem('client-key.pem') } } : {}),
          },
        ],
        apps: [{ name: 'shop', merchant: 'main', appIds: [APP_ID] }],
        notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
        notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund',
        client: { connections: Math.max(1, concurrency), retries: 0, ...(tls ? { ca: pem('ca.pem') } : {}) },
      });
      const client: WxPayClient = createWxPayClient(config);
      const refund = () =>
        client.refund({
          merchant: 'main',
          appId: APP_ID,
          outTradeNo: '20150806125346',
          outRefundNo: `R${n++}`,
          totalFee: 88,
          refundFee: 1,
        });
      const order = () => client.unifiedOrder(orderInput());
      return { call: pick(order, refund), close: () => client.close() };
    }
    case 'tenpay': {
      const pay = tenpay(tls ? { pfx: readFileSync(`${certDir}/client.p12`) } : {});
      pay.urls['unifiedorder'] = `${origin}/pay/unifiedorder`;
      pay.urls['refund'] = `${origin}/secapi/pay/refund`;
      const params = { ...UNIFIED_ORDER_PARAMS };
      delete (params as Record<string, string | undefined>)['nonce_str'];
      const refund = () => pay.refund({ out_trade_no: '20150806125346', out_refund_no: `R${n++}`, total_fee: 88, refund_fee: 1 });
      return { call: pick(() => pay.unifiedOrder({ ...params }), refund), close: async () => {} };
    }
    case 'wechatpay-axios-plugin': {
      const client = wapClient(origin, tls ? { cert: pem('client-cert.pem'), key: pem('client-key.pem') } : undefined);
      const params = { ...UNIFIED_ORDER_PARAMS };
      delete (params as Record<string, string | undefined>)['nonce_str'];
      delete (params as Record<string, string | undefined>)['sign_type'];
      const refund = () =>
        client.v2.secapi.pay.refund.post(
          { appid: APP_ID, mch_id: MCH_ID, out_trade_no: '20150806125346', out_refund_no: `R${n++}`, total_fee: 88, refund_fee: 1 },
          { security: true },
        );
      return { call: pick(() => client.v2.pay.unifiedorder.post({ ...params }), refund), close: async () => {} };
    }
    default:
      throw new Error(`unknown client ${impl}`);
  }
}

/** Checks one reply the way each implementation would, so a broken setup cannot look fast. */
async function firstCallChecks(call: Call): Promise<void> {
  const result = (await call()) as unknown;
  if (impl === 'undici-pool') {
    const record = parseXml(String(result));
    if (!verifySign(record, API_KEY)) throw new Error('stub reply does not verify');
  }
}

const { call, close } = await makeCall();
if (calls === 0) await firstCallChecks(call); // a fixed-count run makes exactly `calls` calls
const latencies: number[] = [];
let errors = 0;
let done = 0;
let firstError: unknown;

async function worker(until: () => boolean, record: () => boolean): Promise<void> {
  while (until()) {
    const start = performance.now();
    try {
      await call();
      if (record()) {
        latencies.push(performance.now() - start);
        done++;
      }
    } catch (error) {
      errors++;
      firstError ??= error;
    }
  }
}

let rps: number;
if (calls > 0) {
  // Fixed number of sequential calls (TLS reuse scenario).
  let left = calls;
  const start = performance.now();
  await worker(
    () => left-- > 0,
    () => true,
  );
  rps = (done * 1000) / (performance.now() - start);
} else {
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  const workers = Array.from({ length: concurrency }, () =>
    worker(
      () => phase !== 'stop',
      () => phase === 'measure',
    ),
  );
  await new Promise((r) => setTimeout(r, warmupMs));
  phase = 'measure';
  const start = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  phase = 'stop';
  const elapsed = performance.now() - start;
  rps = (done * 1000) / elapsed;
  await Promise.all(workers);
}
await close();
process.stdout.write(
  `${JSON.stringify({ rps, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), calls: done, errors, error: firstError ? String((firstError as Error).message) : undefined })}\n`,
);
process.exit(0);
