import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { ConfigIssue } from '../errors.js';
import type { MerchantCertOptions } from './options.js';
import type { ResolvedCert } from './types.js';

/**
 * Key or certificate material: bytes as given, PEM text as given (when `pemAllowed`), any other
 * string read as a file path. A file that cannot be read adds an issue under `path` and gives
 * undefined.
 */
export function keyMaterial(value: Uint8Array | string, path: string, pemAllowed: boolean, issues: ConfigIssue[]): Buffer | undefined {
  if (typeof value !== 'string') return Buffer.from(value);
  if (pemAllowed && value.includes('-----BEGIN ')) return Buffer.from(value, 'utf8');
  try {
    return readFileSync(value);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    issues.push({ path, message: `file could not be read${code ? ` (${code})` : ''}` });
    return undefined;
  }
}

/**
 * Loads a merchant certificate (PKCS#12 or PEM pair; bytes, PEM text or file paths) and checks it
 * with `tls.createSecureContext`, so a wrong passphrase or a key that does not match its
 * certificate fails at start-up. A PKCS#12 without a passphrase uses the merchant id, WeChat's
 * default (spec §1.3). Problems are appended to `issues`; messages never contain key material.
 */
export function loadMerchantCert(cert: MerchantCertOptions, mchId: string, path: string, issues: ConfigIssue[]): ResolvedCert | undefined {
  if ('pfx' in cert) {
    const pfx = keyMaterial(cert.pfx, `${path}.pfx`, false, issues);
    if (pfx === undefined) return undefined;
    const passphrase = cert.passphrase ?? mchId;
    if (!check({ pfx, passphrase }, `${path}`, 'PKCS#12 could not be opened (wrong passphrase, or not a PKCS#12 file)', issues)) {
      return undefined;
    }
    return Object.freeze({ kind: 'pfx', pfx, passphrase });
  }
  const certPem = keyMaterial(cert.cert, `${path}.cert`, true, issues);
  const keyPem = keyMaterial(cert.key, `${path}.key`, true, issues);
  if (certPem === undefined || keyPem === undefined) return undefined;
  const passphrase = cert.passphrase;
  const options = passphrase === undefined ? { cert: certPem, key: keyPem } : { cert: certPem, key: keyPem, passphrase };
  if (
    !check(
      options,
      path,
      'certificate and key could not be loaded (not PEM, wrong passphrase, or a key that does not match the certificate)',
      issues,
    )
  ) {
    return undefined;
  }
  return Object.freeze({ kind: 'pem', cert: certPem, key: keyPem, passphrase });
}

function check(options: Parameters<typeof createSecureContext>[0], path: string, message: string, issues: ConfigIssue[]): boolean {
  try {
    createSecureContext(options);
    return true;
  } catch {
    issues.push({ path, message });
    return false;
  }
}
