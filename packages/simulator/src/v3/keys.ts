import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  privateDecrypt,
  randomBytes,
  sign,
} from 'node:crypto';
import type { SimulatorClock } from '../clock.js';
import type { SimPlatformCertificate, SimulatorV3Options, SimWechatpayKeys, WechatpayKeyMode } from '../types.js';
import { selfSignedCertificate } from './certificate.js';
import { rfc3339 } from './time.js';

/** How long a platform certificate the simulator issues is valid (WeChat's are valid five years). */
const CERT_VALIDITY_MS = 5 * 365 * 24 * 3600 * 1000;

interface PlatformCert {
  readonly serialNo: string;
  readonly privateKey: KeyObject;
  readonly pem: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** A signature and the `Wechatpay-Serial` naming the key that made it. */
export interface WechatpaySignature {
  readonly serial: string;
  readonly signature: string;
}

function toPrivateKey(input: string | KeyObject, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = input instanceof KeyObject ? input : createPrivateKey(input);
  } catch {
    throw new TypeError(`${what} must be a PEM private key or a private KeyObject`);
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa') throw new TypeError(`${what} must be an RSA private key`);
  return key;
}

const newRsaKey = (): KeyObject => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

/**
 * The simulator's WeChat Pay side of API v3: the WeChat Pay key pair (`PUB_KEY_ID_…`) and the
 * platform certificates. Keys not given in the options are generated at first use, so a
 * simulator without v3 merchants never pays for RSA key generation.
 */
export class WechatpayKeyring {
  private publicKeyPair: { id: string; privateKey: KeyObject; publicPem: string } | undefined;
  private certs: PlatformCert[] = [];

  constructor(
    private readonly options: SimulatorV3Options,
    private readonly clock: SimulatorClock,
  ) {
    if (options.privateKey !== undefined) toPrivateKey(options.privateKey, 'v3.privateKey');
    if (options.platformPrivateKey !== undefined) toPrivateKey(options.platformPrivateKey, 'v3.platformPrivateKey');
    if (options.publicKeyId !== undefined && !/^PUB_KEY_ID_\d{1,64}$/.test(options.publicKeyId)) {
      throw new TypeError('v3.publicKeyId must be PUB_KEY_ID_ followed by digits');
    }
  }

  private publicKey(): { id: string; privateKey: KeyObject; publicPem: string } {
    if (this.publicKeyPair === undefined) {
      const privateKey = this.options.privateKey !== undefined ? toPrivateKey(this.options.privateKey, 'v3.privateKey') : newRsaKey();
      const publicKey = createPublicKey(privateKey);
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      const digits = BigInt(`0x${createHash('sha256').update(spki).digest('hex').slice(0, 22)}`)
        .toString()
        .padStart(26, '0')
        .slice(-26);
      this.publicKeyPair = {
        id: this.options.publicKeyId ?? `PUB_KEY_ID_01${digits}`,
        privateKey,
        publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      };
    }
    return this.publicKeyPair;
  }

  private issue(privateKey: KeyObject): PlatformCert {
    const serial = randomBytes(20);
    serial[0] = 0x10 | (serial[0]! & 0x6f);
    const notBefore = this.clock.now();
    const notAfter = notBefore + CERT_VALIDITY_MS;
    return {
      serialNo: serial.toString('hex').toUpperCase(),
      privateKey,
      pem: selfSignedCertificate({ serial, privateKey, notBefore, notAfter }),
      notBefore,
      notAfter,
    };
  }

  private platform(): PlatformCert[] {
    if (this.certs.length === 0) {
      const key =
        this.options.platformPrivateKey !== undefined
          ? toPrivateKey(this.options.platformPrivateKey, 'v3.platformPrivateKey')
          : newRsaKey();
      this.certs.push(this.issue(key));
    }
    return this.certs;
  }

  /** The platform certificates still valid, oldest first; the last one signs. */
  private current(): PlatformCert[] {
    const now = this.clock.now();
    const all = this.platform();
    const valid = all.filter((c, n) => c.notAfter > now || n === all.length - 1);
    return valid;
  }

  /** Signs `message` (SHA256withRSA, Base64) with the key the mode names. */
  sign(mode: WechatpayKeyMode, message: string): WechatpaySignature {
    if (mode === 'public-key') {
      const k = this.publicKey();
      return { serial: k.id, signature: sign('sha256', Buffer.from(message, 'utf8'), k.privateKey).toString('base64') };
    }
    const active = this.current().at(-1)!;
    return { serial: active.serialNo, signature: sign('sha256', Buffer.from(message, 'utf8'), active.privateKey).toString('base64') };
  }

  /**
   * Decrypts a sensitive request field (RSA-OAEP, SHA-1) with the private key of the WeChat Pay
   * key `serial` names (the public key id, or a platform certificate still listed); undefined when
   * the serial is unknown or the text does not decrypt with that key.
   */
  decrypt(serial: string, ciphertext: string): string | undefined {
    const key =
      serial === this.publicKey().id
        ? this.publicKey().privateKey
        : this.current().find((c) => c.serialNo.toUpperCase() === serial.toUpperCase())?.privateKey;
    if (key === undefined) return undefined;
    try {
      return privateDecrypt(
        { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        Buffer.from(ciphertext, 'base64'),
      ).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /** Certificates for `/v3/certificates`: serial, validity and PEM. */
  certificates(): readonly PlatformCert[] {
    return this.current();
  }

  /** Issues a new platform certificate, which signs from now on. */
  rotate(retirePrevious: boolean): SimPlatformCertificate {
    this.platform();
    const next = this.issue(newRsaKey());
    this.certs = retirePrevious ? [next] : [...this.certs, next];
    return certView(next, true);
  }

  view(): SimWechatpayKeys {
    const k = this.publicKey();
    const certs = this.current();
    return Object.freeze({
      publicKeyId: k.id,
      publicKey: k.publicPem,
      platformCertificates: Object.freeze(certs.map((c, n) => certView(c, n === certs.length - 1))),
    });
  }
}

function certView(c: PlatformCert, active: boolean): SimPlatformCertificate {
  return Object.freeze({
    serialNo: c.serialNo,
    certificate: c.pem,
    effectiveTime: rfc3339(c.notBefore),
    expireTime: rfc3339(c.notAfter),
    active,
  });
}
