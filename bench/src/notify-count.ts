/**
 * Child process for `--compare`'s `I` scenario, run under `valgrind --tool=cachegrind`: loads one
 * build's notify-path bundle (`--paths <file>`), signs `--pool` notifications (each with its own
 * transaction id) and sends the first `--n` of them through one way in (`--path`, a name of
 * notify-path.ts's PATHS), one at a time. compare.ts runs it at several `--n` with the same
 * `--pool`, so the difference of two instruction counts is the cost of the notifications between
 * them alone.
 * Prints `{"sent":n}`.
 */
import { notificationXml } from './fixtures.js';
import { WXPAY_OPTIONS } from './fw-options.js';
import type { notifyPaths as NotifyPaths } from './notify-path.js';

const args = process.argv.slice(2);
const arg = (name: string): string => {
  const i = args.indexOf(`--${name}`);
  if (i === -1 || args[i + 1] === undefined) throw new Error(`notify-count: --${name} is required`);
  return args[i + 1]!;
};
const n = Number(arg('n'));
const poolSize = Number(arg('pool'));
if (!(n <= poolSize)) throw new Error('notify-count: --n must not exceed --pool (each notification is sent once)');

const { notifyPaths } = (await import(arg('paths'))) as { notifyPaths: typeof NotifyPaths };
const call = (await notifyPaths(WXPAY_OPTIONS))[arg('path') as keyof Awaited<ReturnType<typeof NotifyPaths>>];
if (call === undefined) throw new Error(`notify-count: no path ${arg('path')}`);
const pool = Array.from({ length: poolSize }, (_, i) => Buffer.from(notificationXml(`4200000123202412${String(i).padStart(12, '0')}`)));
// A full collection every `--gc-every` notifications (run with --expose-gc): V8 would otherwise
// collect the old generation whenever its heap crosses a threshold, a one-off of tens of millions
// of instructions that falls inside one build's counted stretch and not the other's.
const gcEvery = Number(arg('gc-every'));
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('notify-count: run with --expose-gc');
for (let i = 0; i < n; i++) {
  const status = await call(pool[i]!);
  if (status !== 200) throw new Error(`notify-count: ${arg('path')} answered ${status}`);
  if ((i + 1) % gcEvery === 0) gc();
}
process.stdout.write(`${JSON.stringify({ sent: n })}\n`);
process.exit(0);
