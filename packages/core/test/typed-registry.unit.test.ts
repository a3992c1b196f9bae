import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import {
  CommandBus,
  createTandem,
  defineCollection,
  defineCommand,
  defineProjection,
  defineQuery,
  eachEvent,
  MemoryReadStore,
  MemoryStore,
  ProjectionDaemon,
  QueryBus,
  Upcasters,
  type CommandInputOf,
  type Principal,
} from '@tandem/core';

// `// @ts-expect-error` lines are the type tests: `npm run typecheck` fails if the error disappears.

/** A Standard Schema whose input and output types differ, as a coercing validator's do. */
function schema<In, Out>(parse: (value: Record<string, unknown>) => Out): StandardSchemaV1<In, Out> {
  return {
    '~standard': {
      version: 1,
      vendor: 'typed-registry-test',
      validate: (value) =>
        typeof value === 'object' && value !== null
          ? { value: parse(value as Record<string, unknown>) }
          : { issues: [{ message: 'Expected an object' }] },
    },
  };
}

type NoteEvent =
  | { type: 'NoteWritten'; data: { noteId: string; text: string; author: string } }
  | { type: 'NoteStarred'; data: { noteId: string; stars: number } }
  | { type: 'NoteArchived'; data: { noteId: string } };

interface NoteDoc {
  readonly noteId: string;
  readonly text: string;
  readonly stars: number;
}

const notes = defineCollection<NoteDoc>({ name: 'notes' });
const authors = defineCollection<{ readonly author: string; readonly count: number }>({ name: 'authors' });

const WriteNote = defineCommand({
  type: 'WriteNote',
  schema: schema<
    { noteId: string; text: string; stars?: string },
    { noteId: string; text: string; stars: number }
  >((v) => ({ noteId: String(v.noteId), text: String(v.text), stars: Number(v.stars ?? 0) })),
  generatedIds: ['noteId'],
}).eventSourcedMany(async ({ data, user }) => [
  {
    streamId: `note-${data.noteId}`,
    expectedVersion: 'any',
    events: [{ type: 'NoteWritten', data: { noteId: data.noteId, text: data.text, author: user.id } }],
  },
]);

const StarNote = defineCommand({
  type: 'StarNote',
  schema: schema<{ noteId: string; stars: number }, { noteId: string; stars: number }>((v) => ({
    noteId: String(v.noteId),
    stars: Number(v.stars),
  })),
  generatedIds: ['noteId'],
  acceptsClientIds: true,
  resultIds: ({ data }) => ({ starred: data.noteId }),
}).eventSourcedMany(async ({ data }) => [
  { streamId: `note-${data.noteId}`, expectedVersion: 'any', events: [{ type: 'NoteStarred', data }] },
]);

const noteBoard = defineProjection.for<NoteEvent>()({
  name: 'note-board',
  version: 1,
  events: ['NoteWritten', 'NoteStarred'],
  collections: { notes, authors },
  apply: eachEvent(async (event, { collections }) => {
    if (event.type === 'NoteWritten') {
      // Typed with no generics: the events list narrowed the union.
      const text: string = event.data.text;
      await collections.notes.upsert(event.data.noteId, { noteId: event.data.noteId, text, stars: 0 });
      const seen = await collections.authors.get(event.data.author);
      await collections.authors.upsert(event.data.author, {
        author: event.data.author,
        count: (seen?.count ?? 0) + 1,
      });
      return;
    }
    // @ts-expect-error NoteArchived is not in the events list, so the narrowed union has no such case.
    if (event.type === 'NoteArchived') return;
    // @ts-expect-error a NoteStarred event has no text.
    void event.data.text;
    await collections.notes.patch(event.data.noteId, { stars: event.data.stars });
    // @ts-expect-error the projection declares no such collection.
    void collections.drafts;
  }),
});

const archive = defineProjection.for<NoteEvent>()({
  name: 'note-archive',
  version: 1,
  events: ['NoteArchived'],
  collections: { notes },
  apply: eachEvent(async (event, { collections }) => {
    await collections.notes.delete(event.data.noteId);
  }),
});

void defineProjection.for<NoteEvent>()({
  name: 'bad-events',
  version: 1,
  // @ts-expect-error not an event of the union.
  events: ['NoteDeleted'],
  collections: { notes },
  apply: eachEvent(async () => {}),
});

