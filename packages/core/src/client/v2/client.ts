/**
 * The API v2 client: one executor for every operation declared in {@link ./operations.ts}. It
 * adds the merchant ids, nonce and signature (MD5 or HMAC-SHA256 with the merchant key; sandbox
 * merchants sign with the sandbox key), POSTs the XML, checks the two reply layers and the reply
 * signature, maps failures to WxPayError / SignatureError / TransportError and retries per the
 * operation's policy.
 */
import type { ResolvedConfig, ResolvedMerchant } from '../../config/types.js';
import { SignatureError, ValidationError, WxPayError } from '../../errors.js';
import { requiredText } from '../../protocol/v2/fields.js';
import { sign, verifySign, type SignType } from '../../protocol/v2/sign.js';
import { buildXml, parseXml, type XmlRecord, type XmlValue } from '../../protocol/v2/xml.js';
import { DEFAULT_BASE_URL } from '../../config/schema.js';
import type { CallOptions, SandboxSignKeyInput } from '../../model/contract.js';
import { OPERATION_NAMES } from '../operations.js';
import { isAutoRetryable } from '../retry.js';
import { configuredMerchant, createRetrier, decodeBill, type CreateWxPayClientOptions } from '../shared.js';
import { MAX_REPLY_BYTES, endpointOf, type Endpoint, type Transport } from '../transport.js';
import type { VersionClient } from '../version-client.js';
import { V2_OPERATIONS, type V2Operation, type V2Reply } from './operations.js';

/** Largest XML reply accepted. */
const MAX_XML_REPLY = 1024 * 1024;

/** The parameters every v2 call adds to its own: merchant ids, nonce, algorithm. */
interface WireExtras {
  readonly mch_id: string;
  readonly sub_mch_id: string | undefined;
  readonly sub_appid: string | undefined;
  readonly nonce_str: string;
  readonly sign_type: string | undefined;
}

const EXTRA_NAMES: readonly (keyof WireExtras)[] = ['mch_id', 'sub_mch_id', 'sub_appid', 'nonce_str', 'sign_type'];

/** One API's parameter names, as its call passes them and in byte order with {@link EXTRA_NAMES} merged in. */
interface WireLayout {
  readonly source: readonly string[];
  readonly sorted: readonly string[];
  /** Per `sorted` name: taken from the extras (which win over a field of the same name). */
  readonly extra: readonly boolean[];
}

/** Layouts by API name; each API passes one fixed field list, so this holds one entry per API. */
const layouts = new Map<string, WireLayout>();

function layoutOf(api: string, fields: Readonly<Record<string, XmlValue>>): WireLayout {
  const source = Object.keys(fields);
  const known = layouts.get(api);
  if (known !== undefined && known.source.length === source.length && known.source.every((name, i) => name === source[i])) return known;
  const sorted = [...new Set([...source, ...EXTRA_NAMES])].sort();
  const extra = sorted.map((name) => (EXTRA_NAMES as readonly string[]).includes(name));
  const layout: WireLayout = { source, sorted, extra };
  if (layouts.size >= 256) layouts.clear();
  layouts.set(api, layout);
  return layout;
}

/**
 * The request parameters: the call's fields and the extras, without absent or empty values, in
 * byte order of their names. Signing sorts the names again, which costs little on a sorted list.
 */
function wireFields(api: string, fields: Readonly<Record<string, XmlValue>>, extras: WireExtras): Record<string, XmlValue> {
  const { sorted, extra } = layoutOf(api, fields);
  const wire: Record<string, XmlValue> = {};
  for (let i = 0; i < sorted.length; i++) {
    const name = sorted[i]!;
    const value = extra[i] ? extras[name as keyof WireExtras] : fields[name];
    if (value !== undefined && value !== null && value !== '') wire[name] = value;
  }
  return wire;
}

/** The wire of a call that names the merchant itself ({@link V2Operation.ownIds}): its fields and the nonce, empty values left out. */
function ownWire(fields: Readonly<Record<string, XmlValue>>, nonce: string): Record<string, XmlValue> {
  const wire: Record<string, XmlValue> = {};
  for (const name of Object.keys(fields)) {
    const value = fields[name];
    if (value !== undefined && value !== null && value !== '') wire[name] = value;
  }
  wire['nonce_str'] = nonce;
  return wire;
}

