/**
 * Child process: autocannon against one notify route, each request a freshly signed notification
 * with its own transaction id (as WeChat sends them) when `--unique`, else one fixed body.
 * `--url --connections --warmup --duration` (seconds). Prints `{ rps, p50, p99, non2xx, errors }` for the measured part (latencies in ms).
 */
import autocannon from 'autocannon';
import { notificationXml } from './fixtures.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1]!;
};
const url = arg('url', 'http://127.0.0.1:1/wxpay/notify-pay/shop');
const connections = Number(arg('connections', '50'));
const warmup = Number(arg('warmup', '2'));
const duration = Number(arg('duration', '10'));
let sequence = 0;
const prefix = `42000001232024${String(process.pid).padStart(6, '0').slice(-6)}`;

const unique = args.includes('--unique');
const fixed = notificationXml(`${prefix}00000000`);
/** Unique: each request a fresh notification, signed here; otherwise one fixed body (ceilings). */
const body = unique ? () => notificationXml(`${prefix}${String(++sequence).padStart(8, '0')}`) : () => fixed;

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
