#!/usr/bin/env node
/**
 * @module @wxpay-kit/forwarder/cli
 *
 * `wxpay-forwarder status | list --dead | replay <id> | replay --dead --store <location>`
 */
import { runCli } from './cli-run.js';

// No top-level await: the CommonJS build of this entry cannot hold one.
void runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
