#!/usr/bin/env node
// Type-checks every TypeScript snippet in the docs, so a stale example fails CI instead of a reader.
// Docs are code: README.md, docs/**/*.md and packages/*/README.md are scanned.
//
// Conventions (also in docs/guide/README.md, "Snippets are checked"):
// - Every ```ts / ```typescript block of one Markdown file goes, in order, into one module, so a
//   later block may use what an earlier one declared or imported.
// - A block whose first line is `// @filename: name.ts` starts a module of that name instead; the
//   blocks after it join it until the next `// @filename:`. Modules of one file may import each
//   other (`import { x } from './name.js'`).
// - A block preceded by `<!-- snippet: file PATH -->` must equal that file of the repository
//   (PATH from the root, such as examples/bank/src/accounts/deposit.ts) and is not compiled again
//   here: the file itself is type-checked and tested. The guide quotes the bank this way, so its
//   code cannot drift from the example that runs in CI.
// - A block preceded by `<!-- snippet: skip REASON -->` (an HTML comment, invisible once rendered)
//   is not checked; the reason is required. Use it for deliberate fragments only.
// - Other languages (sh, json, yaml, sql...) are not checked.
// `@tandem/*` resolves as in the root tsconfig (which this config extends).
// Usage: node scripts/check-snippets.mjs [--keep] [--update]
//   --keep leaves the generated modules in .snippets/; --update first copies each quoted file into
//   its block (after changing the bank, run it and review the diff of the guide).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.snippets');
const keep = process.argv.includes('--keep');
const update = process.argv.includes('--update');

/** Rewrites every block marked `snippet: file PATH` with that file's current text. */
function updateQuotes(markdown) {
  const lines = markdown.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    const quote = /^<!--\s*snippet:\s*file\s+(\S+)\s*-->$/.exec(lines[i].trim());
    if (!quote || !/^```(ts|typescript)\s*$/.test(lines[i + 1] ?? '')) continue;
    // Keep the opening fence, replace everything up to the closing one with the file.
    out.push(lines[i + 1]);
    let end = i + 2;
    while (end < lines.length && !lines[end].startsWith('```')) end++;
    out.push(readFileSync(join(root, quote[1]), 'utf8').trimEnd());
    i = end - 1;
  }
  return out.join('\n');
}

/** Every Markdown file whose snippets are checked, relative to the root. */
function markdownFiles() {
  const files = ['README.md'];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'api' && entry.name !== 'node_modules') walk(path);
      } else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  for (const pkg of readdirSync(join(root, 'packages'))) {
    if (existsSync(join(root, 'packages', pkg, 'README.md'))) files.push(join('packages', pkg, 'README.md'));
  }
  return files;
}

/**
 * The modules one Markdown file's snippets make: name → { code, lines }, where lines maps each
 * generated line back to its line in the Markdown file (for error messages).
 */
export function extractModules(markdown) {
  const lines = markdown.split('\n');
  const modules = new Map();
  const skipped = [];
  const quoted = [];
  let current = 'snippets.ts';
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(`{3,})(\S*)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const [, indent, ticks, lang] = fence;
    let end = i + 1;
    while (end < lines.length && !lines[end].trimStart().startsWith(ticks)) end++;
    const body = lines
      .slice(i + 1, end)
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line));
    const startLine = i + 2;
    const before =
      lines
        .slice(0, i)
        .reverse()
        .find((line) => line.trim() !== '') ?? '';
    const skip = /^<!--\s*snippet:\s*skip\b\s*(.*?)\s*-->$/.exec(before.trim());
    const file = /^<!--\s*snippet:\s*file\s+(\S+)\s*-->$/.exec(before.trim());
    i = end;
    if (lang !== 'ts' && lang !== 'typescript') continue;
    if (file) {
      quoted.push({ line: startLine - 1, path: file[1], code: body.join('\n') });
      continue;
    }
    if (skip) {
      if (skip[1] === '') throw new Error(`line ${startLine - 1}: "snippet: skip" needs a reason`);
      skipped.push({ line: startLine - 1, reason: skip[1] });
      continue;
    }
    let offset = 0;
    const named = /^\/\/\s*@filename:\s*(\S+)\s*$/.exec(body[0] ?? '');
    if (named) {
      current = named[1].replace(/\.js$/, '.ts');
      offset = 1;
    }
    const module = modules.get(current) ?? { code: [], lines: [] };
    module.code.push(...body.slice(offset));
    module.lines.push(...body.slice(offset).map((_, k) => startLine + offset + k));
    modules.set(current, module);
  }
  return { modules, skipped, quoted };
}

function main() {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const origin = new Map(); // generated file (relative to root) → { markdown, lines }
  let skippedCount = 0;
  let quotedCount = 0;
  const stale = [];
  for (const file of markdownFiles()) {
    if (update) {
      const text = readFileSync(join(root, file), 'utf8');
      const updated = updateQuotes(text);
      if (updated !== text) writeFileSync(join(root, file), updated);
    }
    const { modules, skipped, quoted } = extractModules(readFileSync(join(root, file), 'utf8'));
    skippedCount += skipped.length;
    for (const quote of quoted) {
      quotedCount++;
      const source = join(root, quote.path);
      if (!existsSync(source))
        stale.push(`${file}:${quote.line}: quotes ${quote.path}, which does not exist`);
      else if (readFileSync(source, 'utf8').trim() !== quote.code.trim()) {
        stale.push(`${file}:${quote.line}: differs from ${quote.path} (copy the file into the block again)`);
      }
    }
    for (const [name, module] of modules) {
      const dir = join(outDir, file.replace(/\.md$/, '').replaceAll('/', '__'));
      mkdirSync(dir, { recursive: true });
      const target = join(dir, name);
      // `export {}` makes even an import-free snippet a module, so top-level names don't clash across files.
      writeFileSync(target, `${module.code.join('\n')}\nexport {};\n`);
      origin.set(relative(root, target), { markdown: file, lines: module.lines });
    }
  }
  writeFileSync(
    join(outDir, 'tsconfig.json'),
    JSON.stringify(
      {
        extends: '../tsconfig.json',
        // Snippets show declarations a reader copies; unused ones are fine there.
        compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false },
        include: ['./**/*.ts'],
      },
      null,
      2,
    ),
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', join(outDir, 'tsconfig.json'), '--pretty', 'false'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  // Map `.snippets/x/y.ts(12,5): error ...` back to the Markdown line.
  const output = `${result.stdout}${result.stderr}`.replace(
    /^(\.snippets\/[^(\s]+)\((\d+),(\d+)\)/gm,
    (whole, file, line, col) => {
      const source = origin.get(file);
      const mdLine = source?.lines[Number(line) - 1];
      return source && mdLine ? `${source.markdown}:${mdLine}:${col}` : whole;
    },
  );
  if (!keep) rmSync(outDir, { recursive: true, force: true });
  for (const problem of stale) console.error(problem);
  if (result.status !== 0 || stale.length > 0) {
    process.stderr.write(output);
    console.error(`check-snippets: the docs' snippets are stale (see above)`);
    process.exit(1);
  }
  console.log(
    `check-snippets: ${origin.size} modules from the docs type-check, ${quotedCount} quoted files match (${skippedCount} blocks skipped with a reason)`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
