import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '@tandem/sqlite';
import { retentionAcrossProcesses } from '@tandem/testing';

const dir = join(tmpdir(), `tandem-sqlite-retention-${process.pid}-${Date.now()}`);
after(() => rmSync(dir, { recursive: true, force: true }));

describe('retention jobs on SQLite, two processes on one database', () => {
  it('run in one process at a time, each row archived once, and move when that process stops', async () => {
    const filename = join(dir, 'shared.db');
    await retentionAcrossProcesses(() => openSqliteStore({ filename }));
  });
});
