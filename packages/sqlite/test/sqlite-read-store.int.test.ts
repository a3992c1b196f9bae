import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openSqliteStore } from '@tandem/sqlite';
import { describeReadStoreConformance } from '@tandem/testing';

const dir = mkdtempSync(join(tmpdir(), 'tandem-sqlite-read-'));
let n = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

describeReadStoreConformance('sqlite', async () => {
  const store = await openSqliteStore({ filename: join(dir, `read-${++n}.db`) });
  return { readStore: store.readStore(), close: () => store.close() };
});
