import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openSqliteStore } from '@tandem/sqlite';
import { describeSplitPartitionsConformance } from '@tandem/testing';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

// Two connections to one database file, as two processes on one machine have.
describeSplitPartitionsConformance('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-split-'));
  dirs.push(dir);
  const filename = join(dir, 'app.db');
  const one = await openSqliteStore({ filename });
  const two = await openSqliteStore({ filename });
  return [
    { store: one, readStore: one.readStore(), close: () => one.close() },
    { store: two, readStore: two.readStore(), close: () => two.close() },
  ];
});
