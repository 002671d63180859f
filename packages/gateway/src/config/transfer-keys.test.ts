import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from './load-config.js';
import { startupNotes } from './startup-notes.js';
import { toWxPayOptions, transferKeysProblem } from './to-options.js';

const dir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-transfer-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pem = (name: string, type: 'rsa' | 'ec'): { key: string; pub: string } => {
  const pair = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(dir, `${name}.key`), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, `${name}.pub`), pair.publicKey.export({ type: 'spki', format: 'pem' }));
  return { key: `${name}.key`, pub: `${name}.pub` };
};
const rsa = pem('rsa', 'rsa');
// The merchant certificate goes with its key (mutual TLS); its content is read only when the core starts.
writeFileSync(join(dir, 'apiclient_cert.pem'), '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
const ec = pem('ec', 'ec');

/** A v2 merchant (no `api-version`) with go-wxpay-gateway's v3 keys for transfers. */
function load(merchant: Record<string, unknown>) {
  return parseGatewayConfig(
    {
      merchants: [
        {
          name: 'mch',
          'mch-id': '1230000109',
          'mch-api-key': '192006250b4c09247ec02edce69f6a2d',
          'mch-cert-pem-file': 'apiclient_cert.pem',
          'mch-key-pem-file': rsa.key,
          'mch-cert-serialno': randomBytes(20).toString('hex').toUpperCase(),
          'wxpay-v3-key': '0123456789abcdef0123456789abcdef',
          'wxpay-pubkey-file': rsa.pub,
          'wxpay-pubkey-id': 'PUB_KEY_ID_0112300001092025010100000000',
          ...merchant,
        },
      ],
      apps: [{ name: 'shop', merchant: 'mch' }],
    },
    { baseDir: dir },
  ).config;
}

describe("an API v2 merchant's v3 keys (transfers)", () => {
  it("become the core merchant's v3 options when whole: it pays on v2 and makes transfers on v3", () => {
    const config = load({});
    expect(transferKeysProblem(config.merchants[0]!)).toBeUndefined();
    const [m] = toWxPayOptions(config, { localBaseUrl: 'http://127.0.0.1:7080' }).merchants;
    expect(m).toMatchObject({
      name: 'mch',
      apiKey: '192006250b4c09247ec02edce69f6a2d',
      privateKey: join(dir, rsa.key),
      apiV3Key: '0123456789abcdef0123456789abcdef',
    });
    expect(m).not.toHaveProperty('apiVersion');
    expect(startupNotes(config).join('\n')).toContain('are for the calls only API v3 has');
  });

  it('are left out, with a start-up line saying why, when a key is missing or is not RSA: the gateway still starts', () => {
    for (const [merchant, why] of [
      [{ 'wxpay-v3-key': undefined }, 'transfers need wxpay-v3-key'],
      [{ 'mch-key-pem-file': ec.key }, 'is not an RSA private key'],
      [{ 'wxpay-pubkey-file': ec.pub }, '"wxpay-pubkey-file" is not an RSA public key'],
    ] as const) {
      const config = load(merchant);
      const [m] = toWxPayOptions(config, { localBaseUrl: 'http://127.0.0.1:7080' }).merchants;
      expect(m, why).not.toHaveProperty('privateKey');
      expect(startupNotes(config).join('\n'), why).toContain(why);
    }
  });
});
