import assert from 'node:assert/strict';
import type { JobStatus, Store, StoredAuditEntry } from '@tandem/core';
import { eventually } from './eventually.js';
import { auditRow } from './fixtures/audit-row.js';
import { counterApp } from './fixtures/counter-app.js';

const day = 24 * 60 * 60 * 1000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

async function seed(store: Store, prefix: string, count: number): Promise<void> {
  await store.transaction(async (tx) => {
    for (let i = 0; i < count; i++) {
      await tx.idempotency.claim({
        commandId: `${prefix}-${i}`,
        commandType: 'Test',
        payloadHash: 'h',
        result: { commandId: `${prefix}-${i}`, commandType: 'Test', ids: {}, position: 1, streams: [] },
        recordedAt: ago(8 * day),
      });
      await tx.audit.record(auditRow(`${prefix}-${i}`, ago(40 * day)));
    }
  });
}

const stateOf = (jobs: readonly JobStatus[], name: string) => jobs.find((job) => job.name === name)?.state;

/**
 * Two processes' applications with retention on one database (`openStore` opens a store of it,
 * once per process): each job runs in one of them at a time, every old audit row is archived once
 * and purged, expired idempotency records go, and when the holder stops the other process takes
 * the jobs over. For each adapter's int tests.
 */
export async function retentionAcrossProcesses(openStore: () => Promise<Store>): Promise<void> {
  const archived: string[] = [];
  let active = 0;
  let overlapped = false;
  const open = async (name: string) => {
    const store = await openStore();
    const app = await counterApp(store, {
      retention: {
        leaseTtlMs: 600,
        idempotency: { intervalMs: 20, batchSize: 7 },
        audit: {
          retainForMs: 30 * day,
          intervalMs: 20,
          batchSize: 7,
          archive: async (rows: readonly StoredAuditEntry[]) => {
            active += 1;
            if (active > 1) overlapped = true;
            // A turn of the event loop while "writing" the archive: the other process could run here.
            await new Promise((resolve) => setImmediate(resolve));
            archived.push(...rows.map((row) => `${row.commandId}@${name}`));
            active -= 1;
          },
        },
      },
    });
    return { app, store };
  };
  const a = await open('a');
  const b = await open('b');
  // What the test has not closed itself: the finally closes these, and a failure to close fails it.
  const running = new Set([a, b]);
  try {
    await seed(a.store, 'first', 30);
    await a.app.start();
    await b.app.start();
    const names = ['tandem-retention-idempotency', 'tandem-retention-audit'];
    let twoRunners = false;
    // Each job has its own lease: the two may well be held by different processes.
    const holderOf = (name: string): 'a' | 'b' | undefined => {
      const [ofA, ofB] = [stateOf(a.app.jobs(), name), stateOf(b.app.jobs(), name)];
      if (ofA === 'running' && ofB === 'standby') return 'a';
      if (ofB === 'running' && ofA === 'standby') return 'b';
      return undefined;
    };
    const holders = await eventually(async () => {
      const jobs = [a.app.jobs(), b.app.jobs()];
      for (const name of names)
        if (jobs.filter((j) => stateOf(j, name) === 'running').length > 1) twoRunners = true;
      assert.equal((await a.store.audit.list({ limit: 1_000 })).length, 0, 'old audit rows purged');
      assert.equal(await a.store.idempotency.find('first-29'), undefined);
      const found = names.map(holderOf);
      return found.every((holder) => holder !== undefined) ? found : undefined;
    });
    const holder = holders[1];
    assert.equal(twoRunners, false, 'never two processes running one job');
    assert.equal(overlapped, false, 'the archive never ran in two processes at once');
    assert.equal(archived.length, 30, 'each row archived once');
    assert.ok(
      archived.every((entry) => entry.endsWith(`@${holder}`)),
      'by the process holding the audit job lease',
    );
    const purged = (holder === 'a' ? a : b).app.jobs().find((j) => j.name === 'tandem-retention-audit');
    assert.equal(purged?.details?.['purgedTotal'], 30);

    // The audit job's holder stops: the other process takes the jobs over and purges what comes next.
    const [gone, other] = holder === 'a' ? [a, b] : [b, a];
    running.delete(gone);
    await gone.app.close();
    await seed(other.store, 'second', 5);
    await eventually(async () => {
      assert.deepEqual(
        names.map((name) => stateOf(other.app.jobs(), name)),
        ['running', 'running'],
      );
      assert.equal((await other.store.audit.list()).length, 0);
      assert.equal(await other.store.idempotency.find('second-4'), undefined);
      return true;
    });
    assert.equal(archived.length, 35);
    assert.equal(new Set(archived.map((entry) => entry.split('@')[0])).size, 35, 'no row archived twice');
  } finally {
    for (const side of running) await side.app.close();
  }
}
