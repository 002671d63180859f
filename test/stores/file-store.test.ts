import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileStore, type FileStore } from '@wxpay-kit/forwarder';
import { defineStoreSuite } from '../conformance/store-suite.js';

defineStoreSuite('file store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wxpay-file-store-'));
  let t = Date.UTC(2026, 0, 1);
  const now = (): number => t;
  let store: FileStore = await createFileStore({ dir, now });
  return {
    get store() {
      return store;
    },
    now,
    async advance(ms) {
      t += ms;
    },
    async reopen() {
      await store.close();
      store = await createFileStore({ dir, now });
      return store;
    },
    async dispose() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
