/** The command counters of one sample. */
export interface CommandCounts {
  readonly at: string;
  readonly commands: { readonly settled: number; readonly failed: number };
}

/** uPlot's columns: times (seconds), commands per second, errors per second. */
export type RateColumns = [number[], (number | null)[], (number | null)[]];

/**
 * Per-second command and error rates from consecutive samples of cumulative counters. A counter
 * that went down means the process restarted: that interval is a gap (null), not a negative rate.
 */
export function commandRates(samples: readonly CommandCounts[]): RateColumns {
  const times: number[] = [];
  const rate: (number | null)[] = [];
  const errors: (number | null)[] = [];
  for (let i = 1; i < samples.length; i++) {
    const before = samples[i - 1];
    const now = samples[i];
    if (before === undefined || now === undefined) continue;
    const t0 = Date.parse(before.at);
    const t1 = Date.parse(now.at);
    const seconds = (t1 - t0) / 1000;
    if (!Number.isFinite(seconds) || seconds <= 0) continue;
    const settled = now.commands.settled - before.commands.settled;
    const failed = now.commands.failed - before.commands.failed;
    times.push(t1 / 1000);
    rate.push(settled < 0 ? null : settled / seconds);
    errors.push(failed < 0 || settled < 0 ? null : failed / seconds);
  }
  return [times, rate, errors];
}
