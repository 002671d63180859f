export * from './protocol/v2/sign.js';
export * from './protocol/v2/xml.js';
export * from './protocol/v2/refund-crypto.js';
export * from './logger.js';
export * from './errors.js';
