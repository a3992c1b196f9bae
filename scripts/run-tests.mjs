#!/usr/bin/env node
// Finds test files by level (`*.unit.test.ts`, `*.int.test.ts`, `*.e2e.test.ts`) and runs them on
// node's test runner through tsx. Node 20's `--test` takes no globs, hence this script.
//
// Usage: node scripts/run-tests.mjs [unit|int|e2e ...] [file.test.ts ...]
//        node scripts/run-tests.mjs --built [unit|int ...]
//
// By default @tandem/* resolves to each package's src/ (the `tandem-source` export condition, set
// through NODE_OPTIONS so the processes tests spawn resolve the same way). `--built` runs the
// shop's tests without it, against the packages' built dist/ (`npm run build` first): the code
// users install. Only the shop: a package's own tests import its src/ by relative path, and
// mixing that with its dist/ through a sibling package would give two copies of each class.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const built = args.includes('--built');
const named = args.filter((arg) => arg.endsWith('.ts'));
const levels = args.filter((arg) => !arg.startsWith('--') && !arg.endsWith('.ts'));
const wanted = levels.length > 0 ? levels : ['unit', 'int', 'e2e'];
const skipDirs = new Set(['node_modules', '.git', 'data', 'dist']);

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return skipDirs.has(entry.name) ? [] : walk(join(dir, entry.name));
    return [join(dir, entry.name)];
  });
}

const tops = built ? ['examples/shop'] : ['packages', 'examples', 'ops'];
const files =
  named.length > 0
    ? named
    : tops
        .flatMap((top) => walk(join(root, top)))
        .filter((file) => wanted.some((level) => file.endsWith(`.${level}.test.ts`)))
        .map((file) => relative(root, file))
        .sort();

if (files.length === 0) {
  console.error(`No ${wanted.join('/')} test files found`);
  process.exit(1);
}

const inherited = (process.env.NODE_OPTIONS ?? '').replace(/--conditions=tandem-source/g, '').trim();
const nodeOptions = built ? inherited : `${inherited} --conditions=tandem-source`.trim();
// Test files run two at a time (TANDEM_TEST_CONCURRENCY=1 runs them one by one). Node's default
// is one fewer than the cores, 1 on our 2-core machines, where most of a file's time is spent
// waiting on databases, brokers and child processes: the whole suite took 9 minutes at 2 against
// 13 at 1 (2026-12-07), and running two at once is also what found the read-your-writes miss at
// rebuild swaps (daemon conformance) that one at a time had hidden.
const concurrency = process.env.TANDEM_TEST_CONCURRENCY ?? '2';
if (!/^[1-9]\d*$/.test(concurrency)) {
  console.error(`TANDEM_TEST_CONCURRENCY must be a positive integer, not ${JSON.stringify(concurrency)}`);
  process.exit(2);
}
const concurrencyFlag = [`--test-concurrency=${concurrency}`];
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...concurrencyFlag, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: nodeOptions },
});
process.exit(result.status ?? 1);
