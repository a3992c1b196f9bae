import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { postgresTestUrl } from '@tandem/postgres/testing';
import type { BenchResult } from './bench-result.js';
import type { BenchContext } from './benchmark.js';
import { benchmarks } from './benchmarks.js';
import { machineInfo } from './machine-info.js';
import { writeReport } from './report/write-report.js';
import { resultsDir } from './results-dir.js';
import { writeFormattedJson } from './write-formatted-json.js';

function runCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 3) throw new InvalidArgumentError('at least 3 (medians need them)');
  return n;
}

const program = new Command()
  .name('bench')
  .description('Tandem benchmarks (issue 5). Quick mode by default: under 3 minutes on 2 cores.')
  .option('--full', 'the real run: larger sizes, longer steps, every benchmark')
  .option('--only <names>', 'comma-separated benchmark names', (v) => v.split(',').map((s) => s.trim()))
  .option('--runs <n>', 'repetitions of each measurement (median and spread)', runCount, 3)
  .option('--list', 'list the benchmarks and exit')
  .parse();

const options = program.opts<{ full?: boolean; only?: string[]; runs: number; list?: boolean }>();
if (options.list === true) {
  for (const b of benchmarks) process.stdout.write(`${b.name}${b.quick ? '' : ' (--full only)'}\n`);
  process.exit(0);
}
const unknown = (options.only ?? []).filter((name) => !benchmarks.some((b) => b.name === name));
if (unknown.length > 0) program.error(`Unknown benchmark(s): ${unknown.join(', ')} (see --list)`);

const full = options.full === true;
const selected = benchmarks.filter((b) =>
  options.only === undefined ? full || b.quick : options.only.includes(b.name),
);
const log = (line: string) => process.stdout.write(`${line}\n`);
// Probed for every run: a benchmark such as projection-lag measures SQLite always and PostgreSQL
// when a server answers, so `needsPostgres` alone does not say whether one is wanted.
const postgresUrl = selected.length > 0 ? await postgresTestUrl() : undefined;
// Probed quietly even when no benchmark needs it, so every result names the same machine.
const machine = await machineInfo(
  postgresUrl ?? process.env.TANDEM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
);
const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(
  ' ',
);
const context: BenchContext = { full, runs: options.runs, postgresUrl, log };
mkdirSync(resultsDir, { recursive: true });

log(
  `${full ? 'Full' : 'Quick'} run, ${options.runs} runs each, on ${machine.cpu} x${machine.cores}, Node ${machine.node}`,
);
const started = performance.now();
const failed: string[] = [];
for (const benchmark of selected) {
  if (benchmark.needsPostgres && postgresUrl === undefined) {
    log(`- ${benchmark.name}: skipped, no PostgreSQL server`);
    continue;
  }
  const missing = await benchmark.unavailable?.();
  if (missing !== undefined) {
    log(`- ${benchmark.name}: skipped, ${missing}`);
    continue;
  }
  log(`- ${benchmark.name}`);
  const t0 = performance.now();
  try {
    const output = await benchmark.run(context);
    const result: BenchResult = {
      name: benchmark.name,
      mode: full ? 'full' : 'quick',
      command,
      date: new Date().toISOString(),
      durationSeconds: Math.round((performance.now() - t0) / 100) / 10,
      machine,
      ...output,
    };
    await writeFormattedJson(join(resultsDir, `${benchmark.name}.json`), result);
    for (const r of result.ratios)
      log(
        result.peer === undefined
          ? `  ${r.name}: ${(r.median * 100).toFixed(1)}% of the ceiling (${(r.min * 100).toFixed(1)}-${(r.max * 100).toFixed(1)}%)`
          : r.runs.length === 0
            ? `  ${r.name}: not measured`
            : `  ${r.name}: Tandem / Emmett ${r.median.toFixed(2)}x (${r.min.toFixed(2)}-${r.max.toFixed(2)}x)`,
      );
    log(`  done in ${result.durationSeconds} s`);
  } catch (error) {
    failed.push(benchmark.name);
    log(`  FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}
log(`All done in ${Math.round((performance.now() - started) / 1000)} s`);
const report = writeReport();
log(`Wrote ${report.markdown} and ${report.charts.length} chart(s)`);
if (failed.length > 0) {
  log(`Failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
