import { createPublicKey, sign, type KeyObject } from 'node:crypto';

/**
 * A minimal DER writer for the one certificate shape the simulator hands out: a self-signed
 * X.509 certificate with an RSA key, signed SHA256withRSA, no extensions. Node can parse and
 * verify certificates (`X509Certificate`) but not issue them.
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), length(content.length), content]);
const seq = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => tlv(0x31, Buffer.concat(parts));
const nul = (): Buffer => Buffer.from([0x05, 0x00]);

/** An INTEGER from unsigned big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out: number[] = [a * 40 + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
const printable = (text: string): Buffer => tlv(0x13, Buffer.from(text, 'ascii'));

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
function time(ms: number): Buffer {
  const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = new Date(ms).getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii')) : tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

const SHA256_WITH_RSA = seq(oid('1.2.840.113549.1.1.11'), nul());

/** The distinguished name of the simulator's platform certificates. */
function name(): Buffer {
  const rdn = (type: string, value: Buffer): Buffer => set(seq(oid(type), value));
  return seq(
    rdn('2.5.4.6', printable('CN')),
    rdn('2.5.4.10', utf8('Tenpay.com')),
    rdn('2.5.4.11', utf8('Tenpay.com CA Center')),
    rdn('2.5.4.3', utf8('Tenpay.com Root CA')),
  );
}

/** What {@link selfSignedCertificate} needs. */
export interface CertificateInput {
  /** Unsigned big-endian serial number (at most 20 bytes, first bit clear). */
  readonly serial: Buffer;
  readonly privateKey: KeyObject;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** A self-signed RSA certificate as PEM. */
export function selfSignedCertificate(input: CertificateInput): string {
  const spki = createPublicKey(input.privateKey).export({ type: 'spki', format: 'der' });
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(input.serial),
    SHA256_WITH_RSA,
    name(),
    seq(time(input.notBefore), time(input.notAfter)),
    name(),
    spki,
  );
  const signature = sign('sha256', tbs, input.privateKey);
  const der = seq(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
