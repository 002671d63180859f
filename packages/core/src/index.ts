export * from './protocol/v2/sign.js';
export * from './protocol/v2/xml.js';
export * from './protocol/v2/refund-crypto.js';
export * from './logger.js';
export * from './errors.js';
export * from './handler/types.js';
export * from './handler/wxpay.js';
export * from './events/event-map.js';
export { CORE_ROUTES, type CoreRouteInfo } from './handler/core-routes.js';
export { isLoopbackAddress, type ListenAddress } from './handler/guard.js';
export { DEFAULT_LEASE_MS } from './handler/once-per-key.js';
export { JSON_CONTENT_TYPE, XML_CONTENT_TYPE, errorResponse, jsonResponse, statusFor } from './handler/respond.js';
export * from './plugins/types.js';
export * from './stores/dedup-store.js';
export { createMemoryDedupStore, type MemoryDedupStoreOptions } from './stores/memory-dedup-store.js';
export { createWxPay } from './create-wxpay.js';
export * from './config/options.js';
export * from './config/types.js';
export { resolveConfig, randomNonce } from './config/resolve-config.js';
export { ANY_APP_ID, acceptsAppId } from './config/app-ids.js';
export { wxPayOptionsSchema, DEFAULT_BASE_URL, type ParsedOptions } from './config/schema.js';
export * from './client/types.js';
export { createWxPayClient, type CreateWxPayClientOptions } from './client/client.js';
export * from './protocol/v2/client-params.js';
export * from './protocol/v2/notify.js';
export { parseWireInt, MAX_WIRE_FEN, type PayNotification, type RefundNotification } from './protocol/v2/fields.js';
export * from './protocol/v3/sign.js';
export * from './protocol/v3/verify.js';
export * from './protocol/v3/aead.js';
export * from './protocol/v3/client-params.js';
export * from './protocol/v3/platform-certificates.js';
export { toRfc3339Beijing } from './protocol/v3/fields.js';
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
} from './protocol/v3/notify.js';
