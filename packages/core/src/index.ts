export * from './protocol/v2/sign.js';
export * from './protocol/v2/xml.js';
export * from './protocol/v2/refund-crypto.js';
export * from './logger.js';
export * from './errors.js';
export * from './handler/types.js';
export * from './handler/wxpay.js';
export * from './events/event-map.js';
