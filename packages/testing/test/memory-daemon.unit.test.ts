import { MemoryStore } from '@tandem/core';
import {
  describeDaemonConformance,
  describeReactionConformance,
  describeSplitPartitionsConformance,
} from '@tandem/testing';

describeDaemonConformance('memory', async () => {
  const store = new MemoryStore();
  return { store, readStore: store.readStore(), close: () => store.close() };
});

describeReactionConformance('memory', async () => {
  const store = new MemoryStore();
  return { store, readStore: store.readStore(), close: () => store.close() };
});

// One store in memory stands for the shared database: both daemons hold it (closed once).
describeSplitPartitionsConformance('memory', async () => {
  const store = new MemoryStore();
  const readStore = store.readStore();
  return [
    { store, readStore, close: () => store.close() },
    { store, readStore, close: async () => {} },
  ];
});
