import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, createWxPayClient, isWxPayKitError, resolveConfig } from '@wxpay-kit/core';
import { forwarder } from '@wxpay-kit/forwarder';
import { formatConfigError, loadGatewayConfig } from './config/load-config.js';
import type { GatewayConfig } from './config/gateway-config.js';
import { startDefaultGateway } from './default-mode.js';
import { createGatewayLogger, type PinoLogger } from './logger.js';
import { forwarderApps, openStore } from './runtime.js';
import { GatewayStartError, startGateway } from './server.js';

/** Where the CLI writes, what it reads, and how it waits for a stop signal. */
export interface CliContext {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the process is asked to stop (SIGTERM, SIGINT). */
  readonly stopSignal: Promise<string>;
  /** Logger for the serving commands; default pino on stdout. */
  readonly logger?: PinoLogger;
}

const USAGE = `Usage:
  wxpay-gateway [--config FILE] [--host HOST] [--port N] [--no-forwarder]
      Serve the go-wxpay-gateway HTTP API. The config file is FILE, or $CONF_FILE.
      With no config at all: an embedded WeChat Pay simulator, a demo merchant and app,
      and a demo shop page, so you can watch a payment end to end.
  wxpay-gateway notify [--config FILE]
      Deliver results to the apps' callbacks as a process of its own (go-wxpay-notify).
      Needs a store both processes can open (redis://); run the gateway with --no-forwarder.
  wxpay-gateway getsandbox <appId> <mchId> <apiKey> [--base-url URL]
      Print the sandbox signing key for a merchant (go-wxpay-getsandbox).

Options:
  -c, --config FILE     configuration file (go-wxpay-gateway JSON format)
      --host HOST       listen address (overrides "listen-host")
  -p, --port N          listen port (overrides "listen-port")
      --no-forwarder    do not deliver callbacks in this process
      --data-dir DIR    default mode: where the embedded store lives (default a new temp dir)
      --base-url URL    getsandbox: WeChat Pay origin (default https://api.mch.weixin.qq.com)
  -v, --version         print the version
  -h, --help            print this help

Environment: CONF_FILE (config file), LOG_LEVEL (info), PORT (default-mode port).
`;

/** The package version, read from its package.json (beside src/ and dist/). */
export function gatewayVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Runs `wxpay-gateway` with `argv` (without `node` and the script). Serving commands resolve
 * when `ctx.stopSignal` fires and the shutdown finished. Resolves the exit code: 0 done,
 * 1 failed, 2 bad usage.
 */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        host: { type: 'string' },
        port: { type: 'string', short: 'p' },
        'no-forwarder': { type: 'boolean' },
        'data-dir': { type: 'string' },
        'base-url': { type: 'string' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    ctx.err(`wxpay-gateway: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    ctx.out(USAGE);
    return 0;
  }
  if (values.version) {
    ctx.out(`wxpay-gateway ${gatewayVersion()}\n`);
    return 0;
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      ctx.err(`wxpay-gateway: --port must be an integer from 0 to 65535, not "${values.port}"\n`);
      return 2;
    }
  }
  const [command, ...rest] = positionals;

  try {
    switch (command) {
      case undefined:
      case 'serve':
        return await serve(ctx, { config: values.config, host: values.host, port, forwarder: !values['no-forwarder'], dataDir: values['data-dir'] });
      case 'notify':
        return await notify(ctx, values.config);
      case 'getsandbox':
        return await getSandbox(ctx, rest, values['base-url']);
      default:
        ctx.err(`wxpay-gateway: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    ctx.err(`${describeFailure(error)}\n`);
    return 1;
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof ConfigError) {
    return error.message.startsWith('wxpay-gateway') ? formatConfigError(error) : error.message.replace(/:\n\s*- /, ': ').replace(/\n\s*- /g, '; ');
  }
  if (error instanceof GatewayStartError) return error.message;
  if (isWxPayKitError(error)) return `wxpay-gateway: ${error.message}`;
  return `wxpay-gateway: ${(error as Error)?.message ?? String(error)}`;
}

