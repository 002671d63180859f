import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

/**
 * `npm run test:soak`: the long runs, not in CI. The soak files under test/soak, plus the
 * reliability suites that scale with the environment: 100,000 fuzz inputs, 250 SIGKILLs per
 * store, a 100,000-record restart backlog, 30 s of load per adapter. One file at a time, so the
 * figures are not skewed by another suite.
 */
const config = mergeConfig(
  base,
  defineConfig({
    test: {
      fileParallelism: false,
      testTimeout: 30 * 60_000,
      hookTimeout: 120_000,
      env: {
        FUZZ_RUNS: '100000',
        CRASH_KILLS: '250',
        BACKLOG_RECORDS: '100000',
        LOAD_SECONDS: '30',
        LOAD_FIGURES: 'load-soak',
      },
    },
  }),
);
// mergeConfig concatenates arrays; the file lists replace the base ones.
config.test = {
  ...config.test,
  include: [
    'test/soak/**/*.test.ts',
    'test/reliability/hostile-input.test.ts',
    'test/reliability/crash-safety.test.ts',
    'test/reliability/load-smoke.test.ts',
  ],
  exclude: ['**/node_modules/**', '**/dist/**'],
};
export default config;
