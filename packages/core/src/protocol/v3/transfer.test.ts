import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptError, XmlError } from '../../errors.js';
import {
  decryptSensitiveField,
  encryptSensitiveField,
  toCreateTransferResult,
  toTransferBill,
  toTransferNotification,
} from './transfer.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('sensitive fields (user_name)', () => {
  it('encrypts with RSA-OAEP SHA-1 / MGF1-SHA-1: node:crypto decrypts it, and each encryption differs', () => {
    const a = encryptSensitiveField('张三', publicKey);
    const b = encryptSensitiveField('张三', publicKey);
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64')).toHaveLength(256);
    const plain = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      Buffer.from(a, 'base64'),
    );
    expect(plain.toString('utf8')).toBe('张三');
    // SHA-256 OAEP (a common mistake) does not decrypt it.
    expect(() =>
      privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(a, 'base64')),
    ).toThrow();
  });

  it('decrypts what node:crypto encrypted, and refuses another key with DecryptError', () => {
    const c = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from('李四')).toString(
      'base64',
    );
    expect(decryptSensitiveField(c, privateKey)).toBe('李四');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => decryptSensitiveField(c, other)).toThrow(DecryptError);
  });
});

describe('transfer mappers', () => {
  const call = { appId: 'wxapp', mchId: '1230000109' };
  it('maps a create reply with package_info to confirm params', () => {
    const r = toCreateTransferResult({ out_bill_no: 'B1', transfer_bill_no: 'W1', state: 'WAIT_USER_CONFIRM', package_info: 'PKG' }, call);
    expect(r).toMatchObject({
      outBillNo: 'B1',
      transferBillNo: 'W1',
      mchId: '1230000109',
      confirmParams: { mchId: '1230000109', appId: 'wxapp', package: 'PKG' },
    });
    expect(toCreateTransferResult({ out_bill_no: 'B1', transfer_bill_no: 'W1', state: 'SUCCESS' }, call).confirmParams).toBeUndefined();
  });

  it('refuses amounts that are not whole fen, and names missing fields', () => {
    const base = { out_bill_no: 'B1', transfer_bill_no: 'W1', state: 'SUCCESS', mch_id: '1230000109' };
    expect(toTransferNotification({ ...base, transfer_amount: 100 })).toMatchObject({ transferAmount: 100, mchId: '1230000109' });
    for (const amount of [1.5, '100', -1]) {
      expect(() => toTransferNotification({ ...base, transfer_amount: amount })).toThrow(/transfer_amount/);
    }
    expect(() => toTransferNotification({ ...base, transfer_amount: 1, out_bill_no: undefined })).toThrow(XmlError);
    expect(() => toTransferBill({ ...base, transfer_bill_no: '' }, call)).toThrow(/transfer_bill_no/);
    expect(() => toTransferBill({ ...base, transfer_amount: 0.5 }, call)).toThrow(/transfer_amount/);
  });
});
