import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, type TimerOptions } from '@tandem/core';
import { counterApp, describeSchedulerConformance, eventually } from '@tandem/testing';

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

describe('TandemOptions.timers', () => {
  it('refuses an unknown key, naming the near one', async () => {
    await assert.rejects(
      counterApp(new MemoryStore(), { timers: { pollInterval: 5 } as TimerOptions }),
      /createTandem timers: unknown option "pollInterval" \(did you mean "pollIntervalMs"\?\)/,
    );
  });

  it('enabled: false builds no scheduler: no job, and start() fires nothing', async () => {
    const store = new MemoryStore();
    const app = await counterApp(store, { timers: { enabled: false } });
    assert.equal(app.scheduler, undefined);
    assert.deepEqual(app.jobs(), []);
    await app.start();
    await app.close();
  });

  it('refuses a poll interval or batch size that would spin or stall the scheduler', async () => {
    await assert.rejects(counterApp(new MemoryStore(), { timers: { pollIntervalMs: 0 } }), RangeError);
    await assert.rejects(counterApp(new MemoryStore(), { timers: { batchSize: 1.5 } }), RangeError);
  });

  it('start() runs the scheduler as ownership.owner; close() stops it and gives its lease up', async () => {
    const store = new MemoryStore();
    const readStore = store.readStore();
    const app = await counterApp(store, { readStore, timers: { pollIntervalMs: 20 } });
    await app.start({ ownership: { owner: 'web-1' } });
    await eventually(() => app.jobs()[0]?.state === 'running');
    const [lease] = await readStore.leases.list();
    assert.equal(lease?.name, 'tandem-scheduler');
    assert.equal(lease?.owner, 'web-1');
    await app.scheduler?.stop();
    assert.equal(app.jobs()[0]?.state, 'stopped');
    assert.equal((await readStore.leases.list())[0]?.live, false, 'released at stop');
    await app.close();
  });
});
