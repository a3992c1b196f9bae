#!/usr/bin/env node
// The consumer test: Tandem as a user gets it, from the packed tarballs, outside this tree.
//
//  1. `npm run build`, then `npm pack` every public package (packages/* not marked private) and
//     check each tarball: no tests, and every file its exports and bin name is in it.
//  2. A fresh project in the OS temp folder (no workspace, no tsx) installs the tarballs, with
//     the other dependencies from the registry or the npm cache; `tsc` type-checks a small app
//     (scripts/consumer-app) with the strictest common settings, `skipLibCheck: false`, importing
//     every entry point of every package; plain `node` runs it: a command, a projection and a
//     query over HTTP on SQLite, every answer asserted.
//  3. create-tandem from its tarball, offline: `npm exec --offline` scaffolds an app, whose
//     dependencies install offline from the tarballs and the npm cache (step 2 filled it), and
//     whose own tests then run. Timed: the time from `npm create tandem` to the first passing test.
//
// Usage: node scripts/consumer-test.mjs [--no-build] [--keep]
//   --no-build  pack what `npm run build` left in dist/ (CI builds just before)
//   --keep      leave the temp projects for inspection (their paths are printed)
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const keep = args.includes('--keep');
const timings = [];

/**
 * The environment for npm and node in the temp projects: without the `npm_*` variables an
 * enclosing `npm run` sets (its prefix would point the inner npm back at this tree), without the
 * `tandem-source` condition (users resolve to dist/), and with node-gyp using both cores when
 * better-sqlite3 compiles its binding.
 */
function outsideEnv() {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'INIT_CWD'),
  );
  env.NODE_OPTIONS = (env.NODE_OPTIONS ?? '').replace(/--conditions[= ]tandem-source/g, '').trim();
  env.JOBS ??= 'max';
  return env;
}

