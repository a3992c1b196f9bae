import { openSqliteStore } from '@tandem/sqlite';
import { describeDaemonConformance, describeReactionConformance } from '@tandem/testing';

describeDaemonConformance('sqlite', async () => {
  const store = await openSqliteStore({ filename: ':memory:' });
  return { store, readStore: store.readStore(), close: () => store.close() };
});

describeReactionConformance('sqlite', async () => {
  const store = await openSqliteStore({ filename: ':memory:' });
  return { store, readStore: store.readStore(), close: () => store.close() };
});
