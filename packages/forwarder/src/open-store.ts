import { ConfigError, type Logger } from '@wxpay-kit/core';
import type { ForwarderStore } from './outbox.js';
import { createFileStore } from './stores/file-store.js';
import { createRedisStore } from './stores/redis-store.js';

/**
 * Opens a store from a location string: `file:<dir>` for the file store, `redis://…` or
 * `rediss://…` for the Redis store (with `?prefix=<p>` to pick the key prefix).
 *
 * @example
 * const store = await openStore('file:./var/wxpay');
 */
export async function openStore(
  location: string,
  options: { readonly readOnly?: boolean; readonly logger?: Logger } = {},
): Promise<ForwarderStore> {
  if (location.startsWith('file:')) {
    const dir = location.slice('file:'.length);
    return createFileStore({ dir, readOnly: options.readOnly ?? false, ...(options.logger ? { logger: options.logger } : {}) });
  }
  if (location.startsWith('redis://') || location.startsWith('rediss://')) {
    const url = new URL(location);
    const prefix = url.searchParams.get('prefix') ?? undefined;
    url.searchParams.delete('prefix');
    return createRedisStore({
      redis: url.toString(),
      ...(prefix !== undefined ? { prefix } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  throw new ConfigError([{ path: 'store', message: 'must be file:<dir> or redis://host:port' }], {
    prefix: '@wxpay-kit/forwarder: unknown store location',
  });
}
