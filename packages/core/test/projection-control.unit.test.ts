import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  defineCollection,
  defineProjection,
  MemoryStore,
  ProjectionDaemon,
  type MaintenanceRequest,
  type ProjectionOwnership,
} from '@tandem/core';
import { eventually } from '@tandem/testing';

interface Note {
  readonly id: string;
}

const notes = defineCollection<Note>({ name: 'notes' });

const notesProjection = defineProjection({
  name: 'notes-seen',
  version: 1,
  events: ['Noted'],
  collections: { notes },
  apply: async (events, { collections }) => {
    for (const event of events) await collections.notes.upsert(event.streamId, { id: event.streamId });
  },
});

const stores: MemoryStore[] = [];
const daemons: ProjectionDaemon[] = [];

afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

let noted = 0;
async function note(store: MemoryStore, count = 1): Promise<number> {
  for (let i = 0; i < count; i++)
    await store.events.append([
      { streamId: `note-${noted++}`, expectedVersion: 'no-stream', events: [{ type: 'Noted', data: {} }] },
    ]);
  return store.events.headPosition();
}

const quietLogger = { error: () => {}, warn: () => {}, info: () => {} };

/** A daemon on `store`, sharing by lease as `owner` (or a client that only asks, without start). */
function daemon(store: MemoryStore): ProjectionDaemon {
  const d = new ProjectionDaemon({
    events: store.events,
    readStore: store.readStore(),
    projections: [notesProjection],
    pollIntervalMs: 5,
    controlPollMs: 10,
    logger: quietLogger,
  });
  daemons.push(d);
  return d;
}

function ownership(owner: string, extra: Partial<ProjectionOwnership> = {}): ProjectionOwnership {
  return { owner, ttlMs: 1_000, heartbeatMs: 20, ...extra };
}

/** Waits until a request has ended. */
function finished(client: ProjectionDaemon, id: string): Promise<MaintenanceRequest> {
  return eventually(
    async () => {
      const request = await client.maintenanceRequest(id);
      return request?.state === 'done' || request?.state === 'failed' ? request : undefined;
    },
    { timeoutMs: 10_000, message: `request ${id} ends` },
  );
}

async function liveNamespace(holder: ProjectionDaemon): Promise<string | undefined> {
  return (await holder.status()).find((s) => !s.namespace.includes('~') || s.state !== 'rebuilding')
    ?.namespace;
}

