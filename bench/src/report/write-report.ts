import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult, Metric } from '../bench-result.js';
import type { MachineInfo } from '../machine-info.js';
import { chartsDir, repoRoot, resultsDir } from '../results-dir.js';
import { flashSaleChart, flashSaleTable } from './flash-sale-section.js';
import { formatNumber, formatPercent } from './format-number.js';
import { markdownTable } from './markdown-table.js';
import { multipleRows, peerSection } from './peer-section.js';
import { readResults } from './read-results.js';
import { svgBarChart } from './svg-bar-chart.js';

const notesFile = join(resultsDir, '..', 'notes.md');

function machineTable(machine: MachineInfo): string {
  return markdownTable(
    ['Machine', ''],
    [
      ['CPU', `${machine.cpu}, ${machine.cores} cores`],
      ['Memory', `${machine.memoryGiB} GiB`],
      ['OS', machine.os],
      ['Node', machine.node],
      ['SQLite', machine.sqlite],
      ['PostgreSQL', machine.postgres ?? 'not measured'],
    ],
  );
}

function ratioRows(results: readonly BenchResult[]): string[][] {
  return results.flatMap((r) =>
    r.ratios.map((ratio) => [
      r.title,
      ratio.name,
      formatPercent(ratio.median),
      `${formatPercent(ratio.min)}-${formatPercent(ratio.max)}`,
      ratio.target === undefined ? '' : `≥ ${formatPercent(ratio.target, 0)}`,
      ratio.target === undefined ? '' : ratio.median >= ratio.target ? 'met' : 'missed',
    ]),
  );
}

/** `< 20 ms` and whether the median meets it, for a metric the issue bounds. */
function metricTargetCells(m: Metric): [string, string] {
  if (m.target === undefined) return ['', ''];
  return [
    `< ${m.target.below.toLocaleString('en-US')} ${m.unit}`,
    m.median < m.target.below ? 'met' : 'missed',
  ];
}

/** Metrics with a target of their own (no ceiling to divide by), across the results. */
function metricTargetRows(results: readonly BenchResult[]): string[][] {
  return results.flatMap((r) =>
    r.metrics
      .filter((m) => m.target !== undefined)
      .map((m) => [
        r.title,
        m.name,
        `${formatNumber(m.median)} ${m.unit}`,
        `${formatNumber(m.min)}-${formatNumber(m.max)}`,
        ...metricTargetCells(m),
      ]),
  );
}

