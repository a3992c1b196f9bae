// README.md's architecture tree is a doc that drifts silently; this keeps it in step with the tree.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { architecturePaths, checkArchitecture } from '../../scripts/check-architecture.mjs';

test("README.md's architecture section names every package, and only folders that exist", () => {
  assert.deepEqual(checkArchitecture(), []);
});

test('the tree is read by indentation, continuation lines ignored', () => {
  const readme = [
    '## Architecture',
    '',
    '```',
    'packages/',
    '  core/        ports',
    '    src/errors/  the catalog',
    '               /metrics, not a folder',
    '  http/        Fastify',
    'docs/          guides',
    '```',
  ].join('\n');
  assert.deepEqual(architecturePaths(readme), [
    'packages/',
    'packages/core/',
    'packages/core/src/errors/',
    'packages/http/',
    'docs/',
  ]);
});

test('a package missing from the README, and a folder named but absent, are both reported', () => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-architecture-'));
  mkdirSync(join(root, 'packages', 'core'), { recursive: true });
  mkdirSync(join(root, 'packages', 'client'), { recursive: true });
  writeFileSync(join(root, 'packages', 'client', 'package.json'), '{}');
  writeFileSync(join(root, 'package.json'), JSON.stringify({ workspaces: ['packages/core'] }));
  writeFileSync(join(root, 'README.md'), '## Architecture\n\n```\npackages/\n  core/\n  gone/\n```\n');
  assert.deepEqual(checkArchitecture(root), [
    "README.md's architecture names packages/gone/, which is not a folder in the tree",
    "packages/client/ is in the tree but not in README.md's architecture section",
  ]);
});
