import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Runs the `openssl` command in `cwd`. Without it on the PATH the error says so and how to
 * install it, instead of `spawn openssl ENOENT`.
 */
export async function runOpenssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'test certificates are made with the openssl command, which is not installed (Debian/Ubuntu: apt-get install -y openssl)',
        { cause: error },
      );
    }
    throw error;
  }
}

/** PEM and PKCS#12 material for mutual-TLS tests, all issued by one throwaway CA. */
export interface TestCertificates {
  /** CA certificate (PEM): trust it on both sides. */
  readonly ca: string;
  /** Server certificate and key (PEM) for `127.0.0.1` and `localhost`. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** Merchant client certificate and key (PEM), subject CN = the merchant id. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** The same client certificate and key as PKCS#12, protected by `passphrase`. */
  readonly clientPfx: Buffer;
  readonly passphrase: string;
}

export interface TestCertificateOptions {
  /** Subject CN of the client certificate; default `10000100`. */
  readonly mchId?: string;
  /** PKCS#12 passphrase; default the merchant id, as WeChat does. */
  readonly passphrase?: string;
}

/**
 * Makes a CA, a server certificate for loopback and a merchant client certificate (PEM and
 * PKCS#12) with the `openssl` command, in a temporary directory removed afterwards. EC P-256 keys,
 * valid for two days. Needs `openssl` on the PATH.
 *
 * @example
 * const certs = await generateTestCertificates();
 * https.createServer({ key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true });
 */
export async function generateTestCertificates(options: TestCertificateOptions = {}): Promise<TestCertificates> {
  const mchId = options.mchId ?? '10000100';
  const passphrase = options.passphrase ?? mchId;
  const dir = await mkdtemp(join(tmpdir(), 'wxpay-kit-certs-'));
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]) => runOpenssl(args, dir);
  try {
    await writeFile(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    await writeFile(at('client.ext'), 'extendedKeyUsage=clientAuth\n');
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=wxpay-kit test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    );
    for (const [who, cn] of [
      ['server', '127.0.0.1'],
      ['client', mchId],
    ] as const) {
      await openssl(
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        `/CN=${cn}`,
        '-keyout',
        `${who}.key`,
        '-out',
        `${who}.csr`,
      );
      await openssl(
        'x509',
        '-req',
        '-in',
        `${who}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        `${who}.ext`,
        '-out',
        `${who}.pem`,
      );
    }
    await openssl('pkcs12', '-export', '-in', 'client.pem', '-inkey', 'client.key', '-out', 'client.p12', '-passout', `pass:${passphrase}`);
    const [ca, serverCert, serverKey, clientCert, clientKey, clientPfx] = await Promise.all([
      readFile(at('ca.pem'), 'utf8'),
      readFile(at('server.pem'), 'utf8'),
      readFile(at('server.key'), 'utf8'),
      readFile(at('client.pem'), 'utf8'),
      readFile(at('client.key'), 'utf8'),
      readFile(at('client.p12')),
    ]);
    return { ca, serverCert, serverKey, clientCert, clientKey, clientPfx, passphrase };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
