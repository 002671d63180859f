#!/usr/bin/env node
/**
 * @module wxpay-gateway
 *
 * The `wxpay-gateway` command: the go-wxpay-gateway compatible service, its `notify` and
 * `getsandbox` companions, and a default mode on the embedded simulator. See `--help`.
 */
import { runCli } from './cli-run.js';

const stopSignal = new Promise<string>((resolve) => {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`wxpay-gateway: ${signal} again, exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    resolve(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
});

runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  stopSignal,
  errIsTTY: process.stderr.isTTY === true,
}).then(
  // Everything was closed when runCli resolved; exit even if a stray handle lingers.
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`wxpay-gateway: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  },
);
