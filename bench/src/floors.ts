/**
 * The floors: plain-Node reference implementations of each step, with no library around them.
 * The flat scanner is a floor marker only: it refuses nothing (no DOCTYPE, nesting or duplicate
 * checks) and must never be used on untrusted input.
 */
import { createHash, createHmac, createSecretKey, hash, timingSafeEqual, type KeyObject } from 'node:crypto';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** WeChat's canonical string: sorted names, no `sign`, no empty values, then `&key=`. */
export function canonical(params: Readonly<Record<string, string | undefined>>, key: string): string {
  const names = Object.keys(params).sort();
  let out = '';
  for (const name of names) {
    const value = params[name];
    if (name === 'sign' || value === undefined || value === '') continue;
    out += `${name}=${value}&`;
  }
  return `${out}key=${key}`;
}

export const md5CreateHash = (params: Readonly<Record<string, string | undefined>>, key: string): string =>
  createHash('md5').update(canonical(params, key), 'utf8').digest('hex').toUpperCase();

export const md5OneShot = (params: Readonly<Record<string, string | undefined>>, key: string): string =>
  hash('md5', canonical(params, key), 'hex').toUpperCase();

export const hmacString = (params: Readonly<Record<string, string | undefined>>, key: string): string =>
  createHmac('sha256', key).update(canonical(params, key), 'utf8').digest('hex').toUpperCase();

const keyObjects = new Map<string, KeyObject>();
export const hmacKeyObject = (params: Readonly<Record<string, string | undefined>>, key: string): string => {
  let object = keyObjects.get(key);
  if (object === undefined) keyObjects.set(key, (object = createSecretKey(Buffer.from(key))));
  return createHmac('sha256', object).update(canonical(params, key), 'utf8').digest('hex').toUpperCase();
};

/** Hand-rolled builder: CDATA for strings (with `]]>` split), nothing else. */
export function handBuild(fields: Readonly<Record<string, string>>): string {
  let out = '<xml>';
  for (const name in fields) {
    const value = fields[name]!;
    out += `<${name}><![CDATA[${value.includes(']]>') ? value.replaceAll(']]>', ']]]]><![CDATA[>') : value}]]></${name}>`;
  }
  return `${out}</xml>`;
}

const fxpBuilder = new XMLBuilder({
  processEntities: false,
  tagValueProcessor: (_n: string, v: unknown) => (/[<>&'"]/.test(String(v)) ? `<![CDATA[${String(v)}]]>` : String(v)),
});
export const fxpBuild = (fields: Readonly<Record<string, string>>): string => fxpBuilder.build({ xml: fields }) as string;

const fxpParser = new XMLParser({ ignoreDeclaration: true, parseTagValue: false, processEntities: false, trimValues: true });
export function fxpParse(xml: string): Record<string, string> {
  return (fxpParser.parse(xml) as { xml: Record<string, string> }).xml;
}

const FLAT = /<([A-Za-z_][\w.-]*)>(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<]*))<\/\1>/g;
const ENTITY = /&(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
const NAMED: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" };
function decode(entity: string): string {
  const named = NAMED[entity];
  if (named !== undefined) return named;
  return String.fromCodePoint(entity[2] === 'x' ? parseInt(entity.slice(3, -1), 16) : parseInt(entity.slice(2, -1), 10));
}

/** One regex over the flat envelope: CDATA or text, entities decoded. Floor marker only. */
export function flatScan(xml: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  FLAT.lastIndex = 0;
  for (let m = FLAT.exec(xml); m !== null; m = FLAT.exec(xml)) {
    out[m[1]!] = m[2] ?? (m[3]!.includes('&') ? m[3]!.replace(ENTITY, decode) : m[3]!);
  }
  return out;
}

/** Constant-time comparison of the given signature with the expected one. */
export function sameSign(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Floor parse + verify with the flat scanner and one-shot MD5. */
export function flatVerify(xml: string, key: string): Record<string, string> {
  const record = flatScan(xml);
  if (!sameSign(record['sign'], md5OneShot(record, key))) throw new Error('bad sign');
  return record;
}

/** Floor parse + verify with fast-xml-parser and `createHash`. */
export function fxpVerify(xml: string, key: string): Record<string, string> {
  const record = fxpParse(xml);
  if (!sameSign(record['sign'], md5CreateHash(record, key))) throw new Error('bad sign');
  return record;
}
