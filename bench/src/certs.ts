/** Throwaway certificates for the TLS scenarios, written to a fresh folder under the OS temp folder. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTestCertificates } from '@wxpay-kit/core/testing';

/** Writes the CA, server and client certificates and returns their folder; peers' own HTTPS clients trust the CA. */
export async function writeCertificates(): Promise<string> {
  const certDir = await mkdtemp(join(tmpdir(), 'wxpay-bench-'));
  const certs = await generateTestCertificates();
  await writeFile(join(certDir, 'ca.pem'), certs.ca);
  await writeFile(join(certDir, 'server-cert.pem'), certs.serverCert);
  await writeFile(join(certDir, 'server-key.pem'), certs.serverKey);
  await writeFile(join(certDir, 'client-cert.pem'), certs.clientCert);
  await writeFile(join(certDir, 'client-key.pem'), certs.clientKey);
  await writeFile(join(certDir, 'client.p12'), certs.clientPfx);
  process.env['NODE_EXTRA_CA_CERTS'] = join(certDir, 'ca.pem');
  return certDir;
}
