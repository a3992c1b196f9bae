import type { BenchResult, Ratio } from '../bench-result.js';
import { formatMultiple } from './format-number.js';
import { markdownTable } from './markdown-table.js';
import { svgBarChart } from './svg-bar-chart.js';

/** Table rows of `results`' ratios as multiples: measure, median, spread, target, met or missed. */
export function multipleRows(results: readonly BenchResult[]): string[][] {
  return results.flatMap((r) =>
    r.ratios.map((ratio: Ratio) => [
      r.title,
      ratio.name,
      formatMultiple(ratio.median),
      ratio.runs.length === 0 ? '' : `${formatMultiple(ratio.min)}-${formatMultiple(ratio.max)}`,
      ratio.target === undefined ? '' : `≥ ${formatMultiple(ratio.target, 0)}`,
      ratio.runs.length === 0
        ? 'not measured'
        : ratio.target === undefined
          ? ''
          : ratio.median >= ratio.target
            ? 'met'
            : 'missed',
    ]),
  );
}

/** The counted deliveries (metrics in `events`: skipped, repeated), one bullet each. */
function deliveryLines(results: readonly BenchResult[]): string[] {
  const lines = results.flatMap((r) =>
    r.metrics
      .filter((m) => m.unit === 'events')
      .map(
        (m) =>
          `- ${m.name}: ${Math.round(m.median)} of ${String(r.parameters.events ?? '?')} ` +
          `(runs: ${m.runs.map((n) => String(Math.round(n))).join(', ')})`,
      ),
  );
  return lines.length === 0 ? [] : ['Deliveries counted against the committed log:', '', ...lines, ''];
}

/**
 * The "Peer comparison with Emmett" section: every peer ratio (Tandem / peer, as multiples) with
 * its spread and target, and the chart `peer-ratios.svg`, which it adds to `charts`.
 */
export function peerSection(results: readonly BenchResult[], charts: Map<string, string>): string {
  if (results.length === 0) return '';
  const peers = [...new Set(results.map((r) => r.peer ?? ''))].join('; ');
  charts.set(
    'peer-ratios.svg',
    svgBarChart(
      'Tandem / Emmett (median, min-max, red: target)',
      'Tandem / Emmett (1x = as fast)',
      results.flatMap((r) =>
        r.ratios
          .filter((ratio) => ratio.runs.length > 0)
          .map((ratio) => ({
            label: `${r.name.replace(/^peer-/, '')}: ${ratio.name}`,
            value: ratio.median,
            low: ratio.min,
            high: ratio.max,
            ...(ratio.target === undefined ? {} : { target: ratio.target }),
          })),
      ),
      (t) => `${t}x`,
    ),
  );
  return [
    '## Peer comparison with Emmett',
    '',
    `Measured against ${peers}, in the same run, on the same machine (the same PostgreSQL server; SQLite ` +
      'files on the same disk), with the same events; each side in its own worker process. A ratio above 1x ' +
      'means Tandem is faster. Details, ' +
      'configurations and the delivery counts are in the sections below.',
    '',
    markdownTable(['Benchmark', 'Measure', 'Tandem / Emmett', 'Spread', 'Target', ''], multipleRows(results)),
    '',
    '![Tandem / Emmett](bench/charts/peer-ratios.svg)',
    '',
    ...deliveryLines(results),
  ].join('\n');
}
