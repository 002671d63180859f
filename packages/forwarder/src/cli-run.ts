import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isWxPayKitError } from '@wxpay-kit/core';
import type { OutboxRecord, OutboxState } from './outbox.js';
import { openStore } from './open-store.js';

/** Where the CLI writes. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly now?: () => number;
}

const USAGE = `Usage: wxpay-forwarder <command> --store <file:DIR | redis://HOST:PORT[?prefix=P]> [--json]

Commands:
  status                 counts: pending, in flight, delivered, dead, oldest pending age
  list [--dead | --pending | --delivered] [--limit N]
                         the newest N records (default 100), oldest first
  replay <webhook-id>    queue a delivered or dead result for redelivery
  replay --dead          queue every dead letter for redelivery

Options: --store LOCATION (or $WXPAY_FORWARDER_STORE), --json, -v/--version, -h/--help

The file store is owned by one process: stop the forwarder before replaying from the CLI
(status and list read it while it runs).
`;

/** The package's version, from its package.json (beside src/ and dist/). */
export function forwarderVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function line(r: OutboxRecord): string {
  const when = new Date(r.createdAt).toISOString();
  const last = r.lastError ? ` last=${r.lastError}` : '';
  return `${r.id}  ${r.state.padEnd(9)} ${r.app}  ${r.event}  attempts=${r.attempts}  created=${when}${last}`;
}

/**
 * Runs `wxpay-forwarder` with the given arguments (without `node` and the script). Resolves the
 * exit code: 0 done, 1 failed, 2 bad usage.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        store: { type: 'string', short: 's' },
        dead: { type: 'boolean' },
        pending: { type: 'boolean' },
        delivered: { type: 'boolean' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, target] = positionals;
  if (values.version) {
    io.out(`wxpay-forwarder ${forwarderVersion()}\n`);
    return 0;
  }
  if (values.help || command === undefined) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }
  if (!['status', 'list', 'replay'].includes(command)) {
    io.err(`unknown command: ${command}\n\n${USAGE}`);
    return 2;
  }
  const location = values.store ?? process.env['WXPAY_FORWARDER_STORE'];
  if (!location) {
    io.err(`--store is required (or WXPAY_FORWARDER_STORE)\n\n${USAGE}`);
    return 2;
  }
  if (command === 'replay' && !values.dead && !target) {
    io.err(`replay needs a webhook-id or --dead\n\n${USAGE}`);
    return 2;
  }
  const now = io.now ?? Date.now;
  const print = (value: unknown, text: string): void => io.out(values.json ? `${JSON.stringify(value)}\n` : text);
  if (location.startsWith('file:')) {
    const dir = location.slice('file:'.length);
    if (!existsSync(join(dir, 'outbox.log'))) {
      io.err(`no forwarder store at ${dir} (no outbox.log there): check --store; a gateway's store is its "store-dir" or --data-dir\n`);
      return 1;
    }
  }
  let store;
  try {
    store = await openStore(location, { readOnly: command !== 'replay' });
  } catch (error) {
    io.err(`${isWxPayKitError(error) ? error.message : `cannot open ${location}: ${(error as Error).message}`}\n`);
    return 1;
  }
  try {
    if (command === 'status') {
      const s = await store.stats(now());
      print(
        s,
        `pending     ${s.pending}\nin flight   ${s.inFlight}\ndelivered   ${s.delivered}\ndead        ${s.dead}\n` +
          `oldest pending age  ${Math.round(s.oldestPendingAgeMs / 1000)} s\n`,
      );
    } else if (command === 'list') {
      const state: OutboxState | undefined = values.dead ? 'dead' : values.pending ? 'pending' : values.delivered ? 'delivered' : undefined;
      const limit = values.limit === undefined ? 100 : Number.parseInt(values.limit, 10);
      if (!Number.isInteger(limit) || limit <= 0) {
        io.err('--limit must be a positive integer\n');
        return 2;
      }
      const records = [...(await store.list({ state, limit }))].sort((a, b) => a.createdAt - b.createdAt);
      print(
        records.map(({ body: _body, ...rest }) => rest),
        records.length === 0 ? 'no records\n' : `${records.map(line).join('\n')}\n`,
      );
    } else if (values.dead) {
      const n = await store.replayDead(now());
      print({ replayed: n }, `${n} dead letter(s) queued for redelivery\n`);
    } else {
      const ok = await store.replay(target!, now());
      if (!ok) {
        io.err(`${target} is unknown or still pending\n`);
        return 1;
      }
      print({ replayed: 1 }, `${target} queued for redelivery\n`);
    }
    return 0;
  } catch (error) {
    io.err(`${isWxPayKitError(error) ? error.message : (error as Error).message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}
