import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  defineCollection,
  defineProjection,
  MemoryStore,
  ProjectionDaemon,
  type ProjectionEvent,
  type ProjectionLogger,
} from '@tandem/core';
import { eventually } from '@tandem/testing';

const notes = defineCollection<{ readonly id: string }>({ name: 'notes' });

/** Fails while `failing` holds the stream of the event being applied. */
const faults = { failing: new Set<string>() };

function notesProjection(options: { readonly version?: number; readonly onError?: 'stop' | 'skip' } = {}) {
  return defineProjection({
    name: 'notes',
    version: options.version ?? 1,
    events: ['Noted'],
    collections: { notes },
    onError: options.onError ?? 'stop',
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    apply: async (events, { collections }) => {
      for (const event of events) {
        if (faults.failing.has(event.streamId)) throw new Error(`${event.streamId} is broken`);
        await collections.notes.upsert(event.streamId, { id: event.streamId });
      }
    },
  });
}

interface Line {
  readonly level: string;
  readonly details: Record<string, unknown>;
  readonly message: string;
}

function capturing(): { readonly lines: Line[]; readonly logger: ProjectionLogger } {
  const lines: Line[] = [];
  const at = (level: string) => (details: object, message: string) =>
    lines.push({ level, details: details as Record<string, unknown>, message });
  return { lines, logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } };
}

