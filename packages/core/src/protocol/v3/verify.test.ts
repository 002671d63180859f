import { createSign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../../../test/helpers/external-tools.js';
import { SignatureError } from '../../errors.js';
import { generateTestPlatformCertificate, generateTestRsaKeyPair, type TestPlatformCertificate } from '../../testing/v3-fixtures.js';
import { combineKeyrings, createV3Keyring, signedMessageFrom, verifyV3Signature, type V3Keyring, type V3SignedMessage } from './verify.js';

const wechat = generateTestRsaKeyPair();
const other = generateTestRsaKeyPair();
const PUB_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000';
const NOW = 1_700_000_000_000;
const T = String(NOW / 1000);

/** Signed here with node:crypto, independently of the code under test. */
function signed(body: string, privateKey: string, serial: string, timestamp = T, nonce = 'nonce-1'): V3SignedMessage {
  const signature = createSign('RSA-SHA256').update(`${timestamp}\n${nonce}\n${body}\n`).sign(privateKey, 'base64');
  return { timestamp, nonce, body, signature, serial };
}

function failure(message: V3SignedMessage, keyring: V3Keyring, now = NOW): string {
  try {
    verifyV3Signature(message, keyring, { now });
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError);
    return (error as SignatureError).reason;
  }
  return 'verified';
}

describe.skipIf(skipWithout(import.meta.url, ['openssl']))('verifyV3Signature', () => {
  let platform: TestPlatformCertificate;
  let keyring: V3Keyring;
  beforeAll(async () => {
    platform = await generateTestPlatformCertificate();
    keyring = createV3Keyring([
      [PUB_KEY_ID, wechat.publicKey],
      [platform.serialNo, platform.certificate],
    ]);
  });

  it('accepts a body signed with the WeChat Pay public key, named by PUB_KEY_ID_…', () => {
    expect(verifyV3Signature(signed('{"a":1}', wechat.privateKey, PUB_KEY_ID), keyring, { now: NOW })).toBe(PUB_KEY_ID);
  });

  it('accepts a platform certificate signature during a migration, chosen by serial (any case)', () => {
    expect(verifyV3Signature(signed('{"a":1}', platform.privateKey, platform.serialNo.toLowerCase()), keyring, { now: NOW })).toBe(
      platform.serialNo,
    );
  });

  it('covers the raw bytes: an empty 204 body, and UTF-8 bytes given as Uint8Array', () => {
    expect(failure(signed('', wechat.privateKey, PUB_KEY_ID), keyring)).toBe('verified');
    const m = signed('{"d":"支付成功"}', wechat.privateKey, PUB_KEY_ID);
    expect(failure({ ...m, body: Buffer.from('{"d":"支付成功"}') }, keyring)).toBe('verified');
    expect(failure({ ...m, body: '{"d": "支付成功"}' }, keyring)).toBe('mismatch');
  });

  it('refuses a tampered body, nonce or timestamp', () => {
    const m = signed('{"total":100}', wechat.privateKey, PUB_KEY_ID);
    expect(failure({ ...m, body: '{"total":1}' }, keyring)).toBe('mismatch');
    expect(failure({ ...m, nonce: 'nonce-2' }, keyring)).toBe('mismatch');
    expect(failure({ ...m, timestamp: String(Number(T) + 1) }, keyring)).toBe('mismatch');
  });

  it('refuses a key that does not match the serial (the platform key under the public key id)', () => {
    expect(failure(signed('{}', platform.privateKey, PUB_KEY_ID), keyring)).toBe('mismatch');
    expect(failure(signed('{}', other.privateKey, PUB_KEY_ID), keyring)).toBe('mismatch');
  });

  it('refuses an unknown serial without trying any key', () => {
    expect(failure(signed('{}', wechat.privateKey, 'PUB_KEY_ID_999'), keyring)).toBe('unknown-key');
  });

  it('refuses WECHATPAY/SIGNTEST/ probes', () => {
    const m = signed('{}', wechat.privateKey, PUB_KEY_ID);
    expect(failure({ ...m, signature: `WECHATPAY/SIGNTEST/${m.signature}` }, keyring)).toBe('mismatch');
  });

  it('refuses timestamps more than 300 s away, both directions, and accepts the edge', () => {
    const m = signed('{}', wechat.privateKey, PUB_KEY_ID);
    expect(failure(m, keyring, NOW + 300_000)).toBe('verified');
    expect(failure(m, keyring, NOW + 301_000)).toBe('stale');
    expect(failure(m, keyring, NOW - 301_000)).toBe('stale');
    expect(failure(signed('{}', wechat.privateKey, PUB_KEY_ID, 'abc'), keyring)).toBe('stale');
  });

  it('reports missing headers and an unknown signature type', () => {
    const m = signed('{}', wechat.privateKey, PUB_KEY_ID);
    for (const field of ['timestamp', 'nonce', 'signature', 'serial'] as const) {
      expect(failure({ ...m, [field]: undefined }, keyring)).toBe('missing');
    }
    expect(failure({ ...m, signatureType: 'WECHATPAY2-SM2-WITH-SM3' }, keyring)).toBe('unsupported-type');
  });

  it('reads lower-case headers', () => {
    const m = signed('{}', wechat.privateKey, PUB_KEY_ID);
    const message = signedMessageFrom(
      {
        'wechatpay-timestamp': m.timestamp,
        'wechatpay-nonce': m.nonce,
        'wechatpay-signature': m.signature,
        'wechatpay-serial': [PUB_KEY_ID],
      },
      '{}',
    );
    expect(failure(message, keyring)).toBe('verified');
  });

  it('combineKeyrings looks in each', () => {
    const ring = combineKeyrings(
      createV3Keyring([[PUB_KEY_ID, wechat.publicKey]]),
      createV3Keyring([[platform.serialNo, platform.certificate]]),
    );
    expect(ring.serials()).toEqual([PUB_KEY_ID, platform.serialNo]);
    expect(failure(signed('{}', platform.privateKey, platform.serialNo), ring)).toBe('verified');
  });
});
