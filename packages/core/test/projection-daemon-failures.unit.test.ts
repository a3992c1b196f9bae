import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import {
  defineCollection,
  defineProjection,
  MemoryStore,
  ProjectionDaemon,
  type ProjectionLogger,
  type ReadStore,
  type RetryPolicy,
} from '@tandem/core';
import { eventually } from '@tandem/testing';

interface Note {
  readonly id: string;
  readonly seen: number;
}

const notes = defineCollection<Note>({ name: 'notes' });

/** Makes `apply` fail the way a buggy projection would, and counts its calls. */
const faults = { broken: false, applies: 0 };

/** A read model of `Noted` events, one document per stream. */
function notesProjection(options: { readonly version?: number; readonly retry?: RetryPolicy } = {}) {
  return defineProjection({
    name: 'notes-seen',
    version: options.version ?? 1,
    events: ['Noted'],
    collections: { notes },
    retry: options.retry ?? { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    apply: async (events, { collections }) => {
      faults.applies += 1;
      if (faults.broken) throw new Error('notes-seen is broken');
      for (const event of events)
        await collections.notes.upsert(event.streamId, { id: event.streamId, seen: 1 });
    },
  });
}

interface Line {
  readonly level: keyof ProjectionLogger;
  readonly details: Record<string, unknown>;
  readonly message: string;
}

/** A logger that keeps what it is told, for the test to read. */
function recordingLogger(): { readonly lines: Line[]; readonly logger: ProjectionLogger } {
  const lines: Line[] = [];
  const record = (level: keyof ProjectionLogger) => (details: object, message: string) => {
    lines.push({ level, details: details as Record<string, unknown>, message });
  };
  return { lines, logger: { error: record('error'), warn: record('warn'), info: record('info') } };
}

const stores: MemoryStore[] = [];
const daemons: ProjectionDaemon[] = [];

afterEach(async () => {
  mock.restoreAll();
  faults.broken = false;
  faults.applies = 0;
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

function daemon(
  store: MemoryStore,
  options: Partial<ConstructorParameters<typeof ProjectionDaemon>[0]> = {},
) {
  const d = new ProjectionDaemon({
    events: store.events,
    readStore: store.readStore(),
    projections: [notesProjection()],
    pollIntervalMs: 5,
    ...options,
  });
  daemons.push(d);
  return d;
}

/** A store whose log holds `count` notes, projected by version 1, whose daemon has stopped. */
async function notedStore(count = 3): Promise<MemoryStore> {
  const store = new MemoryStore();
  stores.push(store);
  for (let i = 0; i < count; i++)
    await store.events.append([
      { streamId: `note-${i}`, expectedVersion: 'no-stream', events: [{ type: 'Noted', data: {} }] },
    ]);
  const v1 = daemon(store);
  await v1.start();
  assert.ok(await v1.waitFor(['notes-seen'], await store.events.headPosition(), 10_000));
  await v1.stop();
  return store;
}

describe('projection daemon: failures no caller waits for are reported', () => {
  it('logs a version rebuild started at start-up that stopped on an error, with its projection and cause', async () => {
    const store = await notedStore();
    faults.broken = true;
    const { lines, logger } = recordingLogger();
    const v2 = daemon(store, { projections: [notesProjection({ version: 2 })], logger });
    await v2.start();
    const line = await eventually(
      () => lines.find((l) => l.level === 'error' && /rebuild failed/.test(l.message)),
      { message: 'the failed build is logged' },
    );
    assert.equal(line.details.projection, 'notes-seen');
    assert.equal(line.details.namespace, 'notes-seen@2');
    assert.ok(line.details.err instanceof Error);
    assert.match(line.details.err.message, /notes-seen is broken/);
    // The build stays visible in the status where it stopped, and the old version keeps serving.
    const build = (await v2.status()).find((s) => s.namespace === 'notes-seen@2');
    assert.equal(build?.state, 'stopped-on-error');
    assert.match(build?.lastError?.message ?? '', /notes-seen is broken/);
    assert.equal(await store.readStore().activeNamespace('notes-seen'), 'notes-seen@1');
  });

  it('writes warnings and errors as one line each on stderr by default', async () => {
    const store = await notedStore();
    faults.broken = true;
    const written: string[] = [];
    mock.method(console, 'error', (...args: unknown[]) => {
      written.push(args.map(String).join(' '));
    });
    const v2 = daemon(store, { projections: [notesProjection({ version: 2 })] });
    await v2.start();
    const line = await eventually(() => written.find((l) => l.startsWith('tandem error: rebuild failed')));
    assert.doesNotMatch(line, /\n/);
    assert.match(line, /"projection":"notes-seen"/);
    assert.match(line, /"namespace":"notes-seen@2"/);
    assert.match(line, /"err":"Rebuild of notes-seen stopped: notes-seen is broken"/);
  });

  it('survives a logger that throws', async () => {
    const store = await notedStore();
    faults.broken = true;
    let calls = 0;
    const throwing = () => {
      calls += 1;
      throw new Error('the logger is down');
    };
    const v2 = daemon(store, {
      projections: [notesProjection({ version: 2 })],
      logger: { error: throwing, warn: throwing, info: throwing },
    });
    await v2.start();
    await eventually(() => calls > 0, { message: 'the logger was called' });
    await eventually(
      async () =>
        (await v2.status()).find((s) => s.namespace === 'notes-seen@2')?.state === 'stopped-on-error',
      { message: 'the build stops on its error all the same' },
    );
  });

  it('resolves a rebuild whose old storage cannot be dropped, with a warning (start-up drops it later)', async () => {
    const store = new MemoryStore();
    stores.push(store);
    await store.events.append([
      { streamId: 'note-a', expectedVersion: 'no-stream', events: [{ type: 'Noted', data: {} }] },
    ]);
    const inner = store.readStore();
    const failingDrop = new Proxy(inner, {
      get(target, property) {
        if (property === 'drop') return () => Promise.reject(new Error('drop refused'));
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as ReadStore;
    const { lines, logger } = recordingLogger();
    const d = daemon(store, { readStore: failingDrop, logger });
    await d.start();
    await d.rebuild('notes-seen');
    const active = await inner.activeNamespace('notes-seen');
    assert.match(active ?? '', /^notes-seen@1~r/);
    const warning = lines.find((l) => l.level === 'warn');
    assert.match(warning?.message ?? '', /dropping the storage a rebuild replaced failed/);
    assert.equal(warning?.details.namespace, active);
  });
});

describe('projection daemon: stop cuts a retry backoff short', () => {
  /** A backoff of about a minute: jitter is pinned near its ceiling, and counted. */
  const minute: RetryPolicy = { attempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 };
  const pinJitter = () => mock.method(Math, 'random', () => 0.99);

  it('stops a live runner waiting out a one-minute backoff within 2 s; the event is applied after a restart', async () => {
    const store = new MemoryStore();
    stores.push(store);
    faults.broken = true;
    const random = pinJitter();
    const d = daemon(store, { projections: [notesProjection({ retry: minute })] });
    await d.start();
    const { position } = await store.events.append([
      { streamId: 'note-a', expectedVersion: 'no-stream', events: [{ type: 'Noted', data: {} }] },
    ]);
    // The jitter is drawn just before the runner sleeps: from then on it waits out the backoff.
    await eventually(() => random.mock.callCount() > 0, { message: 'the runner backs off' });
    assert.equal(faults.applies, 1, 'one attempt so far: the runner is in its first backoff');
    const started = performance.now();
    await d.stop();
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2_000, `stop took ${Math.round(elapsed)} ms`);
    // Stopped, not failed: nothing committed, nothing parked.
    const readStore = store.readStore();
    assert.equal(await readStore.checkpoint('notes-seen@1'), 0);
    assert.deepEqual(await readStore.parked('notes-seen@1'), []);
    faults.broken = false;
    const again = daemon(store, { projections: [notesProjection({ retry: minute })] });
    await again.start();
    assert.ok(await again.waitFor(['notes-seen'], position, 10_000));
    assert.deepEqual(await readStore.reader('notes-seen@1', notes).get('note-a'), { id: 'note-a', seen: 1 });
  });

  it('stops a shadow build in its backoff promptly, and logs that as a stop, not a failure', async () => {
    const store = await notedStore();
    faults.broken = true;
    const random = pinJitter();
    const { lines, logger } = recordingLogger();
    const v2 = daemon(store, { projections: [notesProjection({ version: 2, retry: minute })], logger });
    await v2.start();
    await eventually(() => random.mock.callCount() > 0, { message: 'the build backs off' });
    const started = performance.now();
    await v2.stop();
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2_000, `stop took ${Math.round(elapsed)} ms`);
    const line = await eventually(
      () => lines.find((l) => l.level === 'info' && /rebuild stopped/.test(l.message)),
      { message: 'the stop is logged' },
    );
    assert.match(line.message, /rebuild stopped before it caught up; it resumes at start-up/);
    assert.equal(line.details.namespace, 'notes-seen@2');
    // The failure series was logged once, when it began; the stop added no failure of its own.
    assert.deepEqual(
      lines.filter((l) => l.level !== 'info').map((l) => l.message),
      ['projection failed to apply a batch; retrying'],
      'a stop is no failure',
    );
  });
});