const GetNote = defineQuery({
  name: 'GetNote',
  params: schema<{ noteId: string }, { noteId: string }>((v) => ({ noteId: String(v.noteId) })),
  projections: [noteBoard],
  handler: async ({ params }, read) => {
    const board = await read.collection(noteBoard, 'notes');
    // @ts-expect-error the projection declares no `drafts` collection.
    void (() => read.collection(noteBoard, 'drafts'));
    // @ts-expect-error the query did not declare the archive projection.
    void (() => read.collection(archive, 'notes'));
    return board.get(params.noteId);
  },
});

const GetNoteText = defineQuery({
  name: 'GetNoteText',
  params: schema<{ noteId: string }, { noteId: string }>((v) => ({ noteId: String(v.noteId) })),
  projections: [noteBoard],
  public: true,
  // A stored document's JSON text comes back as the document.
  handler: async ({ params }, read) => (await read.collection(noteBoard, 'notes')).getJson(params.noteId),
});

const alice: Principal = { id: 'alice', roles: [] };

async function notesApp() {
  return createTandem({
    store: new MemoryStore(),
    commands: [WriteNote, StarNote],
    projections: [noteBoard, archive],
    queries: [GetNote, GetNoteText],
  });
}

describe('typed registries', () => {
  const apps: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const app of apps) await app.close();
  });

  it('types execute by the command registry, and its result ids', async () => {
    const app = await notesApp();
    apps.push(app);
    const written = await app.execute({
      type: 'WriteNote',
      data: { text: 'hello', stars: '2' },
      user: alice,
      commandId: 'k1',
    });
    if (!written.ok) assert.fail(written.error.message);
    const noteId: string = written.result.ids.noteId;
    assert.equal(typeof noteId, 'string');
    // @ts-expect-error WriteNote's result carries only noteId.
    void written.result.ids.starred;

    const starred = await app.execute({
      type: 'StarNote',
      data: { stars: 3, noteId },
      user: alice,
      commandId: 'k-star',
    });
    if (!starred.ok) assert.fail(starred.error.message);
    assert.equal(starred.result.ids.starred, noteId);

    // @ts-expect-error no such command.
    void app.execute({ type: 'EraseNote', data: {}, user: alice });
    // @ts-expect-error noteId is the server's to generate for WriteNote.
    void app.execute({ type: 'WriteNote', data: { text: 'x', noteId: 'mine' }, user: alice });
    // @ts-expect-error text is required.
    void app.execute({ type: 'WriteNote', data: {}, user: alice });
    // @ts-expect-error stars is a string on the way in.
    void app.execute({ type: 'WriteNote', data: { text: 'x', stars: 2 }, user: alice });
    // acceptsClientIds: the generated id is optional for the caller.
    const optionalId: CommandInputOf<typeof StarNote> = { stars: 1 };
    void optionalId;
    // The untyped bus stays open to unchecked input (HTTP bodies).
    const refused = await app.commands.execute({ type: 'EraseNote', data: 42 as unknown, user: alice });
    assert.equal(refused.ok ? undefined : refused.error.code, 'unknown-command');
  });

  it('types query by the query registry, and reads its own write', async () => {
    const app = await notesApp();
    apps.push(app);
    await app.start();
    const written = await app.execute({
      type: 'WriteNote',
      data: { text: 'read me' },
      user: alice,
      commandId: 'k2',
    });
    if (!written.ok) assert.fail(written.error.message);
    const got = await app.query({
      name: 'GetNote',
      params: { noteId: written.result.ids.noteId },
      user: alice,
      minPosition: written.result.position,
    });
    if (!got.ok) assert.fail(String(got.error.cause));
    const text: string = got.view.text;
    assert.equal(text, 'read me');
    // @ts-expect-error a NoteDoc has no author.
    void got.view.author;

    const asStored = await app.query({
      name: 'GetNoteText',
      params: { noteId: written.result.ids.noteId },
      minPosition: written.result.position,
    });
    assert.ok(asStored.ok);
    assert.equal(asStored.view.stars, 0);

    // @ts-expect-error no such query.
    void app.query({ name: 'GetDraft', params: {} });
    // @ts-expect-error GetNote takes a noteId.
    void app.query({ name: 'GetNote', params: { id: 'x' }, user: alice });
  });

  it('refuses a projection name where a definition belongs, and an undeclared read at run time', async () => {
    assert.throws(
      () =>
        defineQuery({
          name: 'ByName',
          params: schema<object, object>(() => ({})),
          // @ts-expect-error projections are definitions, not names.
          projections: ['note-board'],
          handler: async () => undefined,
        }),
      /projections are projection definitions/,
    );
    const Sneaky = defineQuery({
      name: 'Sneaky',
      params: schema<object, object>(() => ({})),
      projections: [noteBoard],
      public: true,
      // A JavaScript caller (or a cast) reaching past what the query declared.
      handler: async (_input, read) =>
        (await read.collection(archive as unknown as typeof noteBoard, 'notes')).get('x'),
    });
    const app = await createTandem({
      store: new MemoryStore(),
      commands: [],
      projections: [noteBoard, archive],
      queries: [Sneaky],
    });
    apps.push(app);
    const sneaked = await app.query({ name: 'Sneaky', params: {} });
    assert.equal(sneaked.ok ? undefined : sneaked.error.code, 'internal');
    assert.match(
      String(sneaked.ok ? undefined : sneaked.error.cause),
      /did not declare projection note-archive/,
    );
  });
});

