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
                         records, oldest first
  replay <webhook-id>    send a delivered or dead result again
  replay --dead          send every dead letter again

The file store is owned by one process: stop the forwarder before replaying from the CLI
(status and list read it while it runs).
`;

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
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, target] = positionals;
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
      const records = await store.list({ state, limit });
      print(
        records.map(({ body: _body, ...rest }) => rest),
        records.length === 0 ? 'no records\n' : `${records.map(line).join('\n')}\n`,
      );
    } else if (values.dead) {
      const n = await store.replayDead(now());
      print({ replayed: n }, `replayed ${n} dead letter(s)\n`);
    } else {
      const ok = await store.replay(target!, now());
      if (!ok) {
        io.err(`${target} is unknown or still pending\n`);
        return 1;
      }
      print({ replayed: 1 }, `replayed ${target}\n`);
    }
    return 0;
  } catch (error) {
    io.err(`${isWxPayKitError(error) ? error.message : (error as Error).message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}
