#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Logger } from '@wxpay-kit/core';
import { COMMANDS_USAGE, CONTROL_COMMANDS, runControlCommand, simulatorVersion } from './cli-commands.js';
import { startSimulator } from './server.js';
import type { RefundMode, SimulatorMerchantOptions, SimulatorMerchantV3Options, SimulatorV3Options, WechatpayKeyMode } from './types.js';

const USAGE = `Usage: wxpay-simulator [options]

A local WeChat Pay server (v2 XML APIs, v3 JSON APIs under /v3/, JSON control API under /_sim/).

Options:
  --port <n>            port to listen on (default 4010; 0 picks a free one)
  --host <addr>         address to bind (default 127.0.0.1)
  --mch-id <id>         merchant id (with --api-key and --app-id; default: a built-in merchant)
  --api-key <key>       the merchant's API v2 key
  --app-id <id>         an app id bound to the merchant (repeatable)
  --mch-public-key <file>  makes the merchant a v3 one: public key or certificate (PEM) of its API certificate
  --mch-serial-no <hex>    serial number of that certificate (with --mch-public-key and --api-v3-key)
  --api-v3-key <key>       the merchant's APIv3 key (32 characters)
  --wechatpay-key <mode>   public-key (default) or platform-certificate: which key signs v3 replies and notifications
  --wechatpay-private-key <file>  the WeChat Pay private key (PEM; default generated at start, see GET /_sim/v3/keys)
  --wechatpay-public-key-id <id>  its id, PUB_KEY_ID_ followed by digits
  --time-factor <f>     scale of the notification retry schedule (default 1; 0.001 = ms)
  --refunds <mode>      auto (default): refunds succeed at once; manual: via /_sim/refunds/:no/complete
  --tls-ca <file>       CA of merchant client certificates (with --tls-cert, --tls-key: serve HTTPS + mTLS)
  --tls-cert <file>     server certificate (PEM)
  --tls-key <file>      server private key (PEM)
  --base-path <path>    serve under a path prefix
  --quiet               log nothing
  -v, --version         print the version
  -h, --help            show this help

${COMMANDS_USAGE}`;

function fail(message: string): never {
  process.stderr.write(`wxpay-simulator: ${message}\n\n${USAGE}`);
  process.exit(2);
}

/** JSON lines on stderr. */
function lineLogger(): Logger {
  const write = (level: string) => (obj: object, msg?: string) => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...obj })}\n`);
  };
  return { debug: () => {}, info: write('info'), warn: write('warn'), error: write('error') };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if ((CONTROL_COMMANDS as readonly string[]).includes(argv[0] ?? '')) {
    const code = await runControlCommand(argv, {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
      env: process.env,
    });
    process.exitCode = code;
    return;
  }
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '4010' },
        host: { type: 'string', default: '127.0.0.1' },
        'mch-id': { type: 'string' },
        'api-key': { type: 'string' },
        'app-id': { type: 'string', multiple: true },
        'mch-public-key': { type: 'string' },
        'mch-serial-no': { type: 'string' },
        'api-v3-key': { type: 'string' },
        'wechatpay-key': { type: 'string' },
        'wechatpay-private-key': { type: 'string' },
        'wechatpay-public-key-id': { type: 'string' },
        'time-factor': { type: 'string' },
        refunds: { type: 'string' },
        'tls-ca': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'base-path': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (cause) {
    fail(cause instanceof Error ? cause.message : String(cause));
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`wxpay-simulator ${simulatorVersion()}\n`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be an integer between 0 and 65535');
  const timeFactor = values['time-factor'] === undefined ? undefined : Number(values['time-factor']);
  if (timeFactor !== undefined && !(timeFactor >= 0)) fail('--time-factor must be a number >= 0');
  const refunds = values.refunds as RefundMode | undefined;
  if (refunds !== undefined && refunds !== 'auto' && refunds !== 'manual') fail('--refunds must be auto or manual');

  let merchants: SimulatorMerchantOptions[] | undefined;
  if (values['mch-id'] !== undefined || values['api-key'] !== undefined || values['app-id'] !== undefined) {
    if (!values['mch-id'] || !values['api-key'] || !values['app-id']?.length) fail('--mch-id, --api-key and --app-id go together');
    merchants = [{ mchId: values['mch-id'], apiKey: values['api-key'], appIds: values['app-id'] }];
  }
  const v3Flags = [values['mch-public-key'], values['mch-serial-no'], values['api-v3-key']];
  if (v3Flags.some((f) => f !== undefined)) {
    if (!merchants) fail('--mch-public-key, --mch-serial-no and --api-v3-key need --mch-id, --api-key and --app-id');
    if (v3Flags.some((f) => f === undefined)) fail('--mch-public-key, --mch-serial-no and --api-v3-key go together');
    const mode = values['wechatpay-key'] as WechatpayKeyMode | undefined;
    if (mode !== undefined && mode !== 'public-key' && mode !== 'platform-certificate')
      fail('--wechatpay-key must be public-key or platform-certificate');
    const v3: SimulatorMerchantV3Options = {
      publicKey: readFileSync(values['mch-public-key']!, 'utf8'),
      serialNo: values['mch-serial-no']!,
      apiV3Key: values['api-v3-key']!,
      ...(mode && { wechatpayKey: mode }),
    };
    merchants = merchants.map((m) => ({ ...m, v3 }));
  } else if (values['wechatpay-key'] !== undefined) {
    fail('--wechatpay-key needs a v3 merchant (--mch-public-key, --mch-serial-no, --api-v3-key)');
  }
  const v3Options: SimulatorV3Options = {
    ...(values['wechatpay-private-key'] && { privateKey: readFileSync(values['wechatpay-private-key'], 'utf8') }),
    ...(values['wechatpay-public-key-id'] && { publicKeyId: values['wechatpay-public-key-id'] }),
  };
  const tlsFiles = [values['tls-ca'], values['tls-cert'], values['tls-key']];
  if (tlsFiles.some((f) => f !== undefined) && tlsFiles.some((f) => f === undefined)) {
    fail('--tls-ca, --tls-cert and --tls-key go together');
  }
  const tls =
    values['tls-ca'] && values['tls-cert'] && values['tls-key']
      ? { ca: readFileSync(values['tls-ca']), cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) }
      : undefined;

  const sim = await startSimulator({
    port,
    host: values.host,
    ...(merchants && { merchants }),
    v3: v3Options,
    ...(timeFactor !== undefined && { timeFactor }),
    ...(refunds && { refunds }),
    ...(tls && { tls }),
    ...(values['base-path'] && { basePath: values['base-path'] }),
    ...(!values.quiet && { logger: lineLogger() }),
  });
  process.stdout.write(`WeChat Pay simulator listening on ${sim.url}\n`);
  for (const m of sim.merchants) {
    process.stdout.write(
      `  merchant ${m.mchId}  appIds ${m.appIds.join(',')}  API ${m.apiVersion}  (keys: GET ${sim.url}/_sim/merchants)\n`,
    );
  }
  if (sim.merchants.some((m) => m.v3)) {
    const keys = await sim.wechatpayKeys();
    process.stdout.write(`  WeChat Pay public key ${keys.publicKeyId}  (PEM and platform certificates: GET ${sim.url}/_sim/v3/keys)\n`);
  }
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((cause: unknown) => {
  process.stderr.write(`wxpay-simulator: ${cause instanceof Error ? cause.message : String(cause)}\n`);
  process.exit(1);
});
