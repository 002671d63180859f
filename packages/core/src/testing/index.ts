/**
 * @module @wxpay-kit/core/testing
 *
 * Helpers for tests, ours and yours: signed pay notifications, encrypted refund notifications,
 * signed API replies, encryption as WeChat does it (refund `req_info`, v3 `resource`), and
 * throwaway certificates for mutual TLS. Never use them in production code.
 */
export {
  buildPayNotification,
  buildRefundInfo,
  buildRefundNotifyXml,
  signNotifyXml,
  signReplyXml,
  type WireFields,
} from './sign-fixtures.js';
export { encryptRefundInfo } from '../protocol/v2/refund-crypto.js';
export { encryptResource } from '../protocol/v3/aead.js';
export { generateTestCertificates, type TestCertificateOptions, type TestCertificates } from './certificates.js';
export {
  buildCertificatesReply,
  buildV3Notification,
  buildV3Transaction,
  generateTestPlatformCertificate,
  generateTestRsaKeyPair,
  signV3Headers,
  type TestPlatformCertificate,
  type TestRsaKeyPair,
  type V3Signer,
} from './v3-fixtures.js';
