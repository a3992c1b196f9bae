import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MemoryStore,
  ProjectionDaemon,
  type CollectionDefinition,
  type DocumentWriter,
  type ReadStore,
  type ReadTransaction,
} from '@tandem/core';
import { MemoryReadStore } from '@tandem/core';
import { projectionNamespace } from '@tandem/core/adapter';
import { alice, counterApp, counterProjection, counters, foldCounters } from '@tandem/testing';

/**
 * A read store like a key-value store: every document write commits on its own, the checkpoint
 * separately, and it "crashes" (throws) after every `crashEvery` writes, leaving a batch half done.
 */
function nonAtomic(crashEvery: number, atomic = false): ReadStore {
  const inner = new MemoryReadStore();
  let writes = 0;
  const write = async <T>(change: (tx: ReadTransaction) => Promise<T>): Promise<T> => {
    if (++writes % crashEvery === 0) throw new Error('crashed between writes');
    return inner.transaction(change);
  };
  const writer = <Doc extends object>(
    namespace: string,
    definition: CollectionDefinition<Doc>,
  ): DocumentWriter<Doc> => ({
    ...inner.reader(namespace, definition),
    upsert: (id, doc) => write((tx) => tx.collection(namespace, definition).upsert(id, doc)),
    patch: (id, patch) => write((tx) => tx.collection(namespace, definition).patch(id, patch)),
    delete: (id) => write((tx) => tx.collection(namespace, definition).delete(id)),
  });
  return {
    name: 'non-atomic',
    atomic,
    prepare: (ns, collections) => inner.prepare(ns, collections),
    drop: (ns) => inner.drop(ns),
    reader: (ns, definition) => inner.reader(ns, definition),
    checkpoint: (ns) => inner.checkpoint(ns),
    activeNamespace: (p) => inner.activeNamespace(p),
    namespaces: (p) => inner.namespaces(p),
    parked: (ns) => inner.parked(ns),
    close: () => inner.close(),
    transaction: (work) =>
      work({
        collection: writer,
        checkpoint: (ns) => inner.checkpoint(ns),
        saveCheckpoint: (ns, position, expected) =>
          inner.transaction((tx) => tx.saveCheckpoint(ns, position, expected)),
        park: (letter) => inner.transaction((tx) => tx.park(letter)),
        unpark: (ns, ids) => inner.transaction((tx) => tx.unpark(ns, ids)),
        table: (ns, name) => inner.transaction((tx) => tx.table(ns, name)),
        activate: (p, ns) => inner.transaction((tx) => tx.activate(p, ns)),
        sql: {
          query: () => Promise.reject(new Error('no SQL')),
          execute: () => Promise.reject(new Error('no SQL')),
        },
      }),
  };
}

async function project(readStore: ReadStore) {
  const app = await counterApp(new MemoryStore());
  for (let i = 0; i < 6; i++)
    await app.execute({ type: 'OpenCounter', data: { counterId: `c${i}` }, user: alice, commandId: `o${i}` });
  for (let i = 0; i < 60; i++)
    await app.execute({ type: 'Increment', data: { counterId: `c${i % 6}`, by: 1 + (i % 4) }, user: alice });
  const daemon = new ProjectionDaemon({
    events: app.events,
    readStore,
    projections: [counterProjection()],
    batchSize: 10,
    pollIntervalMs: 5,
  });
  await daemon.start();
  assert.ok(await daemon.waitFor(['counter-totals'], await app.events.headPosition(), 10_000), 'caught up');
  const page = await readStore
    .reader(projectionNamespace('counter-totals', 1), counters)
    .scan({ limit: 500 });
  await daemon.stop();
  const expected = foldCounters(await app.events.readAll({ after: 0, limit: 1_000 }));
  const actual = new Map(
    page.map(({ id, doc }) => [
      id,
      { counterId: doc.counterId, owner: doc.owner, value: doc.value, increments: doc.increments },
    ]),
  );
  return {
    actual,
    expected,
    stamped: page.every(({ doc }) => typeof (doc as { _position?: unknown })._position === 'number'),
  };
}

describe('read stores without atomic checkpoints', () => {
  it('apply each event once per document even when batches die half-way and are replayed', async () => {
    const { actual, expected, stamped } = await project(nonAtomic(7));
    assert.deepEqual(actual, expected);
    assert.ok(stamped, 'documents carry the position of the last event applied');
  });

  it('would double-apply without the guard (the test can fail)', async () => {
    const { actual, expected } = await project(nonAtomic(7, true));
    assert.notDeepEqual(actual, expected);
  });
});
