import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, type IdempotencyRecord, type StoredAuditEntry } from '@tandem/core';
import { auditRow, counterApp, eventually } from '@tandem/testing';

const day = 24 * 60 * 60 * 1000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

function record(commandId: string, recordedAt: string): IdempotencyRecord {
  return {
    commandId,
    commandType: 'Test',
    payloadHash: 'h',
    result: { commandId, commandType: 'Test', ids: {}, position: 1, streams: [] },
    recordedAt,
  };
}

async function seed(store: MemoryStore): Promise<void> {
  await store.transaction(async (tx) => {
    for (let i = 0; i < 5; i++) await tx.idempotency.claim(record(`old-${i}`, ago(8 * day)));
    await tx.idempotency.claim(record('fresh', ago(day)));
  });
  for (let i = 0; i < 3; i++) await store.audit.record(auditRow(`a-${i}`, ago(40 * day)));
  await store.audit.record(auditRow('recent', ago(day)));
}

describe('retention jobs', () => {
  it('purge expired records and archive then purge old audit rows once started, reported in jobs()', async () => {
    const store = new MemoryStore();
    await seed(store);
    const archived: StoredAuditEntry[] = [];
    let archiveUp = false;
    const app = await counterApp(store, {
      retention: {
        idempotency: { batchSize: 2, intervalMs: 20 },
        audit: {
          retainForMs: 30 * day,
          batchSize: 2,
          intervalMs: 20,
          archive: async (rows) => {
            if (!archiveUp) throw new Error('archive down');
            archived.push(...rows);
          },
        },
      },
    });
    assert.deepEqual(
      // After the timer scheduler, which every app with a read store has.
      app.jobs().map((job) => [job.name, job.state]),
      [
        ['tandem-scheduler', 'stopped'],
        ['tandem-retention-idempotency', 'stopped'],
        ['tandem-retention-audit', 'stopped'],
      ],
      'nothing runs before start',
    );
    try {
      await app.start();
      const idempotency = await eventually(() => {
        const job = app.jobs().find((j) => j.name === 'tandem-retention-idempotency');
        return job?.state === 'running' && job.runs > 0 ? job : undefined;
      });
      assert.equal(idempotency.details?.['lastPurged'], 5);
      assert.equal(idempotency.details?.['windowMs'], 7 * day);
      assert.equal(typeof idempotency.details?.['lastCutoff'], 'string');
      assert.equal(await store.idempotency.find('old-0'), undefined);
      assert.ok(await store.idempotency.find('fresh'), 'a live record stays');

      // The archive fails: the job says so, and nothing is deleted.
      const failing = await eventually(() => {
        const job = app.jobs().find((j) => j.name === 'tandem-retention-audit');
        return job?.state === 'failing' ? job : undefined;
      });
      assert.equal(failing.lastError?.message, 'archive down');
      assert.equal((await store.audit.list()).length, 4, 'a failed archive deletes nothing');

      archiveUp = true;
      await eventually(async () => {
        assert.deepEqual(
          (await store.audit.list()).map((e) => e.commandId),
          ['recent'],
        );
        return true;
      });
      assert.deepEqual(
        archived.map((row) => row.commandId),
        ['a-0', 'a-1', 'a-2'],
        'archived in order, each once, before the delete',
      );
      const audit = await eventually(() => {
        const job = app.jobs().find((j) => j.name === 'tandem-retention-audit');
        return job?.state === 'running' && job.details?.['purgedTotal'] === 3 ? job : undefined;
      });
      assert.equal(audit.details?.['retainForMs'], 30 * day);
    } finally {
      await app.close();
    }
    assert.deepEqual(
      app.jobs().map((job) => job.state),
      ['stopped', 'stopped', 'stopped'],
    );
  });

  it('are off without the option, and refuse unknown keys', async () => {
    const app = await counterApp(new MemoryStore());
    assert.deepEqual(
      app.jobs().map((job) => job.name),
      ['tandem-scheduler'],
    );
    await app.close();
    await assert.rejects(
      // @ts-expect-error: not a retention option
      counterApp(new MemoryStore(), { retention: { idempotncy: false } }),
      TypeError,
    );
    await assert.rejects(
      counterApp(new MemoryStore(), { retention: { audit: { retainForMs: 0 } } }),
      TypeError,
    );
  });
});
