import { openSqliteStore } from '@tandem/sqlite';
import { describeDaemonConformance } from '@tandem/testing';

describeDaemonConformance('sqlite', async () => {
  const store = await openSqliteStore({ filename: ':memory:' });
  return { store, readStore: store.readStore(), close: () => store.close() };
});