/** A bill reply is text or gzip; a failure is XML (`<xml>…`). */
function looksLikeXml(body: Buffer): boolean {
  const start = body
    .subarray(0, 64)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  return start.startsWith('<xml') || start.startsWith('<?xml');
}

/** Checks the two reply layers and the signature (spec §4). */
function checkReply(record: XmlRecord, key: string): XmlRecord {
  if (record['return_code'] !== 'SUCCESS') {
    throw new WxPayError({
      layer: 'return',
      errCode: record['error_code'] || record['return_code'] || 'FAIL',
      returnMsg: record['return_msg'],
    });
  }
  if (record['sign'] !== undefined && record['sign'] !== '' && !verifySign(record, key)) {
    throw new SignatureError('mismatch', 'the reply signature does not match the merchant key');
  }
  if (record['result_code'] !== undefined && record['result_code'] !== 'SUCCESS') {
    throw new WxPayError({ layer: 'result', errCode: record['err_code'] || 'FAIL', errCodeDes: record['err_code_des'] });
  }
  return record;
}

/** The v2 client's extras beside the operations. */
export interface V2Client extends VersionClient {
  /** `/sandboxnew/pay/getsignkey`: the key sandbox calls are signed with. */
  getSandboxSignKey(input: SandboxSignKeyInput, options?: CallOptions): Promise<string>;
  /** The key the merchant's v2 messages are signed with (sandbox: fetched once, then cached). */
  signKey(merchant: string, options?: CallOptions): Promise<string>;
}

