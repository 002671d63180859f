import { generateTestCertificates, type TestCertificates } from '@wxpay-kit/core/testing';
import { startSimulator, type RunningSimulator, type SimulatorMerchant } from '@wxpay-kit/simulator';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../test/helpers/external-tools.js';
import { orderFields, wx } from './helpers.js';

const MCH_ID = '1900000109';
let certs: TestCertificates;
let stranger: TestCertificates;
let sim: RunningSimulator;
let m: SimulatorMerchant;
const agents: Agent[] = [];

function agent(connect: { cert?: string; key?: string }): Agent {
  const a = new Agent({ connect: { ca: certs.ca, ...connect } });
  agents.push(a);
  return a;
}

const noOpenssl = skipWithout(import.meta.url, ['openssl']);

beforeAll(async () => {
  [certs, stranger] = await Promise.all([generateTestCertificates({ mchId: MCH_ID }), generateTestCertificates({ mchId: MCH_ID })]);
  sim = await startSimulator({
    port: 0,
    merchants: [{ mchId: MCH_ID, apiKey: 'q'.repeat(32), appIds: ['wxTLS'] }],
    tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey },
  });
  m = sim.merchants[0]!;
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await sim?.close();
});

async function paidOrder(no: string, dispatcher: Agent): Promise<void> {
  const res = await wx(sim.url, '/pay/unifiedorder', m, orderFields(no), { dispatcher });
  expect(res.xml['result_code']).toBe('SUCCESS');
  await sim.pay(no, { notify: false });
}

const refundFields = (no: string) => ({ out_trade_no: no, out_refund_no: `${no}R`, total_fee: 100, refund_fee: 10 });

describe.skipIf(noOpenssl)('mutual TLS on /secapi/', () => {
  it('serves HTTPS and accepts a refund with a client certificate issued by the configured CA', async () => {
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const withCert = agent({ cert: certs.clientCert, key: certs.clientKey });
    await paidOrder('M1', withCert);
    const res = await wx(sim.url, '/secapi/pay/refund', m, refundFields('M1'), { dispatcher: withCert });
    expect(res.status).toBe(200);
    expect(res.xml['result_code']).toBe('SUCCESS');
  });

  it('serves the other APIs without a client certificate but refuses /secapi/ calls', async () => {
    const noCert = agent({});
    await paidOrder('M2', noCert);
    const res = await wx(sim.url, '/secapi/pay/refund', m, refundFields('M2'), { dispatcher: noCert });
    expect(res.status).toBe(403);
    expect(res.xml['return_code']).toBe('FAIL');
    expect(await sim.refunds({ outTradeNo: 'M2' })).toEqual([]);
  });

  it('refuses a client certificate from another CA', async () => {
    const foreign = agent({ cert: stranger.clientCert, key: stranger.clientKey });
    await paidOrder('M3', foreign);
    const res = await wx(sim.url, '/secapi/pay/refund', m, refundFields('M3'), { dispatcher: foreign });
    expect(res.status).toBe(403);
    expect(await sim.refunds({ outTradeNo: 'M3' })).toEqual([]);
  });

  it('can require the certificate common name to be the mch_id', async () => {
    const strict = await startSimulator({
      port: 0,
      merchants: [
        { mchId: MCH_ID, apiKey: 'q'.repeat(32), appIds: ['wxTLS'] },
        { mchId: '1900000999', apiKey: 'r'.repeat(32), appIds: ['wxOther'] },
      ],
      tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireMchIdCommonName: true },
    });
    try {
      const withCert = agent({ cert: certs.clientCert, key: certs.clientKey });
      const other = strict.merchants[1]!;
      await wx(strict.url, '/pay/unifiedorder', other, orderFields('M4'), { dispatcher: withCert });
      await strict.pay('M4', { notify: false });
      const res = await wx(strict.url, '/secapi/pay/refund', other, refundFields('M4'), { dispatcher: withCert });
      expect(res.status).toBe(403);
      const own = strict.merchants[0]!;
      await wx(strict.url, '/pay/unifiedorder', own, orderFields('M5'), { dispatcher: withCert });
      await strict.pay('M5', { notify: false });
      expect((await wx(strict.url, '/secapi/pay/refund', own, refundFields('M5'), { dispatcher: withCert })).xml['result_code']).toBe(
        'SUCCESS',
      );
    } finally {
      await strict.close();
    }
  });
});

describe.skipIf(noOpenssl)('refund over plain HTTP', () => {
  it('serves the refund and logs that the certificate was not checked', async () => {
    const warnings: { obj: object; msg: string | undefined }[] = [];
    const plain = await startSimulator({
      port: 0,
      logger: { debug() {}, info() {}, error() {}, warn: (obj, msg) => warnings.push({ obj, msg }) },
    });
    try {
      const pm = plain.merchants[0]!;
      await wx(plain.url, '/pay/unifiedorder', pm, orderFields('P1'));
      await plain.pay('P1', { notify: false });
      const notChecked = () => warnings.filter((w) => /certificate not checked/.test(w.msg ?? ''));
      expect(notChecked()).toEqual([]);
      const res = await wx(plain.url, '/secapi/pay/refund', pm, refundFields('P1'));
      expect(res.xml['result_code']).toBe('SUCCESS');
      expect(notChecked()).toHaveLength(1);
      expect(JSON.stringify(warnings)).not.toContain(pm.apiKey);
    } finally {
      await plain.close();
    }
  });
});
