import type { CallOptions } from '../model/contract.js';
import type { InputOf, OperationName, ResultOf } from './operations.js';

/**
 * What each API version's client implements: every operation of the table, by name, and a
 * `close` that stops its retries (the transport is closed by `createWxPayClient`).
 */
export type VersionClient = {
  readonly [K in OperationName]: (input: InputOf<K>, options?: CallOptions) => Promise<ResultOf<K>>;
} & { close(): void };
