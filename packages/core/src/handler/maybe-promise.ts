/** The synchronous fast path's helpers live in `src/maybe-promise.ts`, below every layer. */
export { after, isPromiseLike, type MaybePromise } from '../util/maybe-promise.js';
