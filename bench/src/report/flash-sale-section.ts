import type { FlashSaleStep } from '../bench-result.js';
import type { Summary } from '../summarize.js';
import { formatNumber, formatPercent } from './format-number.js';
import { markdownTable } from './markdown-table.js';
import { svgLineChart, type LineSeries } from './svg-line-chart.js';

const ms = (s: Summary | undefined) => (s === undefined ? '' : formatNumber(s.median));
const withSpread = (s: Summary | undefined) =>
  s === undefined ? '' : `${formatNumber(s.median)} (${formatNumber(s.min)}-${formatNumber(s.max)})`;

/** The per-step table: medians over the runs, spread in brackets for the p99s. */
export function flashSaleTable(steps: readonly FlashSaleStep[]): string {
  return markdownTable(
    [
      'System',
      'Load',
      'Offered req/s',
      'Answered req/s',
      'Read p50 ms',
      'Read p99 ms',
      'Order p50 ms',
      'Order p99 ms',
      'Errors',
      'Oversells',
      'Lag p50 / p99 / max ms',
    ],
    steps.map((s) => [
      s.system,
      `${s.multiple}x`,
      formatNumber(s.offeredRate),
      formatNumber(s.achievedRate.median),
      ms(s.readP50Ms),
      withSpread(s.readP99Ms),
      ms(s.orderP50Ms),
      withSpread(s.orderP99Ms),
      `${formatPercent(s.errorRate.median, 2)} (max ${formatPercent(s.errorRate.max, 2)})`,
      String(s.oversells.max),
      s.lagP50Ms === undefined ? 'n/a' : `${ms(s.lagP50Ms)} / ${ms(s.lagP99Ms)} / ${ms(s.lagMaxMs)}`,
    ]),
  );
}

/** Latency against load, one colour per system: p99 solid, p50 dashed. */
export function flashSaleChart(
  title: string,
  steps: readonly FlashSaleStep[],
  pick: 'read' | 'order',
): string {
  const systems = [...new Set(steps.map((s) => s.system))];
  const series: LineSeries[] = systems.flatMap((system, colour) => {
    const mine = steps.filter((s) => s.system === system);
    const p99 = mine.map((s) => [s.multiple, (pick === 'read' ? s.readP99Ms : s.orderP99Ms).median] as const);
    const p50 = mine.map((s) => [s.multiple, (pick === 'read' ? s.readP50Ms : s.orderP50Ms).median] as const);
    return [
      { label: `${system} p99`, points: p99, colour },
      { label: `${system} p50`, points: p50, colour, dashed: true },
    ];
  });
  return svgLineChart({
    title,
    xLabel: "load: multiple of the seeds' 833 page views/s + 6.7 orders/s",
    yLabel: 'latency (ms, log scale)',
    series,
    log2X: true,
    log10Y: true,
  });
}
