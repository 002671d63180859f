/**
 * Child process: autocannon against one notify route, each request a freshly signed notification
 * with its own transaction id (as WeChat sends them) when `--unique` (`--pool` of them), else one
 * fixed body.
 * `--url --connections --warmup --duration` (seconds). Prints `{ rps, p50, p99, non2xx, errors }` for the measured part (latencies in ms).
 */
import autocannon from 'autocannon';
import { notificationXml, uniqueNotifications } from './fixtures.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1]!;
};
const url = arg('url', 'http://127.0.0.1:1/wxpay/notify-pay/shop');
const connections = Number(arg('connections', '50'));
const warmup = Number(arg('warmup', '2'));
const duration = Number(arg('duration', '10'));
const prefix = `42000001232024${String(process.pid).padStart(6, '0').slice(-6)}`;

const unique = args.includes('--unique');
const pool = Number(arg('pool', '150000'));
const fixed = notificationXml(`${prefix}00000000`);

// Made before the run, so the load generator spends its core on load, not on signing. After
// `pool` requests they repeat (the routes then answer redeliveries from their dedup state).
const bodies = unique ? uniqueNotifications(pool, prefix) : [fixed];
let next = 0;
const body = (): string => bodies[next++ % bodies.length]!;

function run(seconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8' },
        requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

if (warmup > 0) await run(warmup);
const result = await run(duration);
process.stdout.write(
  `${JSON.stringify({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts })}\n`,
);
