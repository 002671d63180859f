/** Store calls with one failure rule, for the once-per-key flow and the routes alike. */
import { StoreError, isWxPayKitError } from '../errors.js';
import { isPromiseLike, type MaybePromise } from '../util/maybe-promise.js';

/**
 * Runs a store call; a failure that is not already a wxpay-kit error becomes a {@link StoreError}.
 * A store that answered synchronously gets a synchronous answer (or throw) back.
 */
export function storeCall<T>(action: string, call: () => MaybePromise<T>): MaybePromise<T> {
  let value: MaybePromise<T>;
  try {
    value = call();
  } catch (error) {
    throw asStoreError(action, error);
  }
  if (!isPromiseLike(value)) return value;
  return Promise.resolve(value).then(undefined, (error: unknown) => {
    throw asStoreError(action, error);
  });
}

function asStoreError(action: string, error: unknown): unknown {
  return isWxPayKitError(error) ? error : new StoreError(`the dedup store failed to ${action}`, { cause: error });
}
