import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Tandem } from '@tandem/core';
import { registerProjectionMetrics } from './projection-metrics.js';
import { registerTimerMetrics } from './timer-metrics.js';
import { Readiness } from './readiness.js';
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
  /** Stops listening to the app's hooks (commands, commits) and the projection daemon: the server closed. */
  close(): void;
}

/**
 * Prometheus metrics: the process, the log head, the projections (`projection-metrics.ts`), the
 * timers and background jobs (`timer-metrics.ts`) and readiness (`tandem_ready`, judged by `readiness` as `/health/ready` does); requests refused by
 * the rate limits, by reason; and unhandled promise rejections the process guard caught.
 */
export function createHttpMetrics(tandem: Tandem, readiness = new Readiness(tandem)): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tandem_process_' });
  new Gauge({
    name: 'tandem_log_head_position',
    help: 'Global position of the newest committed event',
    registers: [registry],
    async collect() {
      try {
        this.set(await tandem.events.headPosition());
      } catch {
        this.reset(); // the store is unreachable: no head rather than a stale one (see tandem_ready)
      }
    },
  });
  const projections = registerProjectionMetrics(registry, tandem, readiness);
  const stopTimerMetrics = registerTimerMetrics(registry, tandem, () => projections.report());
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
    rateLimited: (reason) => rateLimited.inc({ reason }),
    async render() {
      await projections.refresh();
      return registry.metrics();
    },
    close: () => {
      stopCommandMetrics();
      stopTimerMetrics();
      projections.close();
    },
  };
}
