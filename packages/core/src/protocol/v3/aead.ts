/**
 * `AEAD_AES_256_GCM` (spec §4): how v3 notifications' `resource` and downloaded platform
 * certificates are encrypted with the merchant's APIv3 key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptError } from '../../errors.js';

/** An encrypted v3 object (notification `resource`, `encrypt_certificate`). */
export interface EncryptedResource {
  readonly algorithm: string;
  /** Base64 of ciphertext followed by the 16-byte GCM tag. */
  readonly ciphertext: string;
  /** 12 ASCII characters. */
  readonly nonce: string;
  /** May be empty. */
  readonly associated_data?: string | undefined;
  readonly original_type?: string | undefined;
}

const TAG_BYTES = 16;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function keyBytes(apiV3Key: string | Uint8Array): Buffer {
  const key = typeof apiV3Key === 'string' ? Buffer.from(apiV3Key, 'utf8') : Buffer.from(apiV3Key);
  if (key.length !== 32) throw new DecryptError('the APIv3 key must be 32 bytes');
  return key;
}

/**
 * Decrypts an `AEAD_AES_256_GCM` resource with the APIv3 key and returns its UTF-8 text.
 * Throws {@link DecryptError} for another algorithm, malformed fields, or a tag that does not match
 * (wrong key, tampered ciphertext, nonce or associated data). Messages never include content.
 *
 * @example
 * const json = JSON.parse(decryptResource(notification.resource, apiV3Key));
 */
export function decryptResource(resource: EncryptedResource, apiV3Key: string | Uint8Array): string {
  if (resource === null || typeof resource !== 'object') throw new DecryptError('resource is not an object');
  if (resource.algorithm !== 'AEAD_AES_256_GCM') throw new DecryptError('resource uses an unsupported algorithm');
  if (typeof resource.ciphertext !== 'string' || typeof resource.nonce !== 'string') {
    throw new DecryptError('resource lacks ciphertext or nonce');
  }
  const aad = resource.associated_data ?? '';
  if (typeof aad !== 'string') throw new DecryptError('resource associated_data is not a string');
  const compact = resource.ciphertext.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new DecryptError('resource ciphertext is not Base64');
  const data = Buffer.from(compact, 'base64');
  if (data.length <= TAG_BYTES) throw new DecryptError('resource ciphertext is too short');
  const nonce = Buffer.from(resource.nonce, 'utf8');
  if (nonce.length === 0) throw new DecryptError('resource nonce is empty');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyBytes(apiV3Key), nonce, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    plain = Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    if (cause instanceof DecryptError) throw cause;
    throw new DecryptError('resource could not be decrypted with the APIv3 key (wrong key or tampered data)', { cause });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch (cause) {
    throw new DecryptError('resource decrypted to bytes that are not UTF-8', { cause });
  }
}

/**
 * Encrypts `plaintext` the way WeChat does (for the simulator and tests). The nonce defaults to
 * 12 random alphanumerics.
 */
export function encryptResource(
  plaintext: string,
  apiV3Key: string | Uint8Array,
  options: { readonly associatedData?: string; readonly nonce?: string; readonly originalType?: string } = {},
): EncryptedResource & { readonly associated_data: string } {
  const nonce = options.nonce ?? randomBytes(9).toString('base64').replace(/[+/]/g, 'x');
  const aad = options.associatedData ?? '';
  const cipher = createCipheriv('aes-256-gcm', keyBytes(apiV3Key), Buffer.from(nonce, 'utf8'), { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return {
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: body.toString('base64'),
    nonce,
    associated_data: aad,
    ...(options.originalType === undefined ? {} : { original_type: options.originalType }),
  };
}
