#!/usr/bin/env node
// Locks the public API of every public package entry point with API Extractor: one report per
// entry of a package's `exports`, packages/<name>/api/<entry>.api.md, made from the built .d.ts
// (run `npm run build` first). Settings, and the reason for each silenced message, are in
// api-extractor.json at the root.
// Usage: node scripts/api-report.mjs [--update] [package dir ...]
//   without --update: fails when a report differs from the committed one, or on any message (CI);
//   with --update: rewrites the reports (then review and commit the diff).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import apiExtractor from '@microsoft/api-extractor';
import ts from 'typescript';

const { Extractor, ExtractorConfig } = apiExtractor;
const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const update = args.includes('--update');
const named = args.filter((arg) => arg !== '--update').map((dir) => resolve(dir));
const packageDirs = named.length > 0 ? named : publicPackages();
const baseConfigPath = join(root, 'api-extractor.json');
const baseConfig = ExtractorConfig.loadFile(baseConfigPath);

/** Every package under packages/ that is published (not `private`). */
function publicPackages() {
  return readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, 'packages', entry.name))
    .filter(
      (dir) => existsSync(join(dir, 'package.json')) && readJson(join(dir, 'package.json')).private !== true,
    );
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The entries of a package's `exports` that carry types: `.` is named `index`, `./adapter` `adapter`. */
function entriesOf(packageJson) {
  return Object.entries(packageJson.exports ?? {})
    .filter(([, target]) => typeof target === 'object' && typeof target.types === 'string')
    .map(([subpath, target]) => ({
      name: subpath === '.' ? 'index' : subpath.replace(/^\.\//, '').replaceAll('/', '-'),
      types: target.types,
    }));
}

/** The names a built .d.ts exports, read with the compiler (types included). */
function exportedNames(dtsPath) {
  const program = ts.createProgram([dtsPath], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(dtsPath);
  const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  return new Set(symbol === undefined ? [] : checker.getExportsOfModule(symbol).map((s) => s.name));
}

let failed = false;
for (const packageDir of packageDirs) {
  const packageJsonPath = join(packageDir, 'package.json');
  const packageJson = readJson(packageJsonPath);
  const entries = entriesOf(packageJson);
  const main = entries.find((entry) => entry.name === 'index');
  for (const entry of entries) {
    const dts = join(packageDir, entry.types);
    if (!existsSync(dts)) {
      console.error(`${packageJson.name} ${entry.name}: ${entry.types} is missing; run npm run build first`);
      failed = true;
      continue;
    }
    // What the package's main entry exports, for a secondary entry's ae-forgotten-export (see
    // api-extractor.json): a type exported there is reachable by users, under that entry.
    const fromMain =
      entry === main || main === undefined ? new Set() : exportedNames(join(packageDir, main.types));
    // API Extractor writes a new report only into an existing folder.
    if (update) mkdirSync(join(packageDir, 'api'), { recursive: true });
    const config = ExtractorConfig.prepare({
      configObject: {
        ...baseConfig,
        projectFolder: packageDir,
        mainEntryPointFilePath: dts,
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              target: 'ES2022',
              lib: ['ES2023'],
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              strict: true,
              types: ['node'],
            },
          },
        },
        apiReport: {
          ...baseConfig.apiReport,
          reportFileName: entry.name,
          reportFolder: join(packageDir, 'api'),
          reportTempFolder: join(root, 'node_modules', '.cache', 'api-extractor', packageJson.name, 'temp'),
        },
      },
      configObjectFullPath: baseConfigPath,
      packageJsonFullPath: packageJsonPath,
    });
    const result = Extractor.invoke(config, {
      localBuild: update,
      showVerboseMessages: false,
      messageCallback: (message) => {
        if (message.messageId !== 'ae-forgotten-export') return;
        const symbol = /The symbol "([^"]+)"/.exec(message.text)?.[1];
        if (symbol !== undefined && fromMain.has(symbol)) message.logLevel = 'none';
      },
    });
    const where = `${packageJson.name} ${entry.name}`;
    if (!result.succeeded) {
      failed = true;
      console.error(
        result.apiReportChanged && result.errorCount === 0
          ? `${where}: the API report changed; run npm run api:update and commit api/${entry.name}.api.md`
          : `${where}: ${result.errorCount} errors, ${result.warningCount} warnings`,
      );
    } else if (result.apiReportChanged) {
      console.log(`${where}: report updated (api/${entry.name}.api.md)`);
    }
  }
}
process.exit(failed ? 1 : 0);
