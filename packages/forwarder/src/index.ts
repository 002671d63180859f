/**
 * @module @wxpay-kit/forwarder
 *
 * Durable, signed, retrying relay of WeChat Pay results to each app's webhooks: a plugin on the
 * core's events, with an embedded file store and a Redis store behind one interface.
 */
export { forwarder } from './forwarder.js';
export type {
  Forwarder,
  ForwarderOptions,
  ForwarderAppOptions,
  ForwarderClock,
  ForwardDeliveredEvent,
  ForwardDeadEvent,
} from './forwarder.js';
export { verifyWebhook, signWebhook, computeSignature, secretKey, webhookIdFor, WebhookVerificationError } from './standard-webhooks.js';
export type { VerifyWebhookOptions, VerifiedWebhook, WebhookHeaders } from './standard-webhooks.js';
export { payCallbackBody, refundCallbackBody, transferCallbackBody } from './payload.js';
export type { PayCallbackBody, RefundCallbackBody, TransferCallbackBody, CallbackCoupon } from './payload.js';
export { createFileStore } from './stores/file-store.js';
export type { FileStore, FileStoreOptions } from './stores/file-store.js';
export { createRedisStore } from './stores/redis-store.js';
export type { RedisStore, RedisStoreOptions } from './stores/redis-store.js';
export { RETAIN_RECORDS_MS } from './stores/retention.js';
export { openStore } from './open-store.js';
export type {
  OutboxStore,
  ForwarderStore,
  OutboxRecord,
  NewOutboxRecord,
  OutboxState,
  OutboxStats,
  OutboxEventName,
  LeaseOptions,
  ListOptions,
  AttemptFailure,
} from './outbox.js';
