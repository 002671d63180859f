/**
 * Notification intake under a fixed rate: autocannon sends distinct signed pay notifications
 * (so no copy is short-circuited by the dedup) to a host process and reports throughput and
 * reply latency, and whether every answer was SUCCESS.
 */
import autocannon from 'autocannon';
import { payNotification } from './support.js';

/** What one load run measured. */
export interface LoadFigures {
  readonly target: string;
  readonly rate: number;
  readonly seconds: number;
  readonly connections: number;
  readonly sent: number;
  readonly notificationsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  /** Answers that were not a WeChat SUCCESS acknowledgement. */
  readonly notSuccess: number;
}

/** Sends `rate` notifications per second to `<url>/notify-pay/shop` for `seconds`. */
export async function runIntakeLoad(target: string, url: string, rate: number, seconds: number, connections = 20): Promise<LoadFigures> {
  const stamp = Date.now().toString(36);
  // Signed as they are sent (tens of microseconds each), so long runs hold no body list.
  let next = 0;
  const body = (i: number): string =>
    payNotification({ transaction_id: `42${stamp}${String(i).padStart(12, '0')}`.slice(0, 28), out_trade_no: `L${stamp}${i}` });
  let notSuccess = 0;
  const result = await autocannon({
    url: `${url}/notify-pay/shop`,
    connections,
    duration: seconds,
    overallRate: rate,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        setupRequest: (request) => ({ ...request, body: body((next += 1)) }),
        onResponse: (_status, body) => {
          if (!body.includes('<return_code><![CDATA[SUCCESS]]>')) notSuccess += 1;
        },
      },
    ],
  });
  return {
    target,
    rate,
    seconds,
    connections,
    sent: result.requests.sent,
    notificationsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    notSuccess,
  };
}
