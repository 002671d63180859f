import { describe, expect, it } from 'vitest';
import { DecryptError } from '../../errors.js';
import { decryptResource, encryptResource } from './aead.js';

// Spec §4 vector (encrypted with Python `cryptography`).
const KEY = '0123456789abcdef0123456789abcdef';
const PLAIN =
  '{"mchid":"1230000109","appid":"wxd678efh567hg6787","out_trade_no":"T20240101000001","transaction_id":"4200000000202401010000000001","trade_type":"JSAPI","trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"OTHERS","attach":"","success_time":"2024-01-01T12:00:00+08:00","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},"amount":{"total":100,"payer_total":100,"currency":"CNY","payer_currency":"CNY"}}';
const VECTOR = {
  algorithm: 'AEAD_AES_256_GCM',
  nonce: 'fdasflkja484',
  associated_data: 'transaction',
  ciphertext:
    'DUcegK33A8MEOgdJt8PWwAdrzVDy3c3BTENCdjZ/7K2gbkFM2sU/cZ/UPNrLir4DXaSrqBdzgGy/sMCWIPKVQdMoXvM4xWshZxJ+TXwOBs8X7UOQ511F3CKsPI+GAo+HPlfJ2hKZ1jwbGTSkNREMzUaUdyQag+sHnnisNS4C5dQEMaW7sgU6fiebjSmn9bW+fsmoBetmQeQ1QHXhSbPSt828gl6SGGTFXd0Tt5hgPdlaaDxu2QIboYBeWMVUNQm1/i2hp+YTRR055Oy13hQA+NJtyjpNOIo797shjn5WDy4wL4SzFLuoTdvexo3Ni0V0U1lzo3I7sH80+8327B3ufFvsTRlv7PS2Zer6GlgrlQp4VgWxZ3ZIU4ifSWmOlM9A7Ea8MkR6LqUZLU5AijdzDAZ+kUZtVPZRj/zZhzh9mipTt2KRn8t7vgKJivuD0Ypiwps6M0Vs9oYFj4UFeBDXDeEEt3QrAOzxGkGDzS/z/thGjmDfy+xiNz+HYyoAbO9wWFJlhb5J4XdsLSXDaEo7QXzpSs0KV0hBqQPFguzBH3FUPbWzerbbUQibzdrmn294X8I=',
};

function flipLastBit(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[bytes.length - 1]! ^= 1;
  return bytes.toString('base64');
}
function flipFirstBit(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[0]! ^= 0x80;
  return bytes.toString('base64');
}

describe('decryptResource (AEAD_AES_256_GCM)', () => {
  it('decrypts the spec vector', () => {
    expect(decryptResource(VECTOR, KEY)).toBe(PLAIN);
  });

  it('encryptResource reproduces the vector with the same nonce', () => {
    expect(encryptResource(PLAIN, KEY, { nonce: VECTOR.nonce, associatedData: 'transaction' }).ciphertext).toBe(VECTOR.ciphertext);
  });

  it.each([
    ['a wrong key', { ...VECTOR }, 'fedcba9876543210fedcba9876543210'],
    ['wrong associated data', { ...VECTOR, associated_data: 'refund' }, KEY],
    ['a wrong nonce', { ...VECTOR, nonce: 'fdasflkja485' }, KEY],
    ['a flipped tag bit', { ...VECTOR, ciphertext: flipLastBit(VECTOR.ciphertext) }, KEY],
    ['a flipped ciphertext bit', { ...VECTOR, ciphertext: flipFirstBit(VECTOR.ciphertext) }, KEY],
    ['a truncated ciphertext', { ...VECTOR, ciphertext: 'AAAA' }, KEY],
    ['non-Base64 ciphertext', { ...VECTOR, ciphertext: '***' }, KEY],
    ['another algorithm', { ...VECTOR, algorithm: 'AES_256_CBC' }, KEY],
    ['a short key', { ...VECTOR }, 'short'],
  ])('throws DecryptError for %s', (_name, resource, key) => {
    expect(() => decryptResource(resource, key)).toThrow(DecryptError);
  });

  it('round-trips with a random nonce and empty associated data', () => {
    const sealed = encryptResource('{"a":"中文"}', KEY);
    expect(sealed.nonce).toHaveLength(12);
    expect(decryptResource(sealed, KEY)).toBe('{"a":"中文"}');
  });

  it('never puts the plaintext or key in the error', () => {
    try {
      decryptResource({ ...VECTOR, associated_data: 'x' }, KEY);
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(KEY);
    }
  });
});
