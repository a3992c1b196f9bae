import type { FastifyInstance } from 'fastify';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ProjectionStatus, Tandem } from '@tandem/core';

/**
 * `GET /metrics` in Prometheus text format: the log head and, per projection runner, its position,
 * lag in events and seconds, parked events, and whether it is stopped on an error.
 */
export function registerMetricsRoute(app: FastifyInstance, tandem: Tandem): void {
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

  app.get('/metrics', async (_request, reply) => {
    // One status read per scrape feeds every projection gauge.
    statuses = (await tandem.projections?.status()) ?? [];
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
