// The guide's own snippets (those not quoted from the bank) run, not only type-check: each page's
// module is written beside the bank and run with tsx, and must exit 0. Pages whose snippets need
// outside services (a PostgreSQL at a made-up address, chapter 5) are not run here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { extractModules } from '../../../scripts/check-snippets.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const runnable = [
  'docs/guide/02-first-command.md',
  'docs/guide/03-testing.md',
  'docs/guide/04-read-your-writes.md',
  'docs/guide/08-evolving-events.md',
  'docs/guide/09-error-catalog.md',
  'docs/guide/10-timers.md',
  'packages/core/README.md',
];

// Inside the repository, so that @tandem/* and zod resolve as they do for the bank.
const scratchRoot = join(root, 'examples', 'bank', '.snippets');
mkdirSync(scratchRoot, { recursive: true });
const scratch = mkdtempSync(join(scratchRoot, 'run-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

for (const page of runnable) {
  test(`the snippets of ${page} run`, () => {
    const { modules } = extractModules(readFileSync(join(root, page), 'utf8'));
    assert.ok(modules.size > 0, `${page} has snippets to run`);
    const dir = join(scratch, page.replaceAll('/', '__'));
    mkdirSync(dir, { recursive: true });
    for (const [name, module] of modules)
      writeFileSync(join(dir, name), `${module.code.join('\n')}\nexport {};\n`);
    for (const name of modules.keys()) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', join(dir, name)], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=tandem-source`.trim(),
        },
      });
      assert.equal(run.status, 0, `${page} (${name}) failed:\n${run.stdout}\n${run.stderr}`);
    }
  });
}