const stores: MemoryStore[] = [];
const daemons: ProjectionDaemon[] = [];
afterEach(async () => {
  faults.failing.clear();
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

function setUp(options: Partial<ConstructorParameters<typeof ProjectionDaemon>[0]> = {}) {
  const store = new MemoryStore();
  stores.push(store);
  const { lines, logger } = capturing();
  const events: ProjectionEvent[] = [];
  const d = new ProjectionDaemon({
    events: store.events,
    readStore: store.readStore(),
    projections: [notesProjection()],
    pollIntervalMs: 5,
    statusIntervalMs: 20,
    logger,
    observer: (event) => events.push(event),
    ...options,
  });
  daemons.push(d);
  const note = (streamId: string) =>
    store.events.append([{ streamId, expectedVersion: 'any', events: [{ type: 'Noted', data: {} }] }]);
  return { store, d, lines, events, note };
}

describe('projection daemon: log events', () => {
  it('logs a failure series once at error with its event, retries at debug, then the stop on the error', async () => {
    const { d, lines, note } = setUp();
    await d.start();
    faults.failing.add('note-bad');
    const bad = await note('note-bad');
    await eventually(async () => (await d.status())[0]?.state === 'stopped-on-error');
    const errors = lines.filter((l) => l.level === 'error');
    assert.deepEqual(
      errors.map((l) => l.message),
      [
        'projection failed to apply an event; retrying',
        'projection stopped on an event that kept failing; fix it, then retry',
      ],
      'one line for the series, one for the stop: never one per attempt',
    );
    const first = errors[0]?.details ?? {};
    assert.equal(first.projection, 'notes');
    assert.equal(first.namespace, 'notes@1');
    assert.equal(first.position, bad.position);
    assert.equal(first.streamId, 'note-bad');
    assert.equal(first.type, 'Noted');
    assert.equal(typeof first.eventId, 'string');
    assert.ok(first.err instanceof Error);
    assert.ok(lines.filter((l) => l.level === 'debug' && /retry failed/.test(l.message)).length >= 2);
    assert.ok(lines.filter((l) => l.level === 'debug').every((l) => l.details.streamId === 'note-bad'));
  });

  it('names the failing event of a batch once the replay event by event finds it, in one error line', async () => {
    const { d, lines, note } = setUp();
    faults.failing.add('note-bad');
    await note('note-1');
    const bad = await note('note-bad');
    await note('note-3');
    // Started after the three are written: they come in one batch.
    await d.start();
    await eventually(async () => (await d.status())[0]?.state === 'stopped-on-error');
    const batch = lines.filter((l) => /a batch/.test(l.message));
    assert.deepEqual(
      batch.map((l) => [l.level, l.details.events]),
      [['warn', 3]],
      'the batch failure once, at warn: it names no event yet',
    );
    const named = lines.filter((l) => l.message === 'projection failed to apply an event; retrying');
    assert.equal(named.length, 1);
    assert.equal(named[0]?.level, 'error');
    assert.equal(named[0]?.details.position, bad.position);
    assert.equal(named[0]?.details.streamId, 'note-bad');
    assert.equal((await d.status())[0]?.lastError?.streamId, 'note-bad');
  });

  it('logs a park at warn', async () => {
    const { d, lines, note, events } = setUp({ projections: [notesProjection({ onError: 'skip' })] });
    await d.start();
    faults.failing.add('note-bad');
    await note('note-bad');
    await eventually(() => lines.some((l) => l.level === 'warn' && /parked/.test(l.message)));
    const parked = lines.find((l) => /parked/.test(l.message));
    assert.equal(parked?.details.streamId, 'note-bad');
    assert.ok(
      events.filter((e) => e.kind === 'failure').length >= 3,
      'each failed attempt reaches the observer (the failures counter)',
    );
  });

  it('logs a stall when it begins and when it ends, with its cause, and the recovery at info', async () => {
    const { d, lines, note } = setUp({
      projections: [{ ...notesProjection(), retry: { attempts: 1_000, baseDelayMs: 5, maxDelayMs: 10 } }],
      stallAfterMs: 100,
    });
    await d.start();
    faults.failing.add('note-slow');
    await note('note-slow');
    const stalled = await eventually(() => lines.find((l) => /projection stalled/.test(l.message)));
    assert.equal(stalled.level, 'warn');
    assert.equal(stalled.details.cause, 'retrying');
    faults.failing.clear();
    const cleared = await eventually(() => lines.find((l) => /no longer stalled/.test(l.message)));
    assert.equal(cleared.level, 'info');
    assert.equal(cleared.details.cause, 'retrying');
    assert.equal(lines.filter((l) => /projection stalled/.test(l.message)).length, 1, 'logged once');
    const recovered = lines.find((l) => /recovered/.test(l.message));
    assert.equal(recovered?.level, 'info');
    assert.equal(recovered?.details.projection, 'notes');
  });

  it("logs a rebuild's start, progress, swap and finish, and reports its progress and duration", async () => {
    const { store, d, lines, note, events } = setUp();
    for (let i = 0; i < 20; i++) await note(`note-${i}`);
    await d.start();
    assert.ok(await d.waitFor(['notes'], await store.events.headPosition(), 5_000));
    await d.rebuild('notes');
    const messages = lines.filter((l) => /^rebuild/.test(l.message)).map((l) => l.message);
    assert.equal(messages[0], 'rebuild started');
    assert.deepEqual(messages.slice(-2), [
      'rebuild swapped in; queries read the new storage',
      'rebuild finished',
    ]);
    const finished = events.find((e) => e.kind === 'rebuild-finished');
    assert.ok(finished !== undefined && finished.durationMs >= 0);
    assert.match(
      String(lines.find((l) => l.message === 'rebuild finished')?.details.namespace),
      /^notes@1~r/,
    );
  });

  it('logs lease gained when it takes a projection, and lease given up when it stops', async () => {
    const { d, lines } = setUp({ ownership: { owner: 'me', ttlMs: 1_000, heartbeatMs: 50 } });
    await d.start();
    const gained = await eventually(() => lines.find((l) => /lease gained/.test(l.message)));
    assert.deepEqual(
      [gained.level, gained.details.projection, gained.details.owner, gained.details.epoch],
      ['info', 'notes', 'me', 1],
    );
    await d.stop();
    assert.ok(
      lines.some((l) => /lease given up or lost/.test(l.message) && l.details.projection === 'notes'),
    );
  });
});
