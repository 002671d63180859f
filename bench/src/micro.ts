/**
 * Child process: the micro scenarios M1–M6 round-robin in this process. Prints one JSON line,
 * `{ "<scenario>": { "<case>": ops/s } }`. Checks before timing that every implementation agrees.
 */
import { parsePayNotification, parseXml, sign, verifySign, buildXml } from '@wxpay-kit/core/protocol';
import { API_KEY, NOTIFICATION_XML, SIGNED_UNIFIED_ORDER, UNIFIED_ORDER_PARAMS, UNIFIED_ORDER_REPLY_XML } from './fixtures.js';
import * as floor from './floors.js';
import { roundRobin, type MicroCase } from './harness.js';
import { tenpay, tenpayUtil, wapHash, wapTransformer, wapVerify, weixinBuild, weixinParse, weixinPay, weixinVerify } from './peers.js';

const params = { ...UNIFIED_ORDER_PARAMS };
const signed = { ...SIGNED_UNIFIED_ORDER };
const notificationBytes = Buffer.from(NOTIFICATION_XML);
const pay = tenpay();

/** Our client's reply check: parse, then constant-time verify. */
function ourVerify(xml: string | Uint8Array): Record<string, string> {
  const record = parseXml(xml);
  if (!verifySign(record, API_KEY)) throw new Error('bad sign');
  return record;
}

export const SCENARIOS: Record<string, readonly MicroCase[]> = {
  M1: [
    { id: 'wxpay-kit sign()', fn: () => sign(params, API_KEY, 'MD5') },
    { id: 'floor: createHash', fn: () => floor.md5CreateHash(params, API_KEY) },
    { id: 'floor: one-shot crypto.hash', fn: () => floor.md5OneShot(params, API_KEY) },
    { id: 'tenpay', fn: () => pay._getSign(params, 'MD5') },
    { id: 'wechatpay-axios-plugin', fn: () => wapHash.sign('MD5', params, API_KEY) },
    { id: 'weixin-pay (pure-JS MD5)', fn: () => weixinPay.sign(params) },
  ],
  M2: [
    { id: 'wxpay-kit sign()', fn: () => sign(params, API_KEY, 'HMAC-SHA256') },
    { id: 'floor: createHmac(KeyObject)', fn: () => floor.hmacKeyObject(params, API_KEY) },
    { id: 'floor: createHmac(string)', fn: () => floor.hmacString(params, API_KEY) },
    { id: 'tenpay', fn: () => pay._getSign(params, 'HMAC-SHA256') },
    { id: 'wechatpay-axios-plugin', fn: () => wapHash.sign('HMAC-SHA256', params, API_KEY) },
  ],
  M3: [
    { id: 'wxpay-kit buildXml()', fn: () => buildXml(signed) },
    { id: 'floor: string builder', fn: () => floor.handBuild(signed) },
    { id: 'floor: fast-xml-parser XMLBuilder', fn: () => floor.fxpBuild(signed) },
    { id: 'wechatpay-axios-plugin', fn: () => wapTransformer.toXml(signed) },
    { id: 'tenpay', fn: () => tenpayUtil.buildXML(signed) },
    { id: 'weixin-pay', fn: () => weixinBuild(signed) },
  ],
  M4: [
    { id: 'wxpay-kit parseXml(string)', fn: () => parseXml(NOTIFICATION_XML) },
    { id: 'wxpay-kit parseXml(bytes)', fn: () => parseXml(notificationBytes) },
    { id: 'floor: flat regex scanner', fn: () => floor.flatScan(NOTIFICATION_XML) },
    { id: 'floor: fast-xml-parser', fn: () => floor.fxpParse(NOTIFICATION_XML) },
    { id: 'wechatpay-axios-plugin', fn: () => wapTransformer.toObject(NOTIFICATION_XML) },
    { id: 'tenpay', fn: () => tenpayUtil.parseXML(NOTIFICATION_XML), async: true },
    { id: 'weixin-pay', fn: () => weixinParse(NOTIFICATION_XML), async: true },
  ],
  M5: [
    { id: 'wxpay-kit parseXml + verifySign', fn: () => ourVerify(NOTIFICATION_XML) },
    { id: 'wxpay-kit parsePayNotification(bytes)', fn: () => parsePayNotification(notificationBytes, { apiKey: API_KEY }) },
    { id: 'floor: flat scanner + crypto.hash', fn: () => floor.flatVerify(NOTIFICATION_XML, API_KEY) },
    { id: 'floor: fast-xml-parser + createHash', fn: () => floor.fxpVerify(NOTIFICATION_XML, API_KEY) },
    { id: 'wechatpay-axios-plugin', fn: () => wapVerify(NOTIFICATION_XML) },
    { id: 'tenpay', fn: () => pay._parse(NOTIFICATION_XML, 'middleware_pay'), async: true },
    { id: 'weixin-pay', fn: () => weixinVerify(NOTIFICATION_XML), async: true },
  ],
  M6: [
    { id: 'wxpay-kit parseXml + verifySign', fn: () => ourVerify(UNIFIED_ORDER_REPLY_XML) },
    { id: 'floor: flat scanner + crypto.hash', fn: () => floor.flatVerify(UNIFIED_ORDER_REPLY_XML, API_KEY) },
    { id: 'floor: fast-xml-parser + createHash', fn: () => floor.fxpVerify(UNIFIED_ORDER_REPLY_XML, API_KEY) },
    { id: 'wechatpay-axios-plugin', fn: () => wapVerify(UNIFIED_ORDER_REPLY_XML) },
    { id: 'tenpay', fn: () => pay._parse(UNIFIED_ORDER_REPLY_XML, 'unifiedorder'), async: true },
    { id: 'weixin-pay', fn: () => weixinVerify(UNIFIED_ORDER_REPLY_XML), async: true },
  ],
};

