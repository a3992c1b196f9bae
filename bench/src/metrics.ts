import type { Metric, Ratio } from './bench-result.js';
import { summarize } from './summarize.js';

/** A metric from its per-run values. */
export function metric(name: string, unit: string, runs: readonly number[]): Metric {
  return { name, unit, ...summarize(runs) };
}

/** `numerator / denominator`, run by run (the pairs were measured back to back in the same run). */
export function ratio(name: string, numerator: Metric, denominator: Metric, target?: number): Ratio {
  const runs = numerator.runs.map((n, i) => n / (denominator.runs[i] ?? Number.NaN));
  return {
    name,
    numerator: numerator.name,
    denominator: denominator.name,
    ...(target === undefined ? {} : { target }),
    ...summarize(runs),
  };
}

/**
 * The `${who} p50 latency` and `${who} p99 latency` metrics (ms) of HTTP load rounds, one value
 * per run: the pair each side of the HTTP benchmarks reports next to its throughput.
 */
export function latencyMetrics(
  who: string,
  rounds: readonly { readonly p50: number; readonly p99: number }[],
): Metric[] {
  return [
    metric(
      `${who} p50 latency`,
      'ms',
      rounds.map((r) => r.p50),
    ),
    metric(
      `${who} p99 latency`,
      'ms',
      rounds.map((r) => r.p99),
    ),
  ];
}
