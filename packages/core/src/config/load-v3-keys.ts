import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { ConfigIssue } from '../errors.js';
import { toPublicKey } from '../protocol/v3/verify.js';
import { keyMaterial } from './load-keys.js';
import type { ResolvedV3Keys } from './types.js';

/** The v3 options of one merchant, as given (validated by the schema before this runs). */
export interface V3KeyOptions {
  readonly privateKey?: string | Uint8Array | undefined;
  readonly certSerialNo?: string | undefined;
  readonly apiV3Key?: string | undefined;
  readonly wechatpayPublicKey?: string | Uint8Array | undefined;
  readonly wechatpayPublicKeyId?: string | undefined;
  readonly platformCertificates?: boolean | undefined;
}

function load<T>(
  value: string | Uint8Array | undefined,
  path: string,
  what: string,
  parse: (bytes: Buffer) => T,
  issues: ConfigIssue[],
): T | undefined {
  if (value === undefined) return undefined;
  const bytes = keyMaterial(value, path, true, issues);
  if (bytes === undefined) return undefined;
  try {
    return parse(bytes);
  } catch {
    issues.push({ path, message: `could not be loaded as ${what}` });
    return undefined;
  }
}

/**
 * Loads a v3 merchant's keys at start-up: the merchant API private key (RSA, PEM text, bytes or a
 * file path) and the WeChat Pay public key (PEM public key or certificate). Problems are appended
 * to `issues` under `<path>.<option>`; messages never contain key material. Returns undefined when
 * anything failed.
 */
export function loadV3Keys(options: V3KeyOptions, path: string, issues: ConfigIssue[]): ResolvedV3Keys | undefined {
  const before = issues.length;
  const privateKey = load<KeyObject>(
    options.privateKey,
    `${path}.privateKey`,
    'an RSA private key',
    (bytes) => {
      const key = createPrivateKey(bytes);
      if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
      return key;
    },
    issues,
  );
  const publicKey = load<KeyObject>(
    options.wechatpayPublicKey,
    `${path}.wechatpayPublicKey`,
    'a public key or certificate',
    (bytes) => {
      const key = toPublicKey(bytes.toString('utf8'));
      if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
      return key;
    },
    issues,
  );
  if (issues.length > before || privateKey === undefined || options.certSerialNo === undefined || options.apiV3Key === undefined)
    return undefined;
  return Object.freeze({
    privateKey,
    certSerialNo: options.certSerialNo.toUpperCase(),
    apiV3Key: options.apiV3Key,
    publicKeyId: options.wechatpayPublicKeyId,
    publicKey,
    platformCertificates: options.platformCertificates ?? false,
  });
}
