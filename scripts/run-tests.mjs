#!/usr/bin/env node
// Finds test files by level (`*.unit.test.ts`, `*.int.test.ts`, `*.e2e.test.ts`) and runs them on
// node's test runner through tsx. Node 20's `--test` takes no globs, hence this script.
// Usage: node scripts/run-tests.mjs [unit|int|e2e ...]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const levels = process.argv.slice(2);
const wanted = levels.length > 0 ? levels : ['unit', 'int', 'e2e'];
const skipDirs = new Set(['node_modules', '.git', 'data', 'dist']);

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return skipDirs.has(entry.name) ? [] : walk(join(dir, entry.name));
    return [join(dir, entry.name)];
  });
}

const files = ['packages', 'examples', 'ops']
  .flatMap((top) => walk(join(root, top)))
  .filter((file) => wanted.some((level) => file.endsWith(`.${level}.test.ts`)))
  .map((file) => relative(root, file))
  .sort();

if (files.length === 0) {
  console.error(`No ${wanted.join('/')} test files found`);
  process.exit(1);
}

const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
