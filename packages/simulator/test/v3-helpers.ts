import {
  createDecipheriv,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { request, type Dispatcher } from 'undici';

/**
 * Test-side API v3 tooling written with plain node:crypto only, independent of the simulator's
 * code: request signing, reply and notification verification, resource decryption.
 */

/** A merchant's API certificate stand-in: an RSA key pair and a serial number. */
export interface MerchantKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: string;
  readonly serialNo: string;
}

export function merchantKeys(): MerchantKeys {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    serialNo: randomBytes(20).toString('hex').toUpperCase(),
  };
}

export interface V3CallOptions {
  readonly mchid: string;
  readonly keys: MerchantKeys;
  /** Unix seconds; default now. */
  readonly timestamp?: number;
  readonly nonce?: string;
  /** Serial number put in the header; default the keys'. */
  readonly serialNo?: string;
  /** The URL put in the signed message; default the path as sent. */
  readonly signedUrl?: string;
  /** The body put in the signed message; default the body as sent. */
  readonly signedBody?: string;
  /** Replace the Authorization header entirely (`null`: send none). */
  readonly authorization?: string | null;
  readonly dispatcher?: Dispatcher;
}

export interface V3Result {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
}

/** The `Authorization` value for a call (spec v3 §2). */
export function authorization(method: string, url: string, body: string, o: V3CallOptions): string {
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = o.nonce ?? randomBytes(16).toString('hex').toUpperCase();
  const message = `${method}\n${url}\n${timestamp}\n${nonce}\n${body}\n`;
  const signature = sign('sha256', Buffer.from(message, 'utf8'), o.keys.privateKey).toString('base64');
  return `WECHATPAY2-SHA256-RSA2048 mchid="${o.mchid}",nonce_str="${nonce}",timestamp="${timestamp}",serial_no="${o.serialNo ?? o.keys.serialNo}",signature="${signature}"`;
}

/** Sends a signed v3 call. `path` is what follows the base URL's origin (path and query). */
export async function v3(baseUrl: string, method: 'GET' | 'POST', path: string, body: unknown, o: V3CallOptions): Promise<V3Result> {
  const origin = new URL(baseUrl);
  const fullPath = `${origin.pathname.replace(/\/+$/, '')}${path}`;
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const auth = o.authorization === undefined ? authorization(method, o.signedUrl ?? fullPath, o.signedBody ?? text, o) : o.authorization;
  const res = await request(`${origin.origin}${fullPath}`, {
    method,
    headers: {
      accept: 'application/json',
      'user-agent': 'wxpay-kit-test',
      ...(text !== '' && { 'content-type': 'application/json' }),
      ...(auth !== null && { authorization: auth }),
    },
    ...(text !== '' && { body: text }),
    ...(o.dispatcher && { dispatcher: o.dispatcher }),
  });
  const replyText = await res.body.text();
  let json: Record<string, unknown> | undefined;
  if (replyText !== '') json = JSON.parse(replyText) as Record<string, unknown>;
  return { status: res.statusCode, headers: res.headers, text: replyText, json };
}

const header = (headers: Record<string, string | string[] | undefined>, name: string): string => {
  const v = headers[name];
  if (typeof v !== 'string') throw new Error(`missing header ${name}`);
  return v;
};

/** Verifies `Wechatpay-*` headers over a raw body (spec v3 §3.2) with the key named by `Wechatpay-Serial`. */
export function verifyWechatpay(
  headers: Record<string, string | string[] | undefined>,
  body: string,
  keys: ReadonlyMap<string, KeyObject | string>,
): boolean {
  const serial = header(headers, 'wechatpay-serial');
  const key = keys.get(serial);
  if (key === undefined) return false;
  const message = `${header(headers, 'wechatpay-timestamp')}\n${header(headers, 'wechatpay-nonce')}\n${body}\n`;
  const publicKey =
    typeof key === 'string' ? (key.includes('CERTIFICATE') ? new X509Certificate(key).publicKey : createPublicKey(key)) : key;
  return verify('sha256', Buffer.from(message, 'utf8'), publicKey, Buffer.from(header(headers, 'wechatpay-signature'), 'base64'));
}

/** AEAD_AES_256_GCM decryption of a `resource` (spec v3 §4). */
export function decryptResource(resource: { ciphertext: string; nonce: string; associated_data: string }, apiV3Key: string): string {
  const data = Buffer.from(resource.ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(resource.nonce, 'utf8'));
  decipher.setAAD(Buffer.from(resource.associated_data, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}