describe('projection control: maintenance through the lease holder', () => {
  it('given a holder, when another process asks for a rebuild, then the holder rebuilds, swaps and keeps applying', async () => {
    const store = new MemoryStore();
    stores.push(store);
    await note(store, 20);
    const holder = daemon(store);
    await holder.start({ ownership: ownership('server') });
    const client = daemon(store);
    const before = await store.readStore().activeNamespace('notes-seen');

    const request = await client.enqueue('rebuild', 'notes-seen');
    const done = await finished(client, request.id);

    assert.equal(done.state, 'done', done.error);
    assert.equal(done.claimedBy, 'server');
    const after = await store.readStore().activeNamespace('notes-seen');
    assert.notEqual(after, before);
    assert.deepEqual(done.result, { namespace: after });
    assert.deepEqual(await store.readStore().namespaces('notes-seen'), [after], 'the old copy is dropped');
    const head = await note(store, 3);
    assert.ok(await holder.waitFor(['notes-seen'], head, 5_000), 'the new copy is not frozen');
    assert.equal(await liveNamespace(holder), after);
  });

  it('given a live runner, when another process swaps the active storage and drops the old, then the runner follows it', async () => {
    const store = new MemoryStore();
    stores.push(store);
    const firstNote = `note-${noted}`;
    await note(store, 5);
    const holder = daemon(store);
    await holder.start({ ownership: ownership('server') });
    assert.ok(await holder.waitFor(['notes-seen'], await store.events.headPosition(), 5_000));
    const readStore = store.readStore();
    const old = await readStore.activeNamespace('notes-seen');
    assert.ok(old !== undefined);

    // What an older CLI did: its own copy, swapped in, the old one dropped under the runner.
    const elsewhere = 'notes-seen@1~00000000000001';
    await readStore.prepare(elsewhere, [notes]);
    await readStore.transaction((tx) => tx.activate('notes-seen', elsewhere));
    await readStore.drop(old);
    const head = await note(store, 4);

    await eventually(async () => (await liveNamespace(holder)) === elsewhere, {
      message: 'the live runner moved to the active storage',
    });
    assert.ok(await holder.waitFor(['notes-seen'], head, 5_000), 'and applies the log there');
    const status = (await holder.status()).find((s) => s.namespace === elsewhere);
    assert.notEqual(status?.state, 'stopped-on-error');
    assert.ok(await (await holder.reader('notes-seen', notes)).get(firstNote), 'applied from 0 there');
  });

  it('given a swap to storage of another version, the runner does not follow it and says so once', async () => {
    const store = new MemoryStore();
    stores.push(store);
    await note(store, 2);
    const warnings: string[] = [];
    const holder = new ProjectionDaemon({
      events: store.events,
      readStore: store.readStore(),
      projections: [notesProjection],
      controlPollMs: 10,
      logger: { ...quietLogger, warn: (_details, message) => warnings.push(message) },
    });
    daemons.push(holder);
    await holder.start({ ownership: ownership('server') });
    const readStore = store.readStore();
    const own = await readStore.activeNamespace('notes-seen');
    await readStore.prepare('notes-seen@2', [notes]);
    await readStore.transaction((tx) => tx.activate('notes-seen', 'notes-seen@2'));
    await eventually(() => warnings.some((w) => /another version/.test(w)), { message: 'warned' });
    assert.equal(await liveNamespace(holder), own, 'version 1 code never writes version 2 storage');
    assert.equal(warnings.filter((w) => /another version/.test(w)).length, 1);
  });

  it('given a pause, then the runner holds in state paused, a failover keeps it paused, and resume catches up', async () => {
    const store = new MemoryStore();
    stores.push(store);
    const first = daemon(store);
    await first.start({ ownership: ownership('first') });
    const client = daemon(store);
    const paused = await finished(client, (await client.enqueue('pause', 'notes-seen')).id);
    assert.equal(paused.state, 'done', paused.error);
    assert.deepEqual(await client.paused(), ['notes-seen']);
    await eventually(async () => (await first.status())[0]?.state === 'paused', { message: 'paused' });
    const head = await note(store, 5);
    assert.equal(await first.waitFor(['notes-seen'], head, 150), false, 'a paused projection does not move');

    // The holder goes; the next one starts paused too.
    await first.stop();
    const second = daemon(store);
    await second.start({ ownership: ownership('second') });
    await eventually(async () => (await second.status())[0]?.state === 'paused', {
      message: 'still paused after the failover',
    });
    assert.equal(await second.waitFor(['notes-seen'], head, 150), false);

    const resumed = await finished(client, (await client.enqueue('resume', 'notes-seen')).id);
    assert.equal(resumed.state, 'done', resumed.error);
    assert.equal(resumed.claimedBy, 'second');
    assert.ok(await second.waitFor(['notes-seen'], head, 5_000), 'resume catches up');
    assert.deepEqual(await client.paused(), []);
  });

  it('given nobody holds the lease, a passive daemon for one projection takes it, performs the request and leaves the others', async () => {
    const store = new MemoryStore();
    stores.push(store);
    await note(store, 3);
    const cli = daemon(store);
    const request = await cli.enqueue('verify', 'notes-seen');
    await cli.start({ ownership: ownership('cli', { only: ['notes-seen'] }) });
    const done = await finished(cli, request.id);
    assert.equal(done.state, 'done', done.error);
    assert.equal(done.claimedBy, 'cli');
    assert.equal(done.result?.ok, true);
    await cli.stop();
    assert.equal(
      (await store.readStore().leases.list()).find((l) => l.live),
      undefined,
      'released',
    );
  });

  it('joins a rebuild already under way, answers a retry with nothing to retry, and refuses unknown names', async () => {
    const store = new MemoryStore();
    stores.push(store);
    const holder = daemon(store);
    await holder.start({ ownership: ownership('server') });
    const client = daemon(store);
    const rebuild = await client.enqueue('rebuild', 'notes-seen');
    const twice = await client.enqueue('rebuild', 'notes-seen');
    const [a, b] = await Promise.all([finished(client, rebuild.id), finished(client, twice.id)]);
    // Both were claimed at one look: the second joined the first's build rather than start another.
    assert.equal(a.state, 'done', a.error);
    assert.equal(b.state, 'done', b.error);
    assert.deepEqual(a.result, b.result, 'one rebuild, one new namespace');
    const retry = await finished(client, (await client.enqueue('retry', 'notes-seen')).id);
    assert.equal(retry.state, 'done');
    assert.equal(retry.result?.retried, false, 'nothing had stopped');
    await assert.rejects(client.enqueue('rebuild', 'nope'), /No projection named nope/);
  });
});
