/**
 * @module @wxpay-kit/core/node
 *
 * The node:http layer shared by the express and koa adapters and the gateway: reading the raw
 * body (with or without a host body parser before us), header normalization, writing a core
 * response, exposing the instance's events on a middleware, and a plain node:http listener.
 * Imports no web framework.
 */
export { readRawBody, isUnread, type ReadRawBodyOptions } from './read-raw-body.js';
export { toHeaderRecord } from './header-record.js';
export { writeResponse } from './write-response.js';
export { attachEmitter, type WxPayEmitterFacade } from './attach-emitter.js';
export { respondToError } from './error-response.js';
export { handleNodeRequest, serveNodeRequest, type NodeRequestInit } from './handle-node-request.js';
export {
  createNodeListener,
  normalizePrefix,
  pathOf,
  stripPrefix,
  type NodeListenerOptions,
  type WxPayNodeListener,
} from './node-listener.js';
