/**
 * @module @wxpay-kit/core/protocol
 *
 * Wire-level helpers, for code that speaks WeChat Pay's formats itself (a simulator, a gateway,
 * your own tooling): API v2 signing, XML, notification parsing and replies, refund `req_info`
 * decryption, client activation parameters; API v3 request and reply signatures, keyrings,
 * AES-GCM resources, platform certificates and notifications. The instance and the client use
 * them; most applications need only `@wxpay-kit/core`.
 */

// API v2.
export {
  isSignType,
  safeEqual,
  sign,
  signTypeOf,
  stringToSign,
  verifySign,
  type SignType,
  type SignableParams,
  type VerifySignOptions,
} from './v2/sign.js';
export {
  DEFAULT_XML_MAX_BYTES,
  MAX_XML_REFERENCES,
  buildXml,
  parseXml,
  parseXmlGeneral,
  type ParseXmlOptions,
  type XmlRecord,
  type XmlValue,
} from './v2/xml.js';
export { decryptRefundInfo } from './v2/refund-crypto.js';
export {
  notifyReply,
  parsePayNotification,
  parseRefundNotification,
  type DecryptedRefundNotification,
  type ParsePayNotificationOptions,
  type VerifiedPayNotification,
} from './v2/notify.js';
export { MAX_WIRE_FEN, parseWireInt } from './v2/fields.js';
export { appPayParams, jsapiPayParams, mwebPayUrl, type SignedParamsInput } from './v2/client-params.js';

// API v3.
export {
  V3_AUTH_SCHEME,
  buildAuthorization,
  buildRequestMessage,
  parseAuthorization,
  rsaSign,
  toPrivateKey,
  type AuthorizationInput,
  type ParsedAuthorization,
  type PrivateKeyInput,
} from './v3/sign.js';
export {
  DEFAULT_TOLERANCE_SEC,
  PUBLIC_KEY_ID_PREFIX,
  SIGNATURE_PROBE_PREFIX,
  buildResponseMessage,
  combineKeyrings,
  createV3Keyring,
  normalizeSerial,
  signedMessageFrom,
  toPublicKey,
  verifyV3Signature,
  type HeaderBag,
  type PublicKeyInput,
  type V3Keyring,
  type V3SignedMessage,
  type VerifyV3Options,
} from './v3/verify.js';
export { decryptResource, type EncryptedResource } from './v3/aead.js';
export { appPayParamsV3, jsapiPayParamsV3, type V3SignedParamsInput } from './v3/client-params.js';
export {
  createPlatformCertificateStore,
  decryptCertificates,
  type CertificatesReply,
  type PlatformCertificate,
  type PlatformCertificateStore,
  type PlatformCertificateStoreOptions,
} from './v3/platform-certificates.js';
export { toRfc3339Beijing, type JsonObject } from './v3/fields.js';
export {
  decryptSensitiveField,
  encryptSensitiveField,
  toCreateTransferResult,
  toTransferBill,
  toTransferNotification,
  type TransferCallIdentity,
} from './v3/transfer.js';
export {
  isV3Notification,
  parseV3Notification,
  v3NotifyReply,
  v3PayNotification,
  v3RefundNotification,
  type ParseV3NotificationOptions,
  type V3PayNotification,
  type V3RefundNotification,
  type VerifiedV3Notification,
} from './v3/notify.js';
