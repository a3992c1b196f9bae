import { Counter, Histogram, type Registry } from 'prom-client';

/** Counts and times HTTP requests (see {@link registerHttpRequestMetrics}). */
export interface HttpRequestMetrics {
  /** Records one answered request. `route` is the Fastify route pattern, or `unmatched`. */
  observe(method: string, route: string, status: number, seconds: number): void;
}

/**
 * `tandem_http_requests_total{method,route,status}` and
 * `tandem_http_request_duration_seconds{method,route}` on `registry`. Routes are patterns
 * (`/commands/:type`), never the URL a caller sent: the label set stays bounded.
 */
export function registerHttpRequestMetrics(registry: Registry): HttpRequestMetrics {
  const requests = new Counter({
    name: 'tandem_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern (or unmatched) and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tandem_http_request_duration_seconds',
    help: 'Time from a request arriving to its answer being sent, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    observe(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
  };
}
