#!/usr/bin/env node
/**
 * @module @wxpay-kit/forwarder/cli
 *
 * `wxpay-forwarder status | list --dead | replay <id> | replay --dead --store <location>`
 */
import { runCli } from './cli-run.js';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
