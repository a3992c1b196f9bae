import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createTandem } from '@tandem/core';
import { createCli } from '@tandem/cli';
import { verifyToken } from '@tandem/http';

const dir = mkdtempSync(join(tmpdir(), 'tandem-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(lines: string[]) {
  return createCli({
    name: 'tandem',
    description: 'test',
    createApp: (store) => createTandem({ store, commands: [] }),
    write: (line) => lines.push(line),
    env: { DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`, TANDEM_SECRET: 'cli-test-secret-cli-test-secret' },
  });
}

describe('tandem CLI', () => {
  it('prints a token that verifies with the configured secret', async () => {
    const lines: string[] = [];
    await cli(lines).parseAsync(['token', '--user', 'u1', '--role', 'admin'], { from: 'user' });
    assert.deepEqual(await verifyToken(lines[0] ?? '', 'cli-test-secret-cli-test-secret'), {
      id: 'u1',
      roles: ['admin'],
    });
  });

  it('migrates and prints the audit trail', async () => {
    const lines: string[] = [];
    await cli(lines).parseAsync(['migrate'], { from: 'user' });
    await cli(lines).parseAsync(['audit', '--limit', '5'], { from: 'user' });
    assert.deepEqual(lines, ['Migrations applied.', 'at\toutcome\tcode\tcommand\tid\tuser\tposition']);
  });
});
