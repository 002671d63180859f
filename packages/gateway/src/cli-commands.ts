import { ConfigError, createWxPayClient, isWxPayKitError, resolveConfig } from '@wxpay-kit/core';
import { forwarder } from '@wxpay-kit/forwarder';
import { formatConfigError, loadGatewayConfig } from './config/load-config.js';
import type { GatewayConfig } from './config/gateway-config.js';
import { gatewayVersion, type CliContext } from './cli-context.js';
import { startDefaultGateway } from './default-mode.js';
import { createGatewayLogger } from './logger.js';
import { forwarderApps, openStore } from './runtime.js';
import { GatewayStartError, startGateway } from './server.js';

/** The one line printed when a command fails. */
export function describeFailure(error: unknown): string {
  if (error instanceof ConfigError) {
    return error.message.startsWith('wxpay-gateway')
      ? formatConfigError(error)
      : error.message.replace(/:\n\s*- /, ': ').replace(/\n\s*- /g, '; ');
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

/** Flags of the serving command. */
export interface ServeFlags {
  readonly config: string | undefined;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly forwarder: boolean;
  readonly dataDir: string | undefined;
  /** Default mode: the developer's receiver for every callback. */
  readonly forwardTo?: string | undefined;
  /** Default mode: the embedded simulator's port. */
  readonly simPort?: number | undefined;
}

/** Serves the API (with a config) or the default mode (without). */
export async function serve(ctx: CliContext, flags: ServeFlags): Promise<number> {
  const logger = ctx.logger ?? createGatewayLogger();
  const file = configFile(ctx, flags.config);
  if (file === undefined) {
    const envPort = ctx.env['PORT'] ? Number(ctx.env['PORT']) : undefined;
    const demo = await startDefaultGateway({
      host: flags.host ?? '127.0.0.1',
      port: flags.port ?? (Number.isInteger(envPort) ? envPort : undefined) ?? 7080,
      dataDir: flags.dataDir,
      forwardTo: flags.forwardTo,
      simPort: flags.simPort,
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

/** `wxpay-gateway notify`: the forwarder as a process of its own. */
export async function notify(ctx: CliContext, flag: string | undefined): Promise<number> {
  const file = configFile(ctx, flag);
  if (file === undefined) {
    ctx.err("wxpay-gateway notify: needs the gateway's configuration: --config FILE or CONF_FILE\n");
    return 2;
  }
  const config = loadWithWarnings(ctx, file);
  const logger = ctx.logger ?? createGatewayLogger();
  const store = await openStore(config, logger);
  const relay = forwarder({ store, apps: forwarderApps(config, ''), logger: logger.child({ component: 'forwarder' }) });
  relay.start();
  logger.info({ apps: config.apps.map((a) => a.name), store: config.store.kind }, 'wxpay-gateway notify delivering');
  ctx.out(
    `wxpay-gateway notify: delivering results of ${config.apps.length} app(s) from ${config.store.kind === 'file' ? config.store.path : 'redis'}\n`,
  );
  const signal = await ctx.stopSignal;
  logger.info({ signal }, 'shutting down');
  await relay.stop();
  await store.close();
  return 0;
}

/** `wxpay-gateway getsandbox`: prints the sandbox signing key. */
export async function getSandbox(ctx: CliContext, args: readonly string[], baseUrl: string | undefined): Promise<number> {
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
