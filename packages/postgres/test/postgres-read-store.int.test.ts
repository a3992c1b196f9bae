import { after, describe, it } from 'node:test';
import { openPostgresStore } from '@tandem/postgres';
import {
  describeDaemonConformance,
  describeReactionConformance,
  describeReadStoreConformance,
  describeSplitPartitionsConformance,
} from '@tandem/testing';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';

const url = await postgresTestUrl();
const schemas: string[] = [];
const run = `${process.pid}_${Date.now().toString(36)}`;
const open = async (kind: string, shared?: string) => {
  const schema = shared ?? `t_${kind}_${run}_${schemas.length}`;
  if (shared === undefined) schemas.push(schema);
  if (url === undefined) throw new Error('unreachable');
  return openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20 });
};

if (url === undefined) {
  describe('ReadStore conformance: postgres', () => {
    it('needs a PostgreSQL server', { skip: 'no PostgreSQL server (see the message above)' }, () => {});
  });
} else {
  after(() => dropSchemas(url, schemas));
  describeReadStoreConformance('postgres', async () => {
    const store = await open('read');
    return { readStore: store.readStore(), close: () => store.close() };
  });
  describeDaemonConformance('postgres', async () => {
    const store = await open('daemon');
    return { store, readStore: store.readStore(), close: () => store.close() };
  });
  describeReactionConformance('postgres', async () => {
    const store = await open('reaction');
    return { store, readStore: store.readStore(), close: () => store.close() };
  });
  // Two pools on one schema, as two processes have.
  describeSplitPartitionsConformance('postgres', async () => {
    const one = await open('split');
    const two = await open('split', schemas.at(-1));
    return [
      { store: one, readStore: one.readStore(), close: () => one.close() },
      { store: two, readStore: two.readStore(), close: () => two.close() },
    ];
  });
}
