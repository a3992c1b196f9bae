import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  projectionStates,
  stallCauses,
  type LocalProjectionStatus,
  type ProjectionStatus,
  type Tandem,
} from '@tandem/core';
import type { Readiness, ReadinessReport } from './readiness.js';

/** The projection metrics of one registry. */
export interface ProjectionMetrics {
  /** Reads the projections' status (and readiness) once, for the gauges of this scrape. */
  refresh(): Promise<void>;
  /** Stops listening to the daemon. */
  close(): void;
  /** The readiness look of the last scrape, for the other gauges read from it (timers). */
  report(): ReadinessReport | undefined;
}

const labelNames = ['projection', 'namespace'] as const;

/**
 * Projection metrics: per namespace, gauges read at each scrape (position, lag in events and
 * seconds, parked events, state, stalls and their cause, rebuild progress), and, from the daemon's
 * observer, per projection histograms of batch apply time and size, a failure counter and the
 * last rebuild's duration; `tandem_ready` says whether `/health/ready` would answer 200.
 */
export function registerProjectionMetrics(
  registry: Registry,
  tandem: Tandem,
  readiness: Readiness,
): ProjectionMetrics {
  let report: ReadinessReport | undefined;
  /** The statuses of this scrape: full ones, or what is known without the store. */
  const statuses = (): readonly (LocalProjectionStatus & Partial<ProjectionStatus>)[] =>
    report === undefined ? [] : report.head === undefined ? report.local : report.projections;
  const perNamespace = (name: string, help: string, value: (s: ProjectionStatus) => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        // Lag and position need the store: nothing is reported rather than a stale number.
        if (report?.head === undefined) return;
        for (const s of report.projections)
          this.set({ projection: s.name, namespace: s.namespace }, value(s));
      },
    });
  perNamespace('tandem_projection_position', 'Checkpoint of the projection', (s) => s.position);
  perNamespace(
    'tandem_projection_lag_events',
    'Events between the checkpoint and the head',
    (s) => s.lagEvents,
  );
  perNamespace('tandem_projection_lag_seconds', 'Age of the oldest unapplied event', (s) => s.lagSeconds);
  perNamespace('tandem_projection_parked_events', 'Events parked by the skip policy', (s) => s.parked);
  new Gauge({
    name: 'tandem_projection_stopped_on_error',
    help: '1 when the projection is halted at a failing event',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of statuses())
        this.set({ projection: s.name, namespace: s.namespace }, s.state === 'stopped-on-error' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tandem_projection_state',
    help: 'The projection state: 1 for the current one, 0 for the others',
    labelNames: [...labelNames, 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of statuses())
        for (const state of projectionStates)
          this.set({ projection: s.name, namespace: s.namespace, state }, s.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tandem_projection_stalled',
    help: '1 while the projection has events to apply and its checkpoint does not move',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of statuses())
        this.set({ projection: s.name, namespace: s.namespace }, s.stall === undefined ? 0 : 1);
    },
  });
  new Gauge({
    name: 'tandem_projection_stall_info',
    help: '1 while the projection is stalled, labelled with the cause',
    labelNames: [...labelNames, 'cause'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of statuses()) {
        const cause = s.stall?.cause;
        if (cause !== undefined && stallCauses.includes(cause))
          this.set({ projection: s.name, namespace: s.namespace, cause }, 1);
      }
    },
  });
  new Gauge({
    name: 'tandem_ready',
    help: '1 when /health/ready would answer 200',
    registers: [registry],
    collect() {
      this.set(report?.ready === true ? 1 : 0);
    },
  });
  const applyDuration = new Histogram({
    name: 'tandem_projection_apply_duration_seconds',
    help: 'Time to apply and commit one batch',
    labelNames: ['projection'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'tandem_projection_batch_size',
    help: 'Events per applied batch',
    labelNames: ['projection'],
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'tandem_projection_failures_total',
    help: 'Failed attempts to apply events (each retry counts), outages included',
    labelNames: ['projection'],
    registers: [registry],
  });
  const rebuildProgress = new Gauge({
    name: 'tandem_projection_rebuild_progress',
    help: 'How far a rebuild in this process is, from 0 to 1 (1 once swapped in)',
    labelNames,
    registers: [registry],
  });
  const rebuildDuration = new Gauge({
    name: 'tandem_projection_rebuild_duration_seconds',
    help: 'Duration of the last completed rebuild in this process',
    labelNames: ['projection'],
    registers: [registry],
  });
  const unobserve =
    tandem.projections?.observe((event) => {
      switch (event.kind) {
        case 'batch-applied':
          applyDuration.observe({ projection: event.projection }, event.durationMs / 1000);
          batchSize.observe({ projection: event.projection }, event.events);
          return;
        case 'failure':
          failures.inc({ projection: event.projection });
          return;
        case 'rebuild-progress':
          rebuildProgress.set({ projection: event.projection, namespace: event.namespace }, event.progress);
          return;
        case 'rebuild-finished':
          rebuildProgress.set({ projection: event.projection, namespace: event.namespace }, 1);
          rebuildDuration.set({ projection: event.projection }, event.durationMs / 1000);
          return;
      }
    }) ?? (() => {});
  return {
    async refresh() {
      report = await readiness.check();
    },
    report: () => report,
    close: unobserve,
  };
}
