import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ProjectionStatus, Tandem } from '@tandem/core';
import type { RateLimitReason } from './rate-limits.js';
import { unhandledRejectionCount } from './rejection-guard.js';
import { registerCommandMetrics } from './command-metrics.js';
import { registerHttpRequestMetrics, type HttpRequestMetrics } from './http-request-metrics.js';

/** The metrics one server exposes, and the counters its parts move. */
export interface HttpMetrics {
  readonly registry: Registry;
  /** Counts a request the rate limits refused. */
  rateLimited(reason: RateLimitReason): void;
  /** The registry's text, read fresh (one projection status read feeds every projection gauge). */
  render(): Promise<string>;
  /** HTTP request counts and durations, moved by the server's request hooks. */
  readonly httpRequests: HttpRequestMetrics;
  /** Stops listening to the app's hooks (commands, commits): the server closed. */
  close(): void;
}

/**
 * Prometheus metrics: the process, the log head and, per projection runner, its position, lag in
 * events and seconds, parked events and whether it is stopped on an error; requests refused by
 * the rate limits, by reason; and unhandled promise rejections the process guard caught.
 */
export function createHttpMetrics(tandem: Tandem): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tandem_process_' });
  let statuses: ProjectionStatus[] = [];
  const labels = ['projection', 'namespace'] as const;
  const perRunner = (name: string, help: string, value: (s: ProjectionStatus) => number) =>
    new Gauge({
      name,
      help,
      labelNames: labels,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of statuses) this.set({ projection: s.name, namespace: s.namespace }, value(s));
      },
    });
  new Gauge({
    name: 'tandem_log_head_position',
    help: 'Global position of the newest committed event',
    registers: [registry],
    async collect() {
      this.set(await tandem.events.headPosition());
    },
  });
  perRunner('tandem_projection_position', 'Checkpoint of the projection', (s) => s.position);
  perRunner('tandem_projection_lag_events', 'Events between the checkpoint and the head', (s) => s.lagEvents);
  perRunner('tandem_projection_lag_seconds', 'Age of the oldest unapplied event', (s) => s.lagSeconds);
  perRunner('tandem_projection_parked_events', 'Events parked by the skip policy', (s) => s.parked);
  perRunner(
    'tandem_projection_stopped_on_error',
    '1 when the projection is halted at a failing event',
    (s) => (s.state === 'stopped-on-error' ? 1 : 0),
  );
  const rateLimited = new Counter({
    name: 'tandem_http_rate_limited_total',
    help: 'Requests answered 429 by the rate limits, by the bucket that was spent',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'tandem_unhandled_rejections_total',
    help: 'Promise rejections nothing handled, caught and logged by the process guard (each one is a bug)',
    registers: [registry],
    collect() {
      this.set(unhandledRejectionCount());
    },
  });
  const stopCommandMetrics = registerCommandMetrics(registry, tandem);
  const httpRequests = registerHttpRequestMetrics(registry);
  return {
    registry,
    httpRequests,
    close: () => stopCommandMetrics(),
    rateLimited: (reason) => rateLimited.inc({ reason }),
    async render() {
      statuses = (await tandem.projections?.status()) ?? [];
      return registry.metrics();
    },
  };
}
