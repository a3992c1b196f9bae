// The docs' snippet conventions (docs/guide/README.md, "Snippets are checked"), as the checker reads them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractModules } from '../../scripts/check-snippets.mjs';

const fence = '```';

test("a file's blocks form one module in order; @filename starts another; other languages are ignored", () => {
  const markdown = [
    `${fence}ts`,
    'const a = 1;',
    fence,
    `${fence}sh`,
    'npm test',
    fence,
    `${fence}typescript`,
    'const b = a + 1;',
    fence,
    `${fence}ts`,
    '// @filename: other.ts',
    'export const c = 3;',
    fence,
  ].join('\n');
  const { modules } = extractModules(markdown);
  assert.deepEqual([...modules.keys()], ['snippets.ts', 'other.ts']);
  assert.deepEqual(modules.get('snippets.ts'), { code: ['const a = 1;', 'const b = a + 1;'], lines: [2, 8] });
  assert.deepEqual(modules.get('other.ts'), { code: ['export const c = 3;'], lines: [12] });
});

test('a skipped block needs a reason, and a quoted block is compared, not compiled', () => {
  const quoted = extractModules(
    ['<!-- snippet: file examples/bank/src/cli.ts -->', `${fence}ts`, 'quoted();', fence].join('\n'),
  );
  assert.equal(quoted.modules.size, 0);
  assert.deepEqual(quoted.quoted, [{ line: 2, path: 'examples/bank/src/cli.ts', code: 'quoted();' }]);
  const skipped = extractModules(
    ['<!-- snippet: skip a fragment -->', `${fence}ts`, 'partial(', fence].join('\n'),
  );
  assert.deepEqual(skipped.skipped, [{ line: 2, reason: 'a fragment' }]);
  assert.equal(skipped.modules.size, 0);
  assert.throws(
    () => extractModules(['<!-- snippet: skip -->', `${fence}ts`, 'x', fence].join('\n')),
    /needs a reason/,
  );
});
