import { Counter, Histogram, type Registry } from 'prom-client';
import type { Tandem } from '@tandem/core';

/**
 * The command metrics on `registry`, fed by the command bus's and the store's observer hooks:
 * - `tandem_commands_total{type,outcome}` and `tandem_command_duration_seconds{type,outcome}`
 *   (outcome `committed`, `replayed` or an error catalog code; type `(unknown)` for an unknown one);
 * - `tandem_command_conflicts_total{type}` (attempts that met a concurrency conflict) and
 *   `tandem_command_retries_total{type}` (attempts run again after one);
 * - `tandem_group_commit_size` (transactions per physical commit, on stores with group commit);
 * - `tandem_audit_failures_total` (audit rows that could not be written).
 * Answers the function that unsubscribes from the hooks.
 */
export function registerCommandMetrics(registry: Registry, tandem: Tandem): () => void {
  const commands = new Counter({
    name: 'tandem_commands_total',
    help: 'Commands settled, by type and outcome (committed, replayed, or the error code)',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tandem_command_duration_seconds',
    help: 'Time to settle a command (validation to commit, retries included), by type and outcome',
    labelNames: ['type', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const conflicts = new Counter({
    name: 'tandem_command_conflicts_total',
    help: 'Command attempts that met a concurrency conflict, by type',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'tandem_command_retries_total',
    help: 'Command attempts run again after a concurrency conflict, by type',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const groupSize = new Histogram({
    name: 'tandem_group_commit_size',
    help: 'Transactions carried by one physical commit (group commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  const auditFailures = new Counter({
    name: 'tandem_audit_failures_total',
    help: 'Audit rows that could not be written (the command was answered regardless)',
    registers: [registry],
  });
  const unsubscribe = [
    tandem.commands.onSettled((settled) => {
      const labels = { type: settled.type, outcome: settled.outcome };
      commands.inc(labels);
      duration.observe(labels, settled.durationMs / 1_000);
      if (settled.conflicts > 0) conflicts.inc({ type: settled.type }, settled.conflicts);
      if (settled.attempts > 1) retries.inc({ type: settled.type }, settled.attempts - 1);
    }),
    tandem.commands.onAuditFailure(() => auditFailures.inc()),
    tandem.store.observeCommits?.((size) => groupSize.observe(size)) ?? (() => undefined),
  ];
  return () => {
    for (const off of unsubscribe) off();
  };
}
