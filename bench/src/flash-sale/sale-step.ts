import type { FlashSaleStep } from '../bench-result.js';
import { quantile, summarize } from '../summarize.js';
import type { OpenLoopResult } from './open-loop-driver.js';

/** One run of one step, reduced to the numbers the report shows. */
export interface StepRun {
  readonly load: OpenLoopResult;
  readonly lag: readonly number[] | undefined;
  readonly oversells: number;
}

/** The runs of one step summarized: the median of each per-run percentile, and its spread. */
export function summarizeStep(
  system: string,
  multiple: number,
  offeredRate: number,
  runs: readonly StepRun[],
) {
  const each = (f: (run: StepRun) => number) => summarize(runs.map(f));
  const step: FlashSaleStep = {
    system,
    multiple,
    offeredRate,
    readP50Ms: each((r) => quantile(r.load.read, 0.5)),
    readP99Ms: each((r) => quantile(r.load.read, 0.99)),
    orderP50Ms: each((r) => quantile(r.load.order, 0.5)),
    orderP99Ms: each((r) => quantile(r.load.order, 0.99)),
    errorRate: each((r) => r.load.errors / Math.max(1, r.load.sent)),
    achievedRate: each((r) => (r.load.sent - r.load.errors) / Math.max(0.001, r.load.elapsed)),
    oversells: each((r) => r.oversells),
  };
  if (runs.every((r) => r.lag === undefined)) return step;
  return {
    ...step,
    lagP50Ms: each((r) => quantile(r.lag ?? [], 0.5)),
    lagP99Ms: each((r) => quantile(r.lag ?? [], 0.99)),
    lagMaxMs: each((r) => (r.lag === undefined || r.lag.length === 0 ? Number.NaN : Math.max(...r.lag))),
  };
}

/** Units sold beyond the stock in one step (see FlashSaleStep.oversells). */
export function countOversells(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
  sold: ReadonlyMap<string, number>,
): number {
  let oversold = 0;
  for (const [id, start] of Object.entries(before)) {
    const accepted = sold.get(id) ?? 0;
    const end = after[id] ?? Number.NaN;
    oversold += Math.max(0, accepted - start); // sold more than there was
    oversold += Math.max(0, -end); // stock below zero
    oversold += Math.max(0, end - (start - accepted)); // accepted orders the stock does not show
  }
  return oversold;
}
