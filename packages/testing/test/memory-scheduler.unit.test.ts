import { MemoryStore } from '@tandem/core';
import { describeSchedulerConformance } from '@tandem/testing';

// One store in memory stands for the shared database: every "process" holds it (closed once).
describeSchedulerConformance('memory', async (processes) => {
  const store = new MemoryStore();
  const readStore = store.readStore();
  return Array.from({ length: processes }, (_, i) => ({
    store,
    readStore,
    close: i === 0 ? () => store.close() : async () => {},
  }));
});