describe('unknown options', () => {
  const unknown = (where: string, key: string) =>
    new RegExp(`${where}: unknown option "${key}"`.replace(/[()]/g, '\\$&'));

  it('are refused by createTandem, its daemon and its retry policies', async () => {
    const store = new MemoryStore();
    await assert.rejects(
      // @ts-expect-error not an option of createTandem.
      createTandem({ store, commands: [], projection: [noteBoard] }),
      unknown('createTandem', 'projection'),
    );
    await assert.rejects(
      // @ts-expect-error not a daemon option.
      createTandem({ store, commands: [], daemon: { batch: 10 } }),
      unknown('createTandem daemon', 'batch'),
    );
    await assert.rejects(
      // @ts-expect-error maxAttempts is not a retry option.
      createTandem({ store, commands: [], retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } }),
      unknown('createTandem retry', 'maxAttempts'),
    );
    await assert.rejects(
      createTandem({
        store,
        commands: [],
        // @ts-expect-error maxAttempts is not a retry option.
        daemon: { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 } },
      }),
      unknown('createTandem daemon retry', 'maxAttempts'),
    );
  });

  it('are refused by the definitions', () => {
    assert.throws(
      () =>
        defineCommand({
          type: 'Typo',
          schema: schema<object, object>(() => ({})),
          // @ts-expect-error generatedId is not an option (generatedIds is).
          generatedId: ['x'],
        }),
      unknown('defineCommand Typo', 'generatedId'),
    );
    assert.throws(
      () =>
        defineQuery({
          name: 'Typo',
          params: schema<object, object>(() => ({})),
          projections: [noteBoard],
          // @ts-expect-error isPublic is not an option.
          isPublic: true,
          handler: async () => undefined,
        }),
      unknown('defineQuery Typo', 'isPublic'),
    );
    assert.throws(
      () =>
        defineProjection({
          name: 'typo',
          version: 1,
          events: [],
          collections: {},
          // @ts-expect-error partition is not an option (partitions is).
          partition: 2,
          apply: async () => {},
        }),
      unknown('defineProjection typo', 'partition'),
    );
    assert.throws(
      () =>
        defineProjection({
          name: 'typo',
          version: 1,
          events: [],
          collections: {},
          // @ts-expect-error retries is not a retry option.
          retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retries: 2 },
          apply: async () => {},
        }),
      unknown('defineProjection typo retry', 'retries'),
    );
  });

  it('are refused by the buses and the daemon', () => {
    const store = new MemoryStore();
    assert.throws(
      // @ts-expect-error idempotencyWait is not an option.
      () => new CommandBus({ store, commands: [], upcasters: new Upcasters(), idempotencyWait: 10 }),
      unknown('CommandBus', 'idempotencyWait'),
    );
    assert.throws(
      () =>
        new CommandBus({
          store,
          commands: [],
          upcasters: new Upcasters(),
          // @ts-expect-error tries is not a retry option.
          retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, tries: 2 },
        }),
      unknown('CommandBus retry', 'tries'),
    );
    const daemonOptions = {
      events: store.events,
      readStore: new MemoryReadStore(),
      projections: [noteBoard],
    };
    assert.throws(
      // @ts-expect-error batch is not an option.
      () => new ProjectionDaemon({ ...daemonOptions, batch: 5 }),
      unknown('ProjectionDaemon', 'batch'),
    );
    const daemon = new ProjectionDaemon(daemonOptions);
    assert.throws(
      // @ts-expect-error cursorSecret is not an option.
      () => new QueryBus(daemon, [], { cursorSecret: 'k' }),
      unknown('QueryBus', 'cursorSecret'),
    );
  });
});
