import { MemoryReadStore } from '@tandem/core';
import { describeReadStoreConformance } from '@tandem/testing';

describeReadStoreConformance('memory', async () => {
  const readStore = new MemoryReadStore();
  return { readStore, close: () => readStore.close() };
});
