import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { DecryptError } from '../../errors.js';

/** AES key for `req_info`: the lower-case hex MD5 of the API key, used as 32 ASCII bytes (§8.2). */
function refundKey(apiKey: string): Buffer {
  return Buffer.from(createHash('md5').update(apiKey, 'utf8').digest('hex'), 'ascii');
}

/** Decrypts a refund notification's `req_info` (Base64, AES-256-ECB, PKCS#7) to its `<root>` XML. */
export function decryptRefundInfo(reqInfo: string, apiKey: string): string {
  const compact = reqInfo.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new DecryptError('req_info is not Base64');
  const data = Buffer.from(compact, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) {
    throw new DecryptError('req_info is not a whole number of AES blocks');
  }
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-ecb', refundKey(apiKey), null);
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch (cause) {
    throw new DecryptError('req_info could not be decrypted with the merchant key', { cause });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch (cause) {
    throw new DecryptError('req_info decrypted to bytes that are not UTF-8 (wrong key?)', { cause });
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Encrypts refund details the way WeChat does for `req_info` (used by the simulator and tests). */
export function encryptRefundInfo(plainXml: string, apiKey: string): string {
  const cipher = createCipheriv('aes-256-ecb', refundKey(apiKey), null);
  return Buffer.concat([cipher.update(plainXml, 'utf8'), cipher.final()]).toString('base64');
}
