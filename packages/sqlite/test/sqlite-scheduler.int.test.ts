import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openSqliteStore } from '@tandem/sqlite';
import { describeSchedulerConformance } from '@tandem/testing';

const dir = mkdtempSync(join(tmpdir(), 'tandem-sqlite-scheduler-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

// Several processes share one database file: each opens its own store on it, as `serve` and
// `worker` processes do.
describeSchedulerConformance('sqlite', async (processes) => {
  const filename = join(dir, `scheduler-${files++}.db`);
  const fixtures = [];
  for (let i = 0; i < processes; i++) {
    const store = await openSqliteStore({ filename });
    fixtures.push({ store, readStore: store.readStore(), close: () => store.close() });
  }
  return fixtures;
});