function configFile(ctx: CliContext, flag: string | undefined): string | undefined {
  return flag ?? (ctx.env['CONF_FILE'] || undefined);
}

function loadWithWarnings(ctx: CliContext, file: string): GatewayConfig {
  const { config, warnings } = loadGatewayConfig(file);
  for (const warning of warnings) ctx.err(`wxpay-gateway: warning: ${warning}\n`);
  return config;
}

interface ServeFlags {
  readonly config: string | undefined;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly forwarder: boolean;
  readonly dataDir: string | undefined;
}

async function serve(ctx: CliContext, flags: ServeFlags): Promise<number> {
  const logger = ctx.logger ?? createGatewayLogger();
  const file = configFile(ctx, flags.config);
  if (file === undefined) {
    const envPort = ctx.env['PORT'] ? Number(ctx.env['PORT']) : undefined;
    const demo = await startDefaultGateway({
      host: flags.host ?? '127.0.0.1',
      port: flags.port ?? (Number.isInteger(envPort) ? envPort : undefined) ?? 7080,
      dataDir: flags.dataDir,
      logger,
    });
    ctx.out(demo.banner);
    const signal = await ctx.stopSignal;
    logger.info({ signal }, 'shutting down');
    await demo.gateway.close();
    return 0;
  }
  const loaded = loadWithWarnings(ctx, file);
  const config: GatewayConfig = {
    ...loaded,
    ...(flags.host === undefined ? {} : { listenHost: flags.host }),
    ...(flags.port === undefined ? {} : { listenPort: flags.port }),
  };
  const gateway = await startGateway({ config, logger, forwarder: flags.forwarder });
  ctx.out(`wxpay-gateway ${gatewayVersion()} listening on ${gateway.url} (config ${file})\n`);
  const signal = await ctx.stopSignal;
  logger.info({ signal }, 'shutting down');
  await gateway.close();
  return 0;
}

async function notify(ctx: CliContext, flag: string | undefined): Promise<number> {
  const file = configFile(ctx, flag);
  if (file === undefined) {
    ctx.err('wxpay-gateway notify: needs the gateway\'s configuration: --config FILE or CONF_FILE\n');
    return 2;
  }
  const config = loadWithWarnings(ctx, file);
  const logger = ctx.logger ?? createGatewayLogger();
  const store = await openStore(config, logger);
  const relay = forwarder({ store, apps: forwarderApps(config, ''), logger: logger.child({ component: 'forwarder' }) });
  relay.start();
  logger.info({ apps: config.apps.map((a) => a.name), store: config.store.kind }, 'wxpay-gateway notify delivering');
  ctx.out(`wxpay-gateway notify: delivering results of ${config.apps.length} app(s) from ${config.store.kind === 'file' ? config.store.path : 'redis'}\n`);
  const signal = await ctx.stopSignal;
  logger.info({ signal }, 'shutting down');
  await relay.stop();
  await store.close();
  return 0;
}

async function getSandbox(ctx: CliContext, args: readonly string[], baseUrl: string | undefined): Promise<number> {
  const [appId, mchId, apiKey, ...extra] = args;
  if (!appId || !mchId || !apiKey || extra.length > 0) {
    ctx.err('Usage: wxpay-gateway getsandbox <appId> <mchId> <apiKey> [--base-url URL]\n');
    return 2;
  }
  // The client wants a configuration; this one holds just the merchant asking for its key.
  const config = resolveConfig({
    merchants: [{ name: 'getsandbox', mchId, apiKey, ...(baseUrl ? { baseUrl } : {}) }],
    apps: [{ name: 'getsandbox', merchant: 'getsandbox', appIds: [appId] }],
    notifyPayUrl: 'http://127.0.0.1/notify-pay',
    notifyRefundUrl: 'http://127.0.0.1/notify-refund',
  });
  const client = createWxPayClient(config);
  try {
    const key = await client.getSandboxSignKey({ mchId, apiKey, ...(baseUrl ? { baseUrl } : {}) });
    ctx.out(`${key}\n`);
    return 0;
  } finally {
    await client.close();
  }
}
