import { MemoryReadStore } from '@tandem/core';
import { describeReadStoreConformance } from '@tandem/testing';

describeReadStoreConformance(
  'memory',
  async () => {
    const readStore = new MemoryReadStore();
    return { readStore, close: () => readStore.close() };
  },
  {
    deviations: {
      'active-reader':
        'no activeReader: queries look the active namespace up, then read (one map lookup each)',
    },
  },
);
