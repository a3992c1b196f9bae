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
