import { ConfigError, createWxPayClient, isWxPayKitError, resolveConfig, type ReconcileReport } from '@wxpay-kit/core';
import { destination } from 'pino';
import { forwarder } from '@wxpay-kit/forwarder';
import { formatConfigError, loadGatewayConfig } from './config/load-config.js';
import type { GatewayConfig } from './config/gateway-config.js';
import { gatewayVersion, type CliContext } from './cli-context.js';
import { startDefaultGateway } from './default-mode.js';
import { createGatewayLogger } from './logger.js';
import { buildRuntime, forwarderApps, openStore, type GatewayRuntime } from './runtime.js';
import { needsEmbeddedSimulator, toWxPayOptions } from './config/to-options.js';
import { reconcileDay } from './reconcile.js';
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

/** Flags of `wxpay-gateway reconcile`. */
export interface ReconcileFlags {
  readonly config: string | undefined;
  /** `YYYY-MM-DD`; default yesterday in China time. */
  readonly date: string | undefined;
  readonly merchant?: string | undefined;
  readonly json: boolean;
}

/** Thrown when the reconciliation itself could not run: the command exits 2. */
class ReconcileFailed extends Error {}

/**
 * `wxpay-gateway reconcile`: each merchant's trade bill of `--date` against what the gateway
 * recorded and delivered, with the server's configuration. A payment WeChat has that was never
 * delivered is delivered now (through the outbox, by the gateway's forwarder). Opens the store
 * itself; when a running gateway holds it (the file store is one process's), or the config pays
 * on the embedded simulator, asks that gateway (`POST <reconcile>`) instead. Resolves 0 when there
 * is no difference, 1 when there are, 2 on an error (one line on stderr).
 */
export async function reconcileCommand(ctx: CliContext, flags: ReconcileFlags): Promise<number> {
  const file = configFile(ctx, flags.config);
  if (file === undefined) {
    ctx.err("wxpay-gateway reconcile: needs the gateway's configuration: --config FILE or CONF_FILE\n");
    return 2;
  }
  if (flags.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(flags.date)) {
    ctx.err(`wxpay-gateway reconcile: --date must be a day written YYYY-MM-DD, such as 2026-12-06, not "${flags.date}"\n`);
    return 2;
  }
  try {
    const config = loadWithWarnings(ctx, file);
    const reports = needsEmbeddedSimulator(config)
      ? await reconcileThroughGateway(ctx, config, flags)
      : await reconcileHere(ctx, config, flags);
    printReports(ctx, reports, flags.json);
    return reports.some((r) => r.differences.length > 0) ? 1 : 0;
  } catch (error) {
    ctx.err(`${error instanceof ReconcileFailed ? `wxpay-gateway reconcile: ${error.message}` : describeFailure(error)}\n`);
    return 2;
  }
}

/** Opens the store and reconciles in this process; a store held by a running gateway → that gateway. */
async function reconcileHere(ctx: CliContext, config: GatewayConfig, flags: ReconcileFlags): Promise<ReconcileReport[]> {
  // Logs go to stderr (stdout carries the report), errors only unless LOG_LEVEL says otherwise.
  const logger = ctx.logger ?? createGatewayLogger({ level: ctx.env['LOG_LEVEL'] || 'error', destination: destination(2) });
  const localBaseUrl = gatewayBaseUrl(config);
  let rt: GatewayRuntime;
  try {
    rt = await buildRuntime({
      config,
      logger,
      // The outbox gets what fires; the running gateway's forwarder (or the next to start) delivers it.
      forwarder: false,
      simulator: undefined,
      reconcileSchedule: false,
      localBaseUrl,
      wxpayOptions: (simulatorUrl) => withoutSweeper(toWxPayOptions(config, { localBaseUrl, simulatorUrl })),
    });
  } catch (error) {
    if (isWxPayKitError(error) && error.code === 'WXPAY_ERR_STORE' && /in use by process/.test(error.message)) {
      return reconcileThroughGateway(ctx, config, flags);
    }
    throw error;
  }
  const progress = progressLine(ctx);
  try {
    return await reconcileDay(rt.wxpay, rt.store, logger, { date: flags.date, merchant: flags.merchant, onProgress: progress.update });
  } finally {
    progress.done();
    await rt.close();
  }
}

