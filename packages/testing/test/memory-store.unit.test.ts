import { MemoryStore } from '@tandem/core';
import { describeStoreConformance } from '@tandem/testing';

describeStoreConformance('memory', async () => new MemoryStore(), {
  deviations: { sql: 'the memory store has no SQL engine; state-stored handlers need SQLite or PostgreSQL' },
  openWithClock: async (clock) => new MemoryStore({ clock }),
});