function section(result: BenchResult, charts: Map<string, string>): string {
  const lines = [
    `## ${result.title} (\`${result.name}\`)`,
    '',
    result.description,
    '',
    `Command \`${result.command}\` (${result.mode} mode), ${result.date.slice(0, 16).replace('T', ' ')} UTC, ` +
      `${result.metrics[0]?.runs.length ?? result.steps?.[0]?.readP99Ms.runs.length ?? 0} runs, took ${result.durationSeconds} s.`,
    '',
    ...(result.peer === undefined ? [] : [`Against ${result.peer}.`, '']),
    `Parameters: ${Object.entries(result.parameters)
      .map(([k, v]) => `${k} = ${String(v)}`)
      .join('; ')}.`,
    '',
  ];
  if (result.metrics.length > 0) {
    // Target columns only where the issue bounds a metric itself, so other tables keep their shape.
    const targeted = result.metrics.some((m) => m.target !== undefined);
    lines.push(
      markdownTable(
        ['Measure', 'Unit', 'Median', 'Min', 'Max', 'Runs', ...(targeted ? ['Target', ''] : [])],
        result.metrics.map((m) => [
          m.name,
          m.unit,
          formatNumber(m.median),
          formatNumber(m.min),
          formatNumber(m.max),
          m.runs.map(formatNumber).join(', '),
          ...(targeted ? metricTargetCells(m) : []),
        ]),
      ),
      '',
    );
  }
  if (result.ratios.length > 0) {
    lines.push(
      result.peer === undefined
        ? markdownTable(
            ['Ratio to the ceiling', 'Median', 'Spread', 'Target', ''],
            ratioRows([result]).map((row) => row.slice(1)),
          )
        : markdownTable(
            ['Tandem / Emmett', 'Median', 'Spread', 'Target', ''],
            multipleRows([result]).map((row) => row.slice(1)),
          ),
      '',
    );
  }
  if (result.steps !== undefined && result.steps.length > 0) {
    lines.push(flashSaleTable(result.steps), '');
    for (const pick of ['read', 'order'] as const) {
      const file = `${result.name}-${pick}-latency.svg`;
      charts.set(
        file,
        flashSaleChart(
          `${result.title}: ${pick === 'read' ? 'product page' : 'order'} latency`,
          result.steps,
          pick,
        ),
      );
      lines.push(`![${pick} latency against load](bench/charts/${file})`, '');
    }
  }
  if (result.notes.length > 0) lines.push(...result.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

/** Renders BENCHMARKS.md at the repository root and the SVG charts from `bench/results/*.json`. */
export function writeReport(): { readonly markdown: string; readonly charts: readonly string[] } {
  const results = readResults(resultsDir);
  const charts = new Map<string, string>();
  const parts = [
    '# Tandem benchmarks',
    '',
    '<!-- Generated by `npm run bench:report --workspace bench` from bench/results/*.json;',
    '     the prose comes from bench/notes.md. Do not edit by hand. -->',
    '',
  ];
  if (existsSync(notesFile)) parts.push(readFileSync(notesFile, 'utf8').trim(), '');
  if (results.length === 0) parts.push('No results yet: run `npm run bench`.', '');
  const ceilings = results.filter((r) => r.peer === undefined);
  const rows = ratioRows(ceilings);
  if (rows.length > 0) {
    parts.push(
      '## Ratios to the raw ceilings',
      '',
      markdownTable(['Benchmark', 'Measure', 'Tandem / ceiling', 'Spread', 'Target', ''], rows),
      '',
      '![Ratios to the ceilings](bench/charts/ratios.svg)',
      '',
    );
    charts.set(
      'ratios.svg',
      svgBarChart(
        'Tandem as a share of the raw ceiling (median, min-max, red: target)',
        'Tandem / ceiling',
        ceilings.flatMap((r) =>
          r.ratios.map((ratio) => ({
            label: `${r.name}: ${ratio.name}`,
            value: ratio.median,
            low: ratio.min,
            high: ratio.max,
            ...(ratio.target === undefined ? {} : { target: ratio.target }),
          })),
        ),
        (t) => `${Math.round(t * 100)}%`,
      ),
    );
  }
  const bounded = metricTargetRows(ceilings);
  if (bounded.length > 0) {
    parts.push(
      '## Targets without a ceiling',
      '',
      markdownTable(['Benchmark', 'Measure', 'Median', 'Spread', 'Target', ''], bounded),
      '',
    );
  }
  const peers = peerSection(
    results.filter((r) => r.peer !== undefined),
    charts,
  );
  if (peers !== '') parts.push(peers);
  const machines = new Map(results.map((r) => [JSON.stringify(r.machine), r.machine]));
  for (const machine of machines.values()) parts.push(machineTable(machine), '');
  if (machines.size > 1) parts.push('The results come from more than one machine: compare with care.', '');
  for (const result of results) parts.push(section(result, charts));

  mkdirSync(chartsDir, { recursive: true });
  for (const stale of readdirSync(chartsDir))
    if (stale.endsWith('.svg') && !charts.has(stale)) rmSync(join(chartsDir, stale));
  for (const [file, svg] of charts) writeFileSync(join(chartsDir, file), svg);
  const markdown = join(repoRoot, 'BENCHMARKS.md');
  writeFileSync(markdown, `${parts.join('\n').trimEnd()}\n`);
  return { markdown, charts: [...charts.keys()] };
}
