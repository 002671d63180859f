/**
 * A copy of go-wxpay-gateway's current sample configuration (`wxpay-gateway.conf.sample.json` of
 * its 2025 version, MIT), with every key kept and its placeholder values filled: merchant ids, keys,
 * and key files generated into the directory the copy is written to, at the very paths the sample
 * names (`./路径指向/apiclient_cert.pem`, …).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTestPlatformCertificate } from '@wxpay-kit/core/testing';

/** The sample as go-wxpay-gateway ships it. */
export const CURRENT_SAMPLE_FILE = new URL('../fixtures/go-wxpay-gateway-current.conf.sample.json', import.meta.url);

export const LIVE_MCH_ID = '1230000109';
export const SANDBOX_MCH_ID = '1230000110';
/** `mch-api-key` of the live merchant. */
export const LIVE_API_KEY = '192006250b4c09247ec02edce69f6a2d';
/** `mch-api-key` of the sandbox merchant: the sandbox key, as go-wxpay-getsandbox prints it. */
export const SANDBOX_KEY = '3f7c1b2a9d8e4f60a1b2c3d4e5f60718';
export const V3_KEY = '0123456789abcdef0123456789abcdef';
export const PUB_KEY_ID = 'PUB_KEY_ID_0112300001092025010100000000';
export const CERT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';

/** The sample, parsed. */
export function readCurrentSample(): Record<string, any> {
  return JSON.parse(readFileSync(CURRENT_SAMPLE_FILE, 'utf8')) as Record<string, any>;
}

/** Key files generated once per directory. */
export interface SampleKeyFiles {
  /** The WeChat Pay public key's private half (signs as WeChat would in public-key mode). */
  readonly wechatpayPrivateKey: string;
}

/**
 * Writes the key files the sample names into `dir` and answers the sample with its placeholder
 * values filled (the keys are the sample's, untouched; nothing is added). `edit` may change the
 * result before it is written to `<dir>/wxpay-gateway-conf.json`, whose path is returned.
 */
export async function writeCurrentSampleCopy(
  dir: string,
  edit: (config: Record<string, any>) => void = () => undefined,
): Promise<{ file: string; config: Record<string, any>; keys: SampleKeyFiles }> {
  const config = readCurrentSample();
  // The merchant API certificate and its RSA key (apiclient_cert.pem / apiclient_key.pem): the key
  // signs API v3 calls (transfers) and serves refunds' mutual TLS, as WeChat's does.
  const merchantCert = await generateTestPlatformCertificate({ serialNo: CERT_SERIAL });
  const certs = { clientCert: merchantCert.certificate, clientKey: merchantCert.privateKey };
  const platform = await generateTestPlatformCertificate();
  const wechatpay = generateKeyPairSync('rsa', { modulusLength: 2048 });
  for (const folder of ['路径指向', '路径']) mkdirSync(join(dir, folder), { recursive: true });
  writeFileSync(join(dir, '路径指向', 'apiclient_cert.pem'), certs.clientCert);
  writeFileSync(join(dir, '路径指向', 'apiclient_key.pem'), certs.clientKey);
  writeFileSync(join(dir, '路径', 'apiclient_key.pem'), certs.clientKey);
  writeFileSync(join(dir, 'wechatpay_platform_cert.pem'), platform.certificate);
  writeFileSync(join(dir, 'pub_key.pem'), wechatpay.publicKey.export({ type: 'spki', format: 'pem' }));

  const [live, sandbox] = config['merchants'] as Record<string, unknown>[];
  Object.assign(live!, {
    'mch-id': LIVE_MCH_ID,
    'mch-api-key': LIVE_API_KEY,
    'mch-cert-serialno': CERT_SERIAL,
    'wxpay-v3-cert': './wechatpay_platform_cert.pem',
    'wxpay-v3-key': V3_KEY,
    'wxpay-pubkey-file': './pub_key.pem',
    'wxpay-pubkey-id': PUB_KEY_ID,
  });
  Object.assign(sandbox!, { 'mch-id': SANDBOX_MCH_ID, 'mch-api-key': SANDBOX_KEY, 'mch-cert-serialno': CERT_SERIAL });
  // The sample's value is a path followed by a note in Chinese; the path is the value.
  config['endpoints']['realname-auth-root'] = '/realname/auth';
  // Ours when the sample runs in a test: a free port, on loopback.
  config['listen-port'] = 0;
  config['listen-host'] = '127.0.0.1';
  edit(config);
  const file = join(dir, 'wxpay-gateway-conf.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return {
    file,
    config,
    keys: { wechatpayPrivateKey: wechatpay.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
  };
}
