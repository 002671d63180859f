/**
 * Merchants as a go-wxpay-gateway configuration describes them: no app id list (`['*']`) and a
 * sandbox key given as it is (the one go-wxpay-getsandbox printed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator, type SimulatorMerchant } from '@wxpay-kit/simulator';
import { orderFields, wx } from './helpers.js';

const SANDBOX_KEY = '3f7c1b2a9d8e4f60a1b2c3d4e5f60718';

let sim: RunningSimulator;
let open: SimulatorMerchant;
let listed: SimulatorMerchant;

beforeAll(async () => {
  sim = await startSimulator({
    port: 0,
    merchants: [
      { mchId: '1530730681', apiKey: '192006250b4c09247ec02edce69f6a2d', appIds: ['*'], sandboxKey: SANDBOX_KEY },
      { mchId: '1900000109', apiKey: 'fedcba9876543210fedcba9876543210', appIds: ['wxd930ea5d5a258f4f'] },
    ],
  });
  [open, listed] = sim.merchants as [SimulatorMerchant, SimulatorMerchant];
});
afterAll(async () => {
  await sim.close();
});

describe('a merchant with appIds ["*"] and a given sandboxKey', () => {
  it('keeps the given sandbox key, hands it out from getsignkey, and checks sandbox calls with it', async () => {
    expect(open.sandboxKey).toBe(SANDBOX_KEY);
    const key = await wx(sim.url, '/sandboxnew/pay/getsignkey', open, { appid: undefined });
    expect(key.xml).toMatchObject({ return_code: 'SUCCESS', sandbox_signkey: SANDBOX_KEY });
    const res = await wx(sim.url, '/sandboxnew/pay/unifiedorder', open, orderFields('SEED0001', { appid: 'wx0123456789abcdef' }), {
      key: SANDBOX_KEY,
    });
    expect(res.xml).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', appid: 'wx0123456789abcdef' });
  });

  it('accepts any app id, while a merchant with a list still refuses others', async () => {
    const any = await wx(sim.url, '/pay/unifiedorder', open, orderFields('SEED0002', { appid: 'wxaaaaaaaaaaaaaaaa' }));
    expect(any.xml['result_code']).toBe('SUCCESS');
    const refused = await wx(sim.url, '/pay/unifiedorder', listed, orderFields('SEED0003', { appid: 'wxaaaaaaaaaaaaaaaa' }));
    expect(refused.xml['return_code']).toBe('FAIL');
    expect(refused.headers['x-wxpay-simulator-error']).toBe('APPID_MCHID_NOT_MATCH');
  });

  it('refuses an empty sandboxKey', async () => {
    await expect(startSimulator({ port: 0, merchants: [{ mchId: '1', apiKey: 'k', appIds: ['*'], sandboxKey: '' }] })).rejects.toThrow(
      /sandboxKey/,
    );
  });
});
