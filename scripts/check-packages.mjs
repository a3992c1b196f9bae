#!/usr/bin/env node
// Checks what each public package would publish: `npm pack` (its prepack builds it), then publint
// (package.json shape: exports, files, types) and Are the Types Wrong (types resolve for every
// entry, under the module resolutions users run) on the tarball, which is what users install.
// Usage: node scripts/check-packages.mjs [package dir ...]   (default: every non-private package)
//
// attw runs with `--profile esm-only`: the packages are ESM only on purpose (`"type": "module"`, no
// CommonJS build), so the two resolutions that profile leaves out are not ours to pass: `node10`
// (TypeScript's legacy resolution, which ignores `exports` and so cannot see `@tandem/core/adapter`)
// and `node16` from CommonJS (a CommonJS consumer loads an ES module through `import()`, or
// `require()` on the Node versions that support it). Every other check, node16 from ESM and bundler
// included, must pass.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const bin = (name) => join(root, 'node_modules', '.bin', name);
const named = process.argv.slice(2).map((dir) => resolve(dir));
const packageDirs = named.length > 0 ? named : publicPackages();

/** Every package under packages/ that is published (not `private`). */
function publicPackages() {
  return readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, 'packages', entry.name))
    .filter((dir) => {
      const path = join(dir, 'package.json');
      return existsSync(path) && JSON.parse(readFileSync(path, 'utf8')).private !== true;
    });
}

/** Runs a command, its output shown; true when it exits 0. */
function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  return result.status === 0;
}

const out = mkdtempSync(join(tmpdir(), 'tandem-packs-'));
const failed = [];
try {
  for (const dir of packageDirs) {
    const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name;
    const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', out], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (packed.status !== 0) {
      failed.push(`${name}: npm pack`);
      continue;
    }
    // npm prints the prepack build's output before its JSON; the JSON is the last thing printed.
    const json = packed.stdout.slice(packed.stdout.lastIndexOf('\n[') + 1);
    const tarball = join(out, JSON.parse(json)[0].filename);
    console.log(`\n${name}: ${tarball}`);
    if (!run(bin('publint'), ['run', '--strict', tarball], root)) failed.push(`${name}: publint`);
    if (!run(bin('attw'), ['--profile', 'esm-only', '--format', 'ascii', tarball], root)) {
      failed.push(`${name}: attw`);
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
if (failed.length > 0) {
  console.error(`\nPackage checks failed:\n  ${failed.join('\n  ')}`);
  process.exit(1);
}
console.log(`\nPackage checks passed: ${packageDirs.length} packages`);
