import { Counter, Gauge, type Registry } from 'prom-client';
import type { Tandem } from '@tandem/core';
import type { ReadinessReport } from './readiness.js';

/**
 * Timer and background job metrics: gauges of pending and overdue timers (from the summary the
 * scrape's readiness look read, by the database's clock), `tandem_job_up{job}` (1 while this
 * process runs the job, 0 on standby, failing or stopped), and `tandem_timers_fired_total{outcome}`
 * counting this process's firings, `committed` or `refused`. Answers the function that stops
 * counting (the server closed).
 */
export function registerTimerMetrics(
  registry: Registry,
  tandem: Tandem,
  report: () => ReadinessReport | undefined,
): () => void {
  const summaryGauge = (name: string, help: string, value: (pending: number, overdue: number) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const timers = report()?.timers;
        // The store could not be read: nothing rather than a stale count (see tandem_ready).
        if (timers === undefined) this.reset();
        else this.set(value(timers.pending, timers.overdue));
      },
    });
  summaryGauge('tandem_timers_pending', 'Timers scheduled and not yet fired', (pending) => pending);
  summaryGauge(
    'tandem_timers_overdue',
    "Pending timers already due by the database's clock (a scheduler behind, or none running)",
    (_pending, overdue) => overdue,
  );
  new Gauge({
    name: 'tandem_job_up',
    help: '1 while this process runs the background job (holds its lease, last round succeeded)',
    labelNames: ['job'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const job of tandem.jobs()) this.set({ job: job.name }, job.state === 'running' ? 1 : 0);
    },
  });
  const fired = new Counter({
    name: 'tandem_timers_fired_total',
    help: 'Timers this process fired, by outcome: committed (the command took effect) or refused',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Both series exist from the start, so a rate over them is defined before the first firing.
  fired.inc({ outcome: 'committed' }, 0);
  fired.inc({ outcome: 'refused' }, 0);
  return (
    tandem.scheduler?.onFiring((firing) => {
      if (firing === 'committed' || firing === 'refused') fired.inc({ outcome: firing });
    }) ?? (() => {})
  );
}
