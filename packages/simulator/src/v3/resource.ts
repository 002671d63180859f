import { createCipheriv, randomInt } from 'node:crypto';

const NONCE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function freshNonce(): string {
  let nonce = '';
  for (let i = 0; i < 12; i++) nonce += NONCE_CHARS[randomInt(NONCE_CHARS.length)];
  return nonce;
}

/** A `resource` / `encrypt_certificate` object (spec v3 §4, §7.1). */
export interface EncryptedResource {
  readonly algorithm: 'AEAD_AES_256_GCM';
  readonly ciphertext: string;
  readonly associated_data: string;
  readonly nonce: string;
}

/** Encrypts `plaintext` with the APIv3 key: AES-256-GCM, a 12-character nonce (fresh unless given), Base64(ciphertext ‖ tag). */
export function encryptResource(plaintext: string, apiV3Key: string, associatedData: string, nonce = freshNonce()): EncryptedResource {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const out = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { algorithm: 'AEAD_AES_256_GCM', ciphertext: out.toString('base64'), associated_data: associatedData, nonce };
}
