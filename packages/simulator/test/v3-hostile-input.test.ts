import { generateKeyPairSync } from 'node:crypto';
import { createSimulator, type Simulator } from '@wxpay-kit/simulator';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { authorization, merchantKeys } from './v3-helpers.js';

const MCH = '1230000109';
const APPID = 'wxd678efh567hg6787';
const keys = merchantKeys();
const platform = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const sim: Simulator = createSimulator({
  v3: { privateKey: platform, platformPrivateKey: platform },
  merchants: [
    {
      mchId: MCH,
      apiKey: 'k'.repeat(32),
      appIds: [APPID],
      v3: { publicKey: keys.publicKey, serialNo: keys.serialNo, apiV3Key: 'a'.repeat(32) },
    },
  ],
});
afterAll(() => sim.close());

const POSTS = [
  '/v3/pay/transactions/jsapi',
  '/v3/pay/transactions/app',
  '/v3/pay/transactions/h5',
  '/v3/pay/transactions/native',
  '/v3/pay/transactions/out-trade-no/X1/close',
  '/v3/refund/domestic/refunds',
];

const jsonOf = (body: string | Uint8Array): Record<string, unknown> => JSON.parse(String(body)) as Record<string, unknown>;

describe('v3 hostile input', () => {
  it('answers arbitrary bytes and Authorization headers with a signed 401 SIGN_ERROR', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POSTS),
        fc.uint8Array({ maxLength: 256 }),
        fc.string({ maxLength: 200 }),
        async (path, bytes, auth) => {
          const res = await sim.handle({
            method: 'POST',
            path,
            body: bytes,
            headers: { authorization: `WECHATPAY2-SHA256-RSA2048 ${auth}` },
          });
          expect([400, 401]).toContain(res.status);
          expect(res.headers['wechatpay-signature']).toBeDefined();
          expect(jsonOf(res.body)['code']).toBe(res.status === 401 ? 'SIGN_ERROR' : 'PARAM_ERROR');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers correctly signed junk JSON with 4xx and a code, never 5xx, and keeps prototype keys out', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
    );
    const key = fc.constantFrom(
      'appid',
      'mchid',
      'description',
      'out_trade_no',
      'notify_url',
      'amount',
      'payer',
      'scene_info',
      '__proto__',
      'constructor',
      'out_refund_no',
      'transaction_id',
    );
    const nested = fc.dictionary(fc.constantFrom('total', 'refund', 'currency', 'openid', 'h5_info', '__proto__'), value, { maxKeys: 4 });
    const doc = fc.dictionary(key, fc.oneof(value, nested), { maxKeys: 8 }).map((d) => JSON.stringify(d));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...POSTS), doc, async (path, body) => {
        const res = await sim.handle({
          method: 'POST',
          path,
          body,
          headers: { authorization: authorization('POST', path, body, { mchid: MCH, keys }) },
        });
        expect(res.status).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(typeof jsonOf(res.body)['code']).toBe('string');
      }),
      { numRuns: 200 },
    );
    expect(({} as Record<string, unknown>)['total']).toBeUndefined();
  });
});
