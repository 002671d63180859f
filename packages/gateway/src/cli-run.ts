import { parseArgs } from 'node:util';
import { gatewayVersion, type CliContext } from './cli-context.js';

const USAGE = `Usage:
  wxpay-gateway [--config FILE] [--host HOST] [--port N] [--no-forwarder]
      Serve the go-wxpay-gateway HTTP API. The config file is FILE, or $CONF_FILE.
      With no config at all: an embedded WeChat Pay simulator, demo merchants on API v2
      and v3 with an app each, and a demo shop page, so you can watch a payment end to end.
  wxpay-gateway notify [--config FILE]
      Deliver results to the apps' callbacks as a process of its own (go-wxpay-notify).
      Needs a store both processes can open (redis://); run the gateway with --no-forwarder.
  wxpay-gateway reconcile [--config FILE] [--date YYYY-MM-DD] [--merchant NAME] [--json]
      Compare each merchant's trade bill of a day (default yesterday, China time) with what the
      gateway recorded and delivered; a payment never delivered is delivered now. Same config as
      the server; works while it runs. Exit 0: no difference, 1: differences, 2: error.
  wxpay-gateway getsandbox <appId> <mchId> <apiKey> [--base-url URL]
      Print the sandbox signing key for a merchant (go-wxpay-getsandbox).

Options:
  -c, --config FILE     configuration file (go-wxpay-gateway JSON format)
      --host HOST       listen address (overrides "listen-host")
  -p, --port N          listen port (overrides "listen-port")
      --no-forwarder    do not deliver callbacks in this process
      --data-dir DIR    default mode: where the embedded store lives (default a new temp dir)
      --forward-to URL  default mode: send every callback to your own receiver (prints the signing secret)
      --sim-port N      default mode: the embedded simulator's port (default a free one; see GET /info)
      --base-url URL    getsandbox: WeChat Pay origin (default https://api.mch.weixin.qq.com)
      --date DAY        reconcile: the bill's day, YYYY-MM-DD (default yesterday in China time)
      --merchant NAME   reconcile: one merchant only (default every merchant with an app)
      --json            reconcile: one JSON line per merchant: {date, merchant, checked, differences}
  -v, --version         print the version
  -h, --help            print this help

Environment: CONF_FILE (config file), LOG_LEVEL (info; reconcile: error, on stderr), PORT (default-mode port).
`;

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
        'forward-to': { type: 'string' },
        'sim-port': { type: 'string' },
        'base-url': { type: 'string' },
        date: { type: 'string' },
        merchant: { type: 'string' },
        json: { type: 'boolean' },
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
  let simPort: number | undefined;
  if (values['sim-port'] !== undefined) {
    simPort = Number(values['sim-port']);
    if (!Number.isInteger(simPort) || simPort < 0 || simPort > 65535) {
      ctx.err(`wxpay-gateway: --sim-port must be an integer from 0 to 65535, not "${values['sim-port']}"\n`);
      return 2;
    }
  }
  const forwardTo = values['forward-to'];
  if (forwardTo !== undefined && !isHttpUrl(forwardTo)) {
    ctx.err(
      `wxpay-gateway: --forward-to must be an absolute http(s) URL, such as http://127.0.0.1:3000/webhooks/wxpay, not "${forwardTo}"\n`,
    );
    return 2;
  }
  if ((forwardTo !== undefined || simPort !== undefined) && (values.config ?? ctx.env['CONF_FILE'])) {
    ctx.err(
      "wxpay-gateway: --forward-to and --sim-port are for default mode (no config file); set each app's notify-pay-callback in the config instead\n",
    );
    return 2;
  }
  const [command, ...rest] = positionals;

  // Loaded only now, so --help and --version answer at once.
  const { serve, notify, getSandbox, reconcileCommand, describeFailure } = await import('./cli-commands.js');
  try {
    switch (command) {
      case undefined:
      case 'serve':
        return await serve(ctx, {
          config: values.config,
          host: values.host,
          port,
          forwarder: !values['no-forwarder'],
          dataDir: values['data-dir'],
          forwardTo,
          simPort,
        });
      case 'notify':
        return await notify(ctx, values.config);
      case 'getsandbox':
        return await getSandbox(ctx, rest, values['base-url']);
      case 'reconcile':
        // Every failure is exit 2 here (1 means "differences found").
        return await reconcileCommand(ctx, {
          config: values.config,
          date: values.date,
          merchant: values.merchant,
          json: values.json === true,
        });
      default:
        ctx.err(`wxpay-gateway: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    ctx.err(`${describeFailure(error)}\n`);
    return 1;
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
