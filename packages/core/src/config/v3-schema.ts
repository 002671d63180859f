/** The API v3 options of a merchant: their zod fields and the rules that tie them together. */
import { z } from 'zod';

const keyMaterial = z.union(
  [
    z.string({ message: 'must be a file path or PEM text' }).min(1, { message: 'must not be empty' }),
    z.custom<Uint8Array>((v) => v instanceof Uint8Array),
  ],
  { message: 'must be a file path, PEM text or bytes' },
);

/** Fields a merchant may carry for API v3 (all optional here; {@link checkV3Merchant} requires them for `v3`). */
export const v3MerchantFields = {
  privateKey: keyMaterial.optional(),
  certSerialNo: z
    .string({ message: 'must be a string' })
    .regex(/^[0-9A-Fa-f]{1,64}$/, { message: 'must be the certificate serial number in hex' })
    .optional(),
  apiV3Key: z
    .string({ message: 'must be a string' })
    .refine((v) => Buffer.byteLength(v, 'utf8') === 32, { message: 'must be 32 bytes' })
    .optional(),
  wechatpayPublicKey: keyMaterial.optional(),
  wechatpayPublicKeyId: z
    .string({ message: 'must be a string' })
    .regex(/^PUB_KEY_ID_[0-9A-Za-z_]{1,64}$/, { message: 'must be the public key id, "PUB_KEY_ID_" and digits' })
    .optional(),
  platformCertificates: z.boolean({ message: 'must be a boolean' }).optional(),
};

const V3_ONLY = ['privateKey', 'certSerialNo', 'apiV3Key', 'wechatpayPublicKey', 'wechatpayPublicKeyId', 'platformCertificates'] as const;

type MerchantShape = {
  apiVersion: 'v2' | 'v3';
  apiKey?: string | undefined;
  sandbox?: boolean | undefined;
  cert?: unknown;
} & { [K in (typeof V3_ONLY)[number]]?: unknown };

/** Whether a merchant's options name any API v3 key. */
export function hasV3Options(m: { readonly [K in (typeof V3_ONLY)[number]]?: unknown }): boolean {
  return V3_ONLY.some((key) => m[key] !== undefined);
}

/**
 * The cross-field rules: a `v2` merchant needs `apiKey`; it may also carry the v3 keys, for the
 * calls only API v3 has (transfer bills and batches: its payments stay on v2), and then needs the
 * whole set. A `v3` merchant needs `privateKey`, `certSerialNo`, `apiV3Key`, and a way to verify
 * WeChat (`wechatpayPublicKey` with `wechatpayPublicKeyId`, `platformCertificates: true`, or both),
 * and cannot use the v2 sandbox.
 */
export function checkV3Merchant(m: MerchantShape, ctx: z.RefinementCtx): void {
  const who = m.apiVersion === 'v2' ? "with a v2 merchant's v3 keys (used for transfers)" : 'for an API v3 merchant';
  if (m.apiVersion === 'v2') {
    if (m.apiKey === undefined) ctx.addIssue({ code: 'custom', path: ['apiKey'], message: 'is required' });
    if (!hasV3Options(m)) return;
    if (m.sandbox === true) {
      ctx.addIssue({ code: 'custom', path: ['sandbox'], message: 'cannot go with v3 keys (the sandbox has no v3 endpoints)' });
    }
  }
  for (const key of ['privateKey', 'certSerialNo', 'apiV3Key'] as const) {
    if (m[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is required ${who}` });
  }
  if ((m.wechatpayPublicKey === undefined) !== (m.wechatpayPublicKeyId === undefined)) {
    const missing = m.wechatpayPublicKey === undefined ? 'wechatpayPublicKey' : 'wechatpayPublicKeyId';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'is required with the other half of the WeChat Pay public key' });
  }
  if (m.wechatpayPublicKey === undefined && m.platformCertificates !== true) {
    ctx.addIssue({
      code: 'custom',
      path: ['wechatpayPublicKey'],
      message: `is required ${who} unless platformCertificates is true (legacy platform certificates)`,
    });
  }
  if (m.apiVersion === 'v3' && m.sandbox === true)
    ctx.addIssue({ code: 'custom', path: ['sandbox'], message: 'is API v2 only (the sandbox has no v3 endpoints)' });
}
