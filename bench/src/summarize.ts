/** The runs of one measurement with their median and spread. */
export interface Summary {
  readonly runs: readonly number[];
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** The median (mean of the middle two for an even count), min and max of `runs`. */
export function summarize(runs: readonly number[]): Summary {
  if (runs.length === 0) return { runs, median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { runs, median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0 };
}

/** The `q` quantile (0..1) of unsorted samples, nearest rank; NaN when there are none. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}
