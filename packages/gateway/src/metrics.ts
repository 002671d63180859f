/**
 * `GET /metrics`: the gateway's Prometheus metrics (prom-client). HTTP requests by route and
 * status, WeChat's notifications by outcome, events fired, WeChat API calls by API and outcome
 * (with latency), reconciliation mismatches by kind, the forwarder's backlog, oldest pending age,
 * deliveries and dead letters, the sweeper's pending orders, oldest unresolved age and sweeps by
 * outcome, and the process's own metrics. The core reports through `node:diagnostics_channel`
 * (`DIAGNOSTICS_CHANNELS`), so hosts of the adapters can collect the same with their own library.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { DIAGNOSTICS_CHANNELS, type NotificationDiagnostic, type SweepStats, type WechatCallDiagnostic, type WxPay } from '@wxpay-kit/core';
import type { ForwarderStore } from '@wxpay-kit/forwarder';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The gateway's metrics: a registry to scrape and a `close()` that stops collecting. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Records one HTTP request the gateway answered (any endpoint, the core's or its own). */
  observeRequest(endpoint: string, method: string, status: number, seconds: number): void;
  close(): void;
}

/** Metrics for one gateway: listeners on `wxpay`, subscriptions to the core's channels, store stats at scrape time. */
export function createGatewayMetrics(wxpay: WxPay, store: ForwarderStore): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wxpay_gateway_' });
  const requests = new Counter({
    name: 'wxpay_gateway_http_requests_total',
    help: 'HTTP requests answered, by endpoint (route pattern) and status',
    labelNames: ['endpoint', 'method', 'status'] as const,
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'wxpay_gateway_http_request_duration_seconds',
    help: 'Time to answer an HTTP request',
    labelNames: ['endpoint'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'wxpay_notifications_total',
    help: "WeChat's notifications by route, API version and outcome (acknowledged, refused) and the refusal's code",
    labelNames: ['route', 'version', 'outcome', 'code'] as const,
    registers: [registry],
  });
  const events = new Counter({
    name: 'wxpay_events_total',
    help: 'Events fired (paid, refunded, refund-failed, …) by app',
    labelNames: ['event', 'app'] as const,
    registers: [registry],
  });
  const wechatCalls = new Histogram({
    name: 'wxpay_wechat_call_duration_seconds',
    help: 'Calls to WeChat Pay (each attempt), by API and outcome',
    labelNames: ['api', 'outcome', 'code'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const mismatches = new Counter({
    name: 'wxpay_reconcile_mismatches_total',
    help: "Differences daily reconciliation found with WeChat's trade bill, by kind (missing-here, missing-at-wechat, amount, refund) and merchant",
    labelNames: ['kind', 'merchant'] as const,
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'wxpay_forwarder_deliveries_total',
    help: "Results relayed to apps' callbacks, by outcome (delivered, dead)",
    labelNames: ['outcome', 'app'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'wxpay_forwarder_backlog',
    help: 'Results waiting for delivery (pending and in flight)',
    registers: [registry],
    async collect() {
      const s = await store.stats(Date.now());
      this.set(s.pending + s.inFlight);
    },
  });
  new Gauge({
    name: 'wxpay_forwarder_oldest_pending_age_seconds',
    help: 'Age of the oldest result not yet delivered',
    registers: [registry],
    async collect() {
      this.set((await store.stats(Date.now())).oldestPendingAgeMs / 1000);
    },
  });
  new Gauge({
    name: 'wxpay_forwarder_dead_letters',
    help: 'Results given up on (replay them with wxpay-forwarder replay --dead)',
    registers: [registry],
    async collect() {
      this.set((await store.stats(Date.now())).dead);
    },
  });

  const sweeper = wxpay.sweeper;
  if (sweeper !== undefined) {
    // One stats() call serves the sweeper's metrics of one scrape.
    let cached: { at: number; stats: Promise<SweepStats> } | undefined;
    const sweepStats = (): Promise<SweepStats> => {
      const at = Date.now();
      if (cached === undefined || at - cached.at > 500) cached = { at, stats: sweeper.stats() };
      return cached.stats;
    };
    new Gauge({
      name: 'wxpay_sweeper_pending_orders',
      help: 'Orders (and refunds) waiting for a result that the sweeper queries, across every instance on the store',
      registers: [registry],
      async collect() {
        this.set((await sweepStats()).pending);
      },
    });
    new Gauge({
      name: 'wxpay_sweeper_oldest_unresolved_age_seconds',
      help: 'Age of the oldest order the sweeper still waits on',
      registers: [registry],
      async collect() {
        this.set((await sweepStats()).oldestUnresolvedMs / 1000);
      },
    });
    new Gauge({
      name: 'wxpay_sweeper_last_sweep_timestamp_seconds',
      help: "When this instance's last pass over the sweep queue ended (Unix time; 0 before the first)",
      registers: [registry],
      async collect() {
        this.set(((await sweepStats()).lastPassAt ?? 0) / 1000);
      },
    });
    new Counter({
      name: 'wxpay_sweeps_total',
      help: 'Sweeps of one order or refund by this instance, by outcome (paid, closed, unpaid, refunded, refund-failed, dropped, error)',
      labelNames: ['outcome'] as const,
      registers: [registry],
      async collect() {
        const { outcomes } = await sweepStats();
        this.reset();
        for (const [outcome, n] of Object.entries(outcomes)) this.inc({ outcome }, n);
      },
    });
  }

  for (const event of ['paid', 'refunded', 'refund-failed', 'closed'] as const) {
    wxpay.on(event, (e) => void events.inc({ event, app: e.app }));
  }
  wxpay.on('reconcile-mismatch', (e) => void mismatches.inc({ kind: e.kind, merchant: e.merchant }));
  wxpay.on('forward-delivered', (e) => void deliveries.inc({ outcome: 'delivered', app: e.app }));
  wxpay.on('forward-dead', (e) => void deliveries.inc({ outcome: 'dead', app: e.app }));

  const onNotification = (m: unknown): void => {
    const n = m as NotificationDiagnostic;
    notifications.inc({ route: n.route, version: n.version, outcome: n.outcome, code: n.code ?? '' });
  };
  const onWechatCall = (m: unknown): void => {
    const c = m as WechatCallDiagnostic;
    wechatCalls.observe({ api: c.api, outcome: c.outcome, code: c.code ?? '' }, c.durationMs / 1000);
  };
  subscribe(DIAGNOSTICS_CHANNELS.notification, onNotification);
  subscribe(DIAGNOSTICS_CHANNELS.wechatCall, onWechatCall);

  return {
    registry,
    observeRequest(endpoint, method, status, seconds) {
      requests.inc({ endpoint, method, status: String(status) });
      requestSeconds.observe({ endpoint }, seconds);
    },
    close() {
      unsubscribe(DIAGNOSTICS_CHANNELS.notification, onNotification);
      unsubscribe(DIAGNOSTICS_CHANNELS.wechatCall, onWechatCall);
      registry.clear();
    },
  };
}
