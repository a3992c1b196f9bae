import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryReadStore, MemoryStore, ProjectionDaemon } from '@tandem/core';

describe('ProjectionDaemon lossProbeMs', () => {
  it('refuses a probe interval that would spin or never come, by name', () => {
    const store = new MemoryStore();
    for (const lossProbeMs of [0, 5, -1, Number.NaN, 3_600_001])
      assert.throws(
        () =>
          new ProjectionDaemon({
            events: store.events,
            readStore: new MemoryReadStore(),
            projections: [],
            lossProbeMs,
          }),
        /lossProbeMs must be from 10 to 3,600,000 ms/,
        String(lossProbeMs),
      );
    assert.doesNotThrow(
      () =>
        new ProjectionDaemon({
          events: store.events,
          readStore: new MemoryReadStore(),
          projections: [],
          lossProbeMs: 10,
        }),
    );
  });
});
