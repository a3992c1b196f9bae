import { MemoryStore } from '@tandem/core';
import { describeDaemonConformance } from '@tandem/testing';

describeDaemonConformance('memory', async () => {
  const store = new MemoryStore();
  return { store, readStore: store.readStore(), close: () => store.close() };
});