/** Every implementation must agree before anything is timed. */
async function check(): Promise<void> {
  const md5 = new Set(SCENARIOS['M1']!.map((c) => c.fn()));
  const hmac = new Set(SCENARIOS['M2']!.map((c) => c.fn()));
  if (md5.size !== 1 || hmac.size !== 1) throw new Error(`signatures disagree: ${[...md5, ...hmac].join(' ')}`);
  for (const c of SCENARIOS['M3']!) {
    const record = { ...(await tenpayUtil.parseXML(String(c.fn()))) };
    for (const [name, value] of Object.entries(signed)) {
      if (record[name] !== value) throw new Error(`${c.id} does not round-trip ${name}`);
    }
  }
  const tampered = NOTIFICATION_XML.replace('<total_fee>8900</total_fee>', '<total_fee>1</total_fee>');
  for (const c of [...SCENARIOS['M5']!, ...SCENARIOS['M6']!]) {
    const record = (await c.fn()) as Record<string, string> | { raw: Record<string, string> };
    const fields = 'raw' in record && typeof record.raw === 'object' ? record.raw : (record as Record<string, string>);
    if (typeof fields['sign'] !== 'string') throw new Error(`${c.id} gave no record`);
  }
  const rejects = [
    () => ourVerify(tampered),
    () => parsePayNotification(tampered, { apiKey: API_KEY }),
    () => floor.flatVerify(tampered, API_KEY),
    () => floor.fxpVerify(tampered, API_KEY),
    () => wapVerify(tampered),
    () => pay._parse(tampered, 'middleware_pay'),
    () => weixinVerify(tampered),
  ];
  for (const reject of rejects) {
    let refused = false;
    try {
      await reject();
    } catch {
      refused = true;
    }
    if (!refused) throw new Error('a verifier accepted a tampered notification');
  }
}

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1]!;
};
const groups = arg('groups', 'M1,M2,M3,M4,M5,M6').split(',');
const rounds = Number(arg('rounds', '7'));
const sliceMs = Number(arg('slice', '300'));

await check();
const out: Record<string, Record<string, number>> = {};
for (const group of groups) out[group] = await roundRobin(SCENARIOS[group]!, { rounds, sliceMs });
process.stdout.write(`${JSON.stringify(out)}\n`);
