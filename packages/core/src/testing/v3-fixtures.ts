import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptResource } from '../protocol/v3/aead.js';
import { runOpenssl } from './certificates.js';
import { rsaSign, type PrivateKeyInput } from '../protocol/v3/sign.js';
import { toRfc3339Beijing } from '../protocol/v3/fields.js';

/** An RSA key pair as PEM: PKCS#8 private key, SPKI public key. */
export interface TestRsaKeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

/** A fresh 2048-bit RSA key pair (what WeChat uses for merchant keys and its own). */
export function generateTestRsaKeyPair(): TestRsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKey };
}

/** A self-signed certificate standing in for a WeChat Pay platform certificate. */
export interface TestPlatformCertificate {
  /** Upper-case hex, 40 characters. */
  readonly serialNo: string;
  readonly certificate: string;
  readonly privateKey: string;
}

/**
 * A platform certificate (self-signed RSA 2048, valid two days) made with the `openssl` command;
 * `serialNo` defaults to 40 random hex digits. Use its `privateKey` to sign replies and
 * notifications, and {@link buildCertificatesReply} to serve it.
 */
export async function generateTestPlatformCertificate(
  options: { readonly serialNo?: string; readonly keyPair?: TestRsaKeyPair } = {},
): Promise<TestPlatformCertificate> {
  const serialNo = (options.serialNo ?? `5${randomBytes(20).toString('hex').slice(1)}`).toUpperCase();
  const keys = options.keyPair ?? generateTestRsaKeyPair();
  const dir = await mkdtemp(join(tmpdir(), 'wxpay-kit-v3-'));
  try {
    await writeFile(join(dir, 'key.pem'), keys.privateKey);
    await runOpenssl(
      [
        'req',
        '-new',
        '-x509',
        '-key',
        'key.pem',
        '-set_serial',
        `0x${serialNo}`,
        '-days',
        '2',
        '-subj',
        '/CN=Tenpay.com Root CA test',
        '-out',
        'cert.pem',
      ],
      dir,
    );
    return { serialNo, certificate: await readFile(join(dir, 'cert.pem'), 'utf8'), privateKey: keys.privateKey };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What WeChat signs a v3 message with. */
export interface V3Signer {
  readonly privateKey: PrivateKeyInput;
  /** `PUB_KEY_ID_…` or a platform certificate serial, sent as `Wechatpay-Serial`. */
  readonly serial: string;
  /** Unix seconds; default now. */
  readonly timestamp?: number | undefined;
  readonly nonce?: string | undefined;
}

/**
 * The `Wechatpay-*` headers (lower-case) of a reply or notification with body `body`, signed the
 * way WeChat signs (spec §3.2).
 */
export function signV3Headers(body: string, signer: V3Signer): Record<string, string> {
  const timestamp = String(signer.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = signer.nonce ?? randomBytes(16).toString('hex');
  return {
    'wechatpay-timestamp': timestamp,
    'wechatpay-nonce': nonce,
    'wechatpay-signature': rsaSign(`${timestamp}\n${nonce}\n${body}\n`, signer.privateKey),
    'wechatpay-serial': signer.serial,
    'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
  };
}

let sequence = 0;

/**
 * A signed v3 notification: `resource` encrypted with `apiV3Key`, the envelope signed by
 * `signer`. `eventType` defaults to `TRANSACTION.SUCCESS` (associated data `transaction`), a
 * `REFUND.*` type uses `refund`.
 */
export function buildV3Notification(input: {
  readonly resource: Readonly<Record<string, unknown>>;
  readonly apiV3Key: string;
  readonly signer: V3Signer;
  readonly eventType?: string;
  readonly id?: string;
}): { readonly headers: Record<string, string>; readonly body: string } {
  const eventType = input.eventType ?? 'TRANSACTION.SUCCESS';
  const kind = eventType.startsWith('REFUND.') ? 'refund' : eventType.startsWith('MCHTRANSFER.') ? 'mch_payment' : 'transaction';
  const body = JSON.stringify({
    id: input.id ?? `EV-${Date.now()}${String(++sequence).padStart(6, '0')}`,
    create_time: toRfc3339Beijing(new Date()),
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary: kind === 'refund' ? '退款成功' : kind === 'mch_payment' ? '商家转账单据终态通知' : '支付成功',
    resource: encryptResource(JSON.stringify(input.resource), input.apiV3Key, { associatedData: kind, originalType: kind }),
  });
  return { headers: { 'content-type': 'application/json', ...signV3Headers(body, input.signer) }, body };
}

/**
 * The body of a `GET /v3/certificates` reply listing `certificates`, each encrypted with
 * `apiV3Key`; times are epoch ms (default: effective now, expiring in a year).
 */
export function buildCertificatesReply(
  certificates: readonly {
    readonly serialNo: string;
    readonly certificate: string;
    readonly effectiveTime?: number;
    readonly expireTime?: number;
  }[],
  apiV3Key: string,
): string {
  return JSON.stringify({
    data: certificates.map((c) => ({
      serial_no: c.serialNo,
      effective_time: toRfc3339Beijing(new Date(c.effectiveTime ?? Date.now())),
      expire_time: toRfc3339Beijing(new Date(c.expireTime ?? Date.now() + 365 * 86_400_000)),
      encrypt_certificate: encryptResource(c.certificate, apiV3Key, { associatedData: 'certificate' }),
    })),
  });
}

/** A v3 transaction object (query reply, notification resource) with sensible defaults: a paid JSAPI order of 100 fen. */
export function buildV3Transaction(partial: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    appid: 'wxd678efh567hg6787',
    mchid: '1230000109',
    out_trade_no: `T${Date.now()}${++sequence}`,
    transaction_id: `42000000${Date.now()}${String(++sequence).padStart(6, '0')}`,
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: '',
    success_time: toRfc3339Beijing(new Date()),
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' },
    ...partial,
  };
}
