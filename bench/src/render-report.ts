import { writeReport } from './report/write-report.js';

// `npm run bench:report --workspace bench`: BENCHMARKS.md and bench/charts/*.svg from the results.
const { markdown, charts } = writeReport();
process.stdout.write(`Wrote ${markdown} and ${charts.length} chart(s)\n`);
