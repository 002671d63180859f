import { createSimulatorClient, startSimulator, type RunningSimulator } from '@wxpay-kit/simulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/resolve-config.js';
import type { MerchantOptions } from '../config/options.js';
import { WxPayError } from '../errors.js';
import type { Logger } from '../logger.js';
import { createWxPayClient } from './client.js';
import type { WxPayClient } from './types.js';

const MCH = '1900000200';
/** The merchant's real API key, known to the simulator only. */
const API_KEY = 'fedcba9876543210fedcba9876543210';
/** What a go-wxpay-gateway config holds instead: not the API key, so a getsignkey request signed with it is refused. */
const NOT_THE_API_KEY = '0123456789abcdef0123456789abcdef';
const APP_ID = 'wxd930ea5d5a258f4f';

describe('sandboxKey: a configured sandbox key is used as it is', () => {
  let sim: RunningSimulator;
  let sandboxKey: string;
  const simLog: { msg: string; fields: Record<string, unknown> }[] = [];
  const clients: WxPayClient[] = [];

  const record = (): Logger['info'] => (fields: unknown, msg?: string) => {
    simLog.push({ msg: msg ?? '', fields: typeof fields === 'object' && fields !== null ? (fields as Record<string, unknown>) : {} });
  };
  const simLogger: Logger = { debug: record(), info: record(), warn: record(), error: record() };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, merchants: [{ mchId: MCH, apiKey: API_KEY, appIds: [APP_ID] }], logger: simLogger });
    // The sandbox key as an operator gets it: from the simulator's control API.
    const merchants = await createSimulatorClient(sim.url).listMerchants();
    sandboxKey = merchants.find((m) => m.mchId === MCH)!.sandboxKey;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    simLog.length = 0;
  });
  afterAll(async () => {
    await sim.close();
  });

  function client(merchant: Partial<MerchantOptions>): WxPayClient {
    const config = resolveConfig({
      merchants: [{ name: 'dev', mchId: MCH, apiKey: NOT_THE_API_KEY, baseUrl: sim.url, sandbox: true, ...merchant }],
      apps: [{ name: 'shop-dev', merchant: 'dev', appIds: [APP_ID] }],
      notifyPayUrl: 'http://127.0.0.1:9/notify-pay',
      notifyRefundUrl: 'http://127.0.0.1:9/notify-refund',
      client: { retries: 0 },
    });
    const c = createWxPayClient(config);
    clients.push(c);
    return c;
  }

  const order = (outTradeNo: string) =>
    ({
      merchant: 'dev',
      appId: APP_ID,
      tradeType: 'NATIVE',
      outTradeNo,
      totalFee: 101,
      body: 'sandbox test',
      spbillCreateIp: '127.0.0.1',
      notifyUrl: 'http://127.0.0.1:9/notify-pay/shop-dev',
      productId: 'p1',
    }) as const;

  it('signs /sandboxnew calls with sandboxKey and never asks getsignkey', async () => {
    const c = client({ sandboxKey });
    const created = await c.unifiedOrder(order('SBK0001'));
    expect(created.prepayId).toMatch(/^wx/);
    const queried = await c.queryOrder({ merchant: 'dev', appId: APP_ID, outTradeNo: 'SBK0001' });
    expect(queried.tradeState).toBe('NOTPAY');
    expect(await c.signKey('dev')).toBe(sandboxKey);

    const [simOrder] = await sim.orders({ environment: 'sandbox' });
    expect(simOrder?.outTradeNo).toBe('SBK0001');
    // The simulator logs every refused signature with its path: none, so no getsignkey was tried.
    expect(simLog.filter((l) => l.msg.includes('wrong signature'))).toEqual([]);
  });

  it('without sandboxKey the key is fetched with apiKey, so a wrong apiKey fails (the case above would too)', async () => {
    const c = client({});
    await expect(c.unifiedOrder(order('SBK0002'))).rejects.toBeInstanceOf(WxPayError);
    expect(simLog.some((l) => l.msg.includes('wrong signature') && String(l.fields['path']).endsWith('/getsignkey'))).toBe(true);
    expect((await sim.orders({ environment: 'sandbox' })).map((o) => o.outTradeNo)).not.toContain('SBK0002');
  });

  it('a wrong sandboxKey is refused by the sandbox (the key really is what signs)', async () => {
    const c = client({ sandboxKey: NOT_THE_API_KEY });
    await expect(c.queryOrder({ merchant: 'dev', appId: APP_ID, outTradeNo: 'SBK0003' })).rejects.toMatchObject({
      layer: 'return',
      returnMsg: '签名错误',
    });
  });
});
