import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openSqliteStore } from '@tandem/sqlite';
import { describeStoreConformance } from '@tandem/testing';

const dir = join(tmpdir(), `tandem-sqlite-conformance-${process.pid}-${Date.now()}`);
let n = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

describeStoreConformance('sqlite (file)', () => openSqliteStore({ filename: join(dir, `case-${++n}.db`) }), {
  openWithClock: (clock) => openSqliteStore({ filename: join(dir, `case-${++n}.db`), clock }),
});
describeStoreConformance('sqlite (:memory:)', () => openSqliteStore({ filename: ':memory:' }));