/** Creates the API v2 client over a shared transport. Reached through `createWxPayClient`. */
export function createV2Client(config: ResolvedConfig, transport: Transport, hooks: CreateWxPayClientOptions): V2Client {
  const retrier = createRetrier(config, hooks, isAutoRetryable);
  const sandboxKeys = new Map<string, Promise<string>>();

  /** Endpoints parsed once per base URL and path (a handful per merchant). */
  const endpoints = new Map<string, Map<string, Endpoint>>();
  function urlFor(baseUrl: string, path: string): Endpoint {
    let byPath = endpoints.get(baseUrl);
    if (byPath === undefined) {
      if (endpoints.size >= 256) endpoints.clear();
      endpoints.set(baseUrl, (byPath = new Map()));
    }
    let found = byPath.get(path);
    if (found === undefined) {
      found = endpointOf(new URL(`${baseUrl.replace(/\/+$/, '')}${path}`));
      if (byPath.size >= 256) byPath.clear();
      byPath.set(path, found);
    }
    return found;
  }

  function keyFor(merchant: ResolvedMerchant, signal?: AbortSignal): Promise<string> | string {
    if (!merchant.sandbox) return merchant.apiKey;
    if (merchant.sandboxKey !== undefined) return merchant.sandboxKey;
    let pending = sandboxKeys.get(merchant.name);
    if (pending === undefined) {
      pending = getSandboxSignKey({ mchId: merchant.mchId, apiKey: merchant.apiKey, baseUrl: merchant.baseUrl }, { signal });
      sandboxKeys.set(merchant.name, pending);
      pending.catch(() => sandboxKeys.delete(merchant.name));
    }
    return pending;
  }

  const signTypeOf = (merchant: ResolvedMerchant): SignType => (merchant.sandbox ? 'MD5' : merchant.signType);

  /** The one executor: validate, build, sign, POST, check, map; retried per the operation. */
  async function execute<I extends { readonly merchant: string }, N, R>(
    decl: V2Operation<I, N, R>,
    input: I,
    callOptions: CallOptions | undefined,
  ): Promise<R> {
    const normalized = decl.op.validate(input);
    const merchant = configuredMerchant(config, input.merchant);
    decl.check?.(input, merchant);
    const signal = callOptions?.signal;
    const mtls = decl.mtls === true && !merchant.sandbox;
    const api = decl.path.slice(1);
    if (mtls && merchant.cert === undefined) {
      throw new ValidationError(`merchant has no certificate; ${api} needs the merchant API certificate`, { field: 'merchant' });
    }
    const url = urlFor(merchant.baseUrl, merchant.sandbox ? `/sandboxnew${decl.path.replace(/^\/secapi/, '')}` : decl.path);
    const fields = decl.build(input, normalized, merchant);
    const signType = decl.ownIds ? 'MD5' : signTypeOf(merchant);
    try {
      return await retrier.run(api, decl.op.retry, merchant.name, signal, async () => {
        const key = merchant.sandbox ? await keyFor(merchant, signal) : merchant.apiKey;
        const wire = decl.ownIds
          ? ownWire(fields, config.nonce())
          : wireFields(api, fields, {
              mch_id: merchant.mchId,
              sub_mch_id: merchant.subMchId,
              sub_appid: merchant.subAppId,
              nonce_str: config.nonce(),
              sign_type: signType === 'HMAC-SHA256' ? 'HMAC-SHA256' : undefined,
            });
        wire['sign'] = sign(wire, key, signType);
        const reply = await transport.post(url, buildXml(wire), {
          mtls: mtls ? merchant : undefined,
          signal,
          timeoutMs: config.client.timeoutMs,
          maxBytes: decl.file ? MAX_REPLY_BYTES : MAX_XML_REPLY,
        });
        const verified: V2Reply =
          decl.file && !looksLikeXml(reply.body)
            ? { record: Object.create(null) as XmlRecord, text: decodeBill(reply.body) }
            : { record: checkReply(parseXml(reply.body, { maxBytes: MAX_XML_REPLY }), key), text: undefined };
        return decl.map(verified, input, { config, merchant, key, signType });
      });
    } catch (error) {
      if (decl.done?.(error)) return undefined as R;
      const recovered = decl.recover?.(error, input);
      if (recovered !== undefined) return recovered;
      throw error;
    }
  }

  async function getSandboxSignKey(input: SandboxSignKeyInput, callOptions?: CallOptions): Promise<string> {
    if (typeof input.mchId !== 'string' || input.mchId === '') throw new ValidationError('mchId is required', { field: 'mchId' });
    if (typeof input.apiKey !== 'string' || input.apiKey.length !== 32) {
      throw new ValidationError('apiKey must be 32 characters', { field: 'apiKey' });
    }
    const url = urlFor(input.baseUrl ?? DEFAULT_BASE_URL, '/sandboxnew/pay/getsignkey');
    return retrier.run('sandboxnew/pay/getsignkey', 'safe', input.mchId, callOptions?.signal, async () => {
      const wire: Record<string, XmlValue> = { mch_id: input.mchId, nonce_str: config.nonce() };
      wire['sign'] = sign(wire, input.apiKey, 'MD5');
      const reply = await transport.post(url, buildXml(wire), {
        signal: callOptions?.signal,
        timeoutMs: config.client.timeoutMs,
        maxBytes: MAX_XML_REPLY,
      });
      const record = parseXml(reply.body, { maxBytes: MAX_XML_REPLY });
      if (record['return_code'] !== 'SUCCESS') {
        throw new WxPayError({ layer: 'return', errCode: record['return_code'] || 'FAIL', returnMsg: record['return_msg'] });
      }
      // The reply, if signed at all, is signed with the key being fetched: nothing to check it against yet.
      return requiredText(record, 'sandbox_signkey');
    });
  }

  const client = {
    getSandboxSignKey,
    async signKey(merchant: string, callOptions?: CallOptions) {
      return keyFor(configuredMerchant(config, merchant), callOptions?.signal);
    },
    close() {
      retrier.stop();
    },
  } as Record<string, unknown>;
  for (const name of OPERATION_NAMES) {
    const decl = V2_OPERATIONS[name] as V2Operation<never, unknown, unknown>;
    client[name] = (input: never, callOptions?: CallOptions) => execute(decl, input, callOptions);
  }
  return Object.freeze(client) as unknown as V2Client;
}
