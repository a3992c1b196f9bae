import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

describe('the unhandled-rejection guard', () => {
  it('logs and counts a rejection nothing handled, and the process goes on and exits normally', () => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', new URL('./fixtures/dropped-rejection.ts', import.meta.url).pathname],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /logged: dropped, count: 1/);
  });
});
