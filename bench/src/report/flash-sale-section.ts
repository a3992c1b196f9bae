import type { FlashSaleStep } from '../bench-result.js';
import { breakCause } from '../flash-sale/sale-break.js';
import type { Summary } from '../summarize.js';
import { formatNumber, formatPercent } from './format-number.js';
import { markdownTable } from './markdown-table.js';
import { svgLineChart, type LineSeries } from './svg-line-chart.js';

const ms = (s: Summary | undefined) => (s === undefined ? '' : formatNumber(s.median));
const withSpread = (s: Summary | undefined) =>
  s === undefined ? '' : `${formatNumber(s.median)} (${formatNumber(s.min)}-${formatNumber(s.max)})`;

/**
 * The catalog shape a step ran on: systems are labelled `<system>, <shape> catalog` (see
 * flash-sale-bench.ts); older results without a shape form one group named ''.
 */
export function shapeOf(system: string): string {
  const at = system.lastIndexOf(', ');
  return at >= 0 && system.endsWith('catalog') ? system.slice(at + 2) : '';
}

/** The steps grouped by catalog shape, in the order they ran. */
function byShape(steps: readonly FlashSaleStep[]): [string, FlashSaleStep[]][] {
  const groups = new Map<string, FlashSaleStep[]>();
  for (const step of steps) {
    const shape = shapeOf(step.system);
    groups.set(shape, [...(groups.get(shape) ?? []), step]);
  }
  return [...groups];
}

function table(steps: readonly FlashSaleStep[]): string {
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
      'Broken?',
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
      breakCause(s) === undefined ? 'no' : `**yes**: ${breakCause(s)}`,
    ]),
  );
}

/**
 * The per-step tables, one per catalog shape: medians over the runs, spread in brackets for the
 * p99s, and whether the step broke the system (see sale-break.ts).
 */
export function flashSaleTable(steps: readonly FlashSaleStep[]): string {
  const shapes = byShape(steps);
  if (shapes.length === 1) return table(steps);
  return shapes
    .map(([shape, mine]) => `**${shape[0]?.toUpperCase() ?? ''}${shape.slice(1)}**\n\n${table(mine)}`)
    .join('\n\n');
}

function chart(title: string, steps: readonly FlashSaleStep[], pick: 'read' | 'order'): string {
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

/**
 * Latency against load, one colour per system: p99 solid, p50 dashed. One chart per catalog
 * shape, stacked in one SVG when the run had several.
 */
export function flashSaleChart(
  title: string,
  steps: readonly FlashSaleStep[],
  pick: 'read' | 'order',
): string {
  const shapes = byShape(steps);
  if (shapes.length === 1) return chart(title, steps, pick);
  const charts = shapes.map(([shape, mine]) => chart(`${title}, ${shape}`, mine, pick));
  const size = (svg: string, attribute: string) =>
    Number(new RegExp(`${attribute}="(\\d+)"`).exec(svg)?.[1] ?? 0);
  const width = Math.max(...charts.map((svg) => size(svg, 'width')));
  let y = 0;
  const placed = charts.map((svg) => {
    const at = y;
    y += size(svg, 'height');
    // Each chart stays a complete SVG, nested at its offset.
    return svg.replace('<svg ', `<svg y="${at}" `);
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">`,
    ...placed,
    '</svg>',
  ].join('\n');
}