/** Runs a command; on failure prints its output and exits. Returns its stdout when captured. */
function run(command, commandArgs, { cwd = root, env = process.env, capture = false } = {}) {
  const shown = `${command} ${commandArgs.join(' ')}`;
  process.stdout.write(`\n$ ${shown}   (in ${cwd})\n`);
  const result = spawnSync(command, commandArgs, {
    cwd,
    env,
    encoding: 'utf8',
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    if (capture) process.stdout.write(`${result.stdout}\n${result.stderr}\n`);
    fail(`${shown} exited with ${result.status ?? result.signal}`);
  }
  return result.stdout ?? '';
}

function fail(message) {
  process.stderr.write(`\nconsumer test FAILED: ${message}\n`);
  process.exit(1);
}

/** Runs `step`, recording how long it took. */
function timed(label, step) {
  const started = performance.now();
  const value = step();
  timings.push([label, (performance.now() - started) / 1000]);
  return value;
}

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

// 1. Build and pack.
const packages = readdirSync(join(root, 'packages'))
  .map((name) => ({ dir: `packages/${name}`, json: readJson(join(root, 'packages', name, 'package.json')) }))
  .filter((pkg) => pkg.json.private !== true);
if (packages.length === 0) fail('no public packages under packages/');
if (build) timed('npm run build', () => run('npm', ['run', 'build']));

const work = mkdtempSync(join(tmpdir(), 'tandem-consumer-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
// Scripts off: the build just ran (prepack would only rebuild it).
const packed = timed('npm pack', () =>
  JSON.parse(
    run(
      'npm',
      [
        'pack',
        '--json',
        '--ignore-scripts',
        '--pack-destination',
        tarballs,
        ...packages.map((pkg) => `--workspace=${pkg.dir}`),
      ],
      { capture: true },
    ),
  ),
);

/** Test files have no place in a tarball (create-tandem's template ships its app's tests on purpose). */
const testFile = /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]sx?$/;

/** Every file a package.json's `exports` (any condition but the source one) and `bin` point at. */
function declaredFiles(json) {
  const targets = [];
  const collect = (value, condition) => {
    if (typeof value === 'string') {
      if (condition !== 'tandem-source') targets.push(value);
    } else if (value !== null && typeof value === 'object')
      for (const [key, inner] of Object.entries(value)) collect(inner, key);
  };
  collect(json.exports, undefined);
  collect(json.bin, undefined);
  if (typeof json.types === 'string') targets.push(json.types);
  return targets.map((target) => target.replace(/^\.\//, ''));
}

const tarballOf = new Map();
process.stdout.write('\nPackage                 files   packed   unpacked\n');
for (const pack of packed) {
  const pkg = packages.find((candidate) => candidate.json.name === pack.name);
  if (pkg === undefined) fail(`npm pack produced ${pack.name}, which is not a public package`);
  const paths = pack.files.map((file) => file.path);
  const tests = paths.filter((path) => testFile.test(path) && !path.startsWith('template/'));
  if (tests.length > 0) fail(`${pack.name} ships test files: ${tests.join(', ')}`);
  const missing = declaredFiles(pkg.json).filter((path) => !paths.includes(path));
  if (missing.length > 0) fail(`${pack.name} declares files its tarball lacks: ${missing.join(', ')}`);
  if (!paths.some((path) => path.startsWith('dist/'))) fail(`${pack.name} ships no dist/`);
  tarballOf.set(pack.name, join(tarballs, pack.filename));
  process.stdout.write(
    `${pack.name.padEnd(22)} ${String(paths.length).padStart(6)} ${`${Math.round(pack.size / 1024)} kB`.padStart(8)} ${`${Math.round(pack.unpackedSize / 1024)} kB`.padStart(10)}\n`,
  );
}
for (const pkg of packages)
  if (!tarballOf.has(pkg.json.name)) fail(`npm pack made no tarball for ${pkg.json.name}`);

// 2. A fresh project installs the tarballs, type-checks strictly, and runs the app with node.
const rootJson = readJson(join(root, 'package.json'));
const shopJson = readJson(join(root, 'examples/shop/package.json'));
const consumer = join(work, 'consumer');
cpSync(join(root, 'scripts/consumer-app'), consumer, { recursive: true });
rmSync(join(consumer, 'dist'), { recursive: true, force: true });
writeFileSync(
  join(consumer, 'package.json'),
  `${JSON.stringify(
    {
      name: 'tandem-consumer',
      version: '0.0.0',
      private: true,
      type: 'module',
      dependencies: {
        ...Object.fromEntries([...tarballOf].map(([name, file]) => [name, `file:${file}`])),
        zod: shopJson.dependencies.zod,
      },
      devDependencies: {
        typescript: rootJson.devDependencies.typescript,
        '@types/node': rootJson.devDependencies['@types/node'],
      },
      allowScripts: { 'better-sqlite3': true },
    },
    null,
    2,
  )}\n`,
);
// Every entry point of every package, so `skipLibCheck: false` checks all of our .d.ts files.
const entryPoints = packages.flatMap((pkg) =>
  Object.keys(pkg.json.exports ?? {})
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => `${pkg.json.name}${subpath.slice(1)}`),
);
// Entry points whose drivers' own declarations fail `exactOptionalPropertyTypes` (a setting of the
// consumer, not of the library): @nats-io/nats-core 3's `MsgImpl` and `NatsConnectionImpl` declare
// optional members their interfaces require. They are checked in a project of their own with that
// one setting off, `skipLibCheck` still false, so our .d.ts files are checked all the same.
const lenientEntryPoints = new Set(['@tandem/nats']);
const entryFile = (entries) =>
  [
    '// Generated by scripts/consumer-test.mjs: every public entry point, so tsc checks its .d.ts.',
    ...entries.map((entry, index) => `export type * as entry${index} from '${entry}';`),
    '',
  ].join('\n');
writeFileSync(
  join(consumer, 'src/entry-points.ts'),
  entryFile(entryPoints.filter((entry) => !lenientEntryPoints.has(entry))),
);
mkdirSync(join(consumer, 'lenient'), { recursive: true });
writeFileSync(
  join(consumer, 'lenient/entry-points.ts'),
  entryFile(entryPoints.filter((entry) => lenientEntryPoints.has(entry))),
);
writeFileSync(
  join(consumer, 'tsconfig.lenient.json'),
  `${JSON.stringify(
    {
      extends: './tsconfig.json',
      compilerOptions: { exactOptionalPropertyTypes: false, noEmit: true, rootDir: 'lenient' },
      include: ['lenient'],
    },
    null,
    2,
  )}\n`,
);

/**
 * better-sqlite3's install script downloads a prebuilt binary, and where the network refuses that
 * (this machine, and CI on it) compiles the addon from source: 3 to 7 minutes per install on two
 * busy cores, twice per run, measuring nothing of ours. So the projects install with scripts off
 * and take the binary this tree's `npm ci` already built, when the installed version is the same;
 * otherwise they run the install script after all (`npm rebuild better-sqlite3`). No other
 * dependency of the projects has an install script that matters (esbuild comes only with tsx,
 * which must not be there).
 */
function provideSqliteBinary(project) {
  const installed = join(project, 'node_modules/better-sqlite3');
  const built = join(root, 'node_modules/better-sqlite3');
  const binary = 'build/Release/better_sqlite3.node';
  if (!existsSync(installed)) fail(`${project} has no better-sqlite3`);
  if (
    existsSync(join(built, binary)) &&
    readJson(join(installed, 'package.json')).version === readJson(join(built, 'package.json')).version
  ) {
    mkdirSync(join(installed, 'build/Release'), { recursive: true });
    cpSync(join(built, binary), join(installed, binary));
  } else {
    run('npm', ['rebuild', 'better-sqlite3'], { cwd: project, env });
  }
}

const env = outsideEnv();
timed('consumer: npm install (tarballs + registry/cache)', () => {
  run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: consumer,
    env,
  });
  provideSqliteBinary(consumer);
});
if (existsSync(join(consumer, 'node_modules/tsx'))) fail('tsx was installed into the consumer project');
timed('consumer: tsc (strict, skipLibCheck false)', () =>
  run(join(consumer, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: consumer, env }),
);
timed('consumer: tsc of the entry points whose drivers need exactOptionalPropertyTypes off', () =>
  run(join(consumer, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.lenient.json'], { cwd: consumer, env }),
);
timed('consumer: node dist/main.js', () => run(process.execPath, ['dist/main.js'], { cwd: consumer, env }));

// 3. create-tandem from its tarball, offline, to a passing test.
const createTarball = tarballOf.get('create-tandem');
if (createTarball === undefined) fail('create-tandem was not packed');
const apps = join(work, 'apps');
mkdirSync(apps);
const app = join(apps, 'my-app');
const createStarted = performance.now();
timed('create: npm exec --offline create-tandem my-app', () =>
  run('npm', ['exec', '--offline', '--yes', `--package=${createTarball}`, '--', 'create-tandem', 'my-app'], {
    cwd: apps,
    env,
  }),
);
const scaffolded = readJson(join(app, 'package.json'));
const appTandem = Object.keys({ ...scaffolded.dependencies, ...scaffolded.devDependencies }).filter((name) =>
  name.startsWith('@tandem/'),
);
for (const name of appTandem)
  if (!tarballOf.has(name)) fail(`the new app depends on ${name}, which was not packed`);
// The app names `@tandem/*@^0.1.0`, which only a registry could resolve: the tarballs stand in
// for it. `--no-save` keeps the app's package.json as a user would have it.
timed('create: npm install --offline (tarballs + npm cache)', () =>
  run(
    'npm',
    [
      'install',
      '--offline',
      '--ignore-scripts',
      '--no-save',
      '--no-audit',
      '--no-fund',
      ...appTandem.map((name) => tarballOf.get(name)),
    ],
    { cwd: app, env },
  ),
);
provideSqliteBinary(app);
const appTest = timed('create: npm test (tsc, then node --test)', () =>
  run('npm', ['test'], { cwd: app, env, capture: true }),
);
const createSeconds = (performance.now() - createStarted) / 1000;
const passed = Number(/^# pass (\d+)$/m.exec(appTest)?.[1] ?? 0);
const failed = Number(/^# fail (\d+)$/m.exec(appTest)?.[1] ?? 1);
if (passed === 0 || failed !== 0) {
  process.stdout.write(appTest);
  fail(`the new app's tests: ${passed} passed, ${failed} failed`);
}
if (
  readJson(join(app, 'package.json')).dependencies['@tandem/core'] !== scaffolded.dependencies['@tandem/core']
)
  fail("installing the new app changed its package.json's @tandem ranges");
process.stdout.write(`\nThe new app's tests: ${passed} of ${passed} pass.\n`);

// Summary.
process.stdout.write('\nConsumer test timings on this machine:\n');
for (const [label, seconds] of timings)
  process.stdout.write(`  ${label.padEnd(52)} ${seconds.toFixed(1).padStart(7)} s\n`);
process.stdout.write(
  `  ${'npm create tandem to first passing test (offline)'.padEnd(52)} ${createSeconds.toFixed(1).padStart(7)} s\n`,
);
if (keep) process.stdout.write(`\nKept: ${consumer}\n      ${app}\n`);
else rmSync(work, { recursive: true, force: true });
process.stdout.write(
  `\nconsumer test: ${packed.length} packages packed, installed outside the tree, type-checked strictly and run with node; ${basename(app)} scaffolded offline and its tests pass\n`,
);
