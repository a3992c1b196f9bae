#!/usr/bin/env node
// Keeps the "Architecture" tree in README.md in step with the repository: every folder the tree
// names must exist, and every workspace and every folder under packages/ and examples/ must be
// named there. A new package then cannot land undocumented, nor a removed one linger in the README.
// Run by ops/test/readme-architecture.unit.test.ts (so `npm test` and CI check it), or alone:
// node scripts/check-architecture.mjs
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const defaultRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The folder paths (relative, ending in `/`) named by the first code block under the README's
 * `## Architecture` heading. A line names a folder when its first word ends in `/`; indentation
 * nests it under the folder above it with less indentation.
 */
export function architecturePaths(readme) {
  const section = readme.split(/^## Architecture\s*$/m)[1];
  if (section === undefined) throw new Error('README.md has no "## Architecture" section');
  const block = /^```[^\n]*\n([\s\S]*?)^```/m.exec(section);
  if (!block) throw new Error('The Architecture section has no code block with the tree');
  const stack = []; // { indent, path }
  const paths = [];
  for (const line of block[1].split('\n')) {
    const match = /^(\s*)([\w.@-]+(?:\/[\w.@-]+)*\/)(?:\s|$)/.exec(line);
    if (!match) continue;
    const indent = match[1].length;
    while (stack.length > 0 && stack[stack.length - 1].indent >= indent) stack.pop();
    const path = `${stack.length > 0 ? stack[stack.length - 1].path : ''}${match[2]}`;
    stack.push({ indent, path });
    paths.push(path);
  }
  return paths;
}

/** The problems found (empty when the README and the tree agree). */
export function checkArchitecture(root = defaultRoot) {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const named = new Set(architecturePaths(readme));
  const problems = [];
  for (const path of named) {
    if (!existsSync(join(root, path)) || !statSync(join(root, path)).isDirectory()) {
      problems.push(`README.md's architecture names ${path}, which is not a folder in the tree`);
    }
  }
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const required = new Set(
    (manifest.workspaces ?? []).map((workspace) => `${workspace.replace(/\/$/, '')}/`),
  );
  for (const parent of ['packages', 'examples']) {
    if (!existsSync(join(root, parent))) continue;
    for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
      // A folder holding only build output or installs (no package.json) is not a package.
      if (entry.isDirectory() && existsSync(join(root, parent, entry.name, 'package.json'))) {
        required.add(`${parent}/${entry.name}/`);
      }
    }
  }
  for (const path of [...required].sort()) {
    if (!named.has(path)) problems.push(`${path} is in the tree but not in README.md's architecture section`);
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = checkArchitecture();
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log('check-architecture: README.md names every package and folder, and each exists');
}
