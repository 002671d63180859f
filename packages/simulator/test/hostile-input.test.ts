import { parseXml, sign } from '@wxpay-kit/core/protocol';
import { createSimulator, type Simulator } from '@wxpay-kit/simulator';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

const sim: Simulator = createSimulator();
const m = sim.merchants[0]!;
afterAll(() => sim.close());

const PATHS = [
  '/pay/unifiedorder',
  '/pay/orderquery',
  '/pay/closeorder',
  '/secapi/pay/refund',
  '/pay/refundquery',
  '/pay/downloadbill',
  '/sandboxnew/pay/getsignkey',
];

/** Every answer to junk is WeChat's unsigned `return_code=FAIL` XML, never a crash or a 500. */
async function expectFail(path: string, body: Uint8Array | string): Promise<void> {
  const res = await sim.handle({ method: 'POST', path, body });
  expect(res.status).toBe(200);
  const xml = parseXml(String(res.body));
  expect(xml['return_code']).toBe('FAIL');
  expect(xml['sign']).toBeUndefined();
}

describe('hostile input', () => {
  it('answers arbitrary bytes with return_code FAIL', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), fc.uint8Array({ maxLength: 512 }), (path, bytes) => expectFail(path, bytes)),
      { numRuns: 300 },
    );
  });

  it('answers XML-shaped junk, nesting, repeats and prototype keys with return_code FAIL', async () => {
    const name = fc.constantFrom('appid', 'mch_id', 'sign', 'nonce_str', '__proto__', 'constructor', 'total_fee', 'x');
    const element = fc
      .tuple(name, fc.string({ maxLength: 40 }), fc.boolean())
      .map(([n, v, nest]) => (nest ? `<${n}><${n}>${v}</${n}></${n}>` : `<${n}>${v}</${n}>`));
    const doc = fc.array(element, { maxLength: 12 }).map((parts) => `<xml>${parts.join('')}</xml>`);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), doc, (path, body) => expectFail(path, body)),
      { numRuns: 300 },
    );
  });

  it('takes a core WxPayRequest as it is (rawBody)', async () => {
    const res = await sim.handle({ method: 'POST', path: '/pay/orderquery?x=1', rawBody: Buffer.from('<xml><appid>a</appid></xml>') });
    expect(res.headers['x-wxpay-simulator-error']).toBe('LACK_PARAMS');
  });

  it('answers a well-signed request with a signature over other values with SIGNERROR', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => /^[A-Za-z0-9]+$/.test(s)),
        async (no) => {
          const fields = { appid: m.appIds[0]!, mch_id: m.mchId, nonce_str: 'abc', out_trade_no: no };
          const forged = sign({ ...fields, out_trade_no: `${no}x` }, m.apiKey);
          const body = `<xml>${Object.entries({ ...fields, sign: forged })
            .map(([k, v]) => `<${k}>${v}</${k}>`)
            .join('')}</xml>`;
          const res = await sim.handle({ method: 'POST', path: '/pay/orderquery', body });
          expect(res.headers['x-wxpay-simulator-error']).toBe('SIGNERROR');
        },
      ),
      { numRuns: 100 },
    );
  });
});