/** The one-off instance runs no sweeper: that is the server's work. */
function withoutSweeper<T extends object>(options: T): T {
  const { sweep: _sweep, ...rest } = options as T & { sweep?: unknown };
  return rest as T;
}

/** Where the gateway of `config` listens, as seen from this machine. */
function gatewayBaseUrl(config: GatewayConfig): string {
  const host = !config.listenHost || config.listenHost === '0.0.0.0' || config.listenHost === '::' ? '127.0.0.1' : config.listenHost;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.listenPort}`;
}

/** Asks the running gateway of `config` to reconcile (`POST <reconcile>`, with its bearer token). */
async function reconcileThroughGateway(ctx: CliContext, config: GatewayConfig, flags: ReconcileFlags): Promise<ReconcileReport[]> {
  if (!config.endpoints.reconcile) {
    throw new ReconcileFailed('the gateway holds the store, and its "reconcile" endpoint is turned off in the config');
  }
  const url = `${gatewayBaseUrl(config)}${config.endpoints.reconcile}`;
  if (ctx.errIsTTY) ctx.err(`wxpay-gateway reconcile: the running gateway holds the store; asking it at ${url}\n`);
  let reply: Response;
  try {
    reply = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(config.bearerToken === undefined ? {} : { authorization: `Bearer ${config.bearerToken}` }),
      },
      body: JSON.stringify({ date: flags.date, merchant: flags.merchant }),
    });
  } catch (error) {
    throw new ReconcileFailed(
      `the store is held by another process and no gateway answers at ${url} (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message})`,
    );
  }
  const text = await reply.text();
  let body: { reports?: ReconcileReport[]; msg?: string; message?: string } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  if (!reply.ok || !Array.isArray(body?.reports)) {
    const why = body?.msg ?? body?.message ?? text.slice(0, 200);
    throw new ReconcileFailed(`the running gateway at ${url} answered ${reply.status}: ${why}`);
  }
  return body.reports;
}

/** A single updating line on stderr while bill lines are checked, when stderr is a terminal. */
function progressLine(ctx: CliContext): { update?: (merchant: string, done: number, total: number) => void; done(): void } {
  if (!ctx.errIsTTY) return { done: () => undefined };
  const WIDTH = 30;
  let last = '';
  let drawn = false;
  return {
    update(merchant, done, total) {
      const share = total === 0 ? 1 : done / total;
      const percent = Math.floor(share * 100);
      // Redrawn only when the percentage (or the merchant) changes.
      const key = `${merchant} ${percent}`;
      if (key === last) return;
      last = key;
      drawn = true;
      const filled = Math.round(share * WIDTH);
      ctx.err(`\r\u001b[K${merchant} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${percent}% ${done}/${total} bill lines`);
    },
    done() {
      if (drawn) ctx.err('\r\u001b[K');
    },
  };
}

/** The reports on stdout: JSON, one object per merchant and line, or a summary and one line per difference. */
function printReports(ctx: CliContext, reports: readonly ReconcileReport[], json: boolean): void {
  for (const r of reports) {
    if (json) {
      ctx.out(`${JSON.stringify({ date: r.date, merchant: r.merchant, checked: r.checked, differences: r.differences })}\n`);
      continue;
    }
    const n = r.differences.length;
    ctx.out(`${r.date} ${r.merchant}: ${r.checked} checked, ${n === 0 ? 'no difference' : `${n} difference${n === 1 ? '' : 's'}`}\n`);
    for (const d of r.differences) {
      const fired = d.kind === 'missing-here' ? (d.fired ? ' (delivered now)' : ' (NOT delivered: see the log)') : '';
      const refund = d.refundId === undefined ? '' : ` refund ${d.refundId}`;
      ctx.out(
        `  ${d.kind.padEnd(17)} order ${d.orderId}${refund} transaction ${d.transactionId || '-'} ours ${JSON.stringify(d.ours)} wechat ${JSON.stringify(d.wechat)}${fired}\n`,
      );
    }
  }
}
