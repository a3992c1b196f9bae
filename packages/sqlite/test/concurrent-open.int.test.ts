import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '@tandem/sqlite';

const dir = mkdtempSync(join(tmpdir(), 'tandem-concurrent-open-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Opens (creating and migrating) `file` in a process of its own at `startAt` (epoch ms), so that
 * every process opens it within a millisecond of the others whatever their start-up took; resolves
 * with the exit code and stderr.
 */
function openInProcess(
  file: string,
  startAt: number,
): Promise<{ readonly code: number | null; readonly stderr: string }> {
  // The spin is the scenario (a common start line for the processes), not a wait for a condition.
  const script = `import { openSqliteStore } from '@tandem/sqlite';
if (Date.now() > ${startAt}) { console.error('started too late to race'); process.exit(3); }
await new Promise((resolve) => setTimeout(resolve, ${startAt} - Date.now() - 20));
while (Date.now() < ${startAt});
const store = await openSqliteStore({ filename: ${JSON.stringify(file)} });
await store.close();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url).pathname,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

describe('SQLite store opened by several processes at once', () => {
  it('creates and migrates a new database once, whoever gets there first (two servers started together)', async () => {
    for (let round = 0; round < 3; round++) {
      const file = join(dir, `fresh-${round}.db`);
      const startAt = Date.now() + 4_000;
      const results = await Promise.all([1, 2, 3, 4].map(() => openInProcess(file, startAt)));
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      const store = await openSqliteStore({ filename: file });
      try {
        assert.equal(await store.events.headPosition(), 0, 'a working store');
      } finally {
        await store.close();
      }
    }
  });
});
