/** The synchronous fast path's helpers live in `src/maybe-promise.ts`, below every layer. */
export { after, isPromiseLike, type MaybePromise } from '../maybe-promise.js';
