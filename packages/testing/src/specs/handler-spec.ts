import assert from 'node:assert/strict';
import {
  createTandem,
  MemoryStore,
  TandemError,
  type AnyCommandDefinition,
  type CommandIdsOf,
  type CommandInputOf,
  type CommandResult,
  type ErrorCode,
  type Principal,
  type SqlMigration,
  type SqlValue,
  type Store,
  type Tandem,
  type Upcaster,
} from '@tandem/core';
import { withContext } from './failure-context.js';
import { appendGiven, type GivenEvent } from './given-events.js';

/** Options for {@link handlerSpec}. */
export interface HandlerSpecOptions {
  /**
   * Makes the store each spec runs on; default a fresh `MemoryStore`. State-stored handlers and
   * handlers that read tables need SQL, which the memory store has not: pass an adapter's store
   * (`() => openSqliteStore({ filename: ':memory:' })`). Called once per spec; the spec closes it.
   */
  readonly store?: () => Store | Promise<Store>;
  /** The application's own tables, applied before the given rows. */
  readonly migrations?: readonly SqlMigration[];
  /** Who owns the migrations (`createTandem`'s `name`); default `app`. */
  readonly name?: string;
  /** Upcasters, for handlers that load streams holding older event shapes. */
  readonly upcasters?: readonly Upcaster[];
  /** Other commands the application has; only the spec's command is sent. */
  readonly commands?: readonly AnyCommandDefinition[];
  /** The command time (`metadata.timestamp`), for handlers that stamp it into events; default the system clock. */
  readonly clock?: () => Date;
  /** The caller when `when` names none. */
  readonly user?: Principal;
}

/** Rows to insert before the command, by table: `{ shop_products: [{ product_id: 'p1', ... }] }`. */
export type GivenRows = Readonly<Record<string, readonly Readonly<Record<string, SqlValue>>[]>>;

/** What a command is sent with. */
export interface SpecCommand<Input = unknown> {
  /** Raw data, as a caller would send it (it goes through the command's schema); typed by it. */
  readonly data: Input;
  /** The caller; default the spec options' `user`, else anonymous. */
  readonly user?: Principal;
  /** The idempotency key; default `spec-command` (commands that create need one). */
  readonly commandId?: string;
}

/** The events expected on each stream, as plain `{ type, data }`: `{ 'order-1': [...] }`. */
export type ExpectedStreams = Readonly<
  Record<string, readonly { readonly type: string; readonly data: unknown }[]>
>;

/** A statement whose rows, after the command, must deep-equal `rows` (ordered: say ORDER BY). */
export interface ExpectedRows {
  /** A SELECT in the SQL both adapters share, `?` placeholders. */
  readonly sql: string;
  /** Its parameters. */
  readonly params?: readonly SqlValue[];
  /** The rows it must answer, in order, as the adapter returns them (column names as selected). */
  readonly rows: readonly Readonly<Record<string, unknown>>[];
}

/** The `then` half of a handler spec; each runs the whole spec afresh on a new store. */
export interface HandlerThen<Ids extends string = string> {
  /**
   * Asserts the command succeeded and appended exactly `expected` (every stream it wrote, events in
   * order, compared as `{ type, data }`). A function gets the command's result first, to name
   * streams after the ids the server generated. `rows` checks the tables afterwards. Answers the
   * command's result.
   */
  then(
    expected: ExpectedStreams | ((result: CommandResult<Ids>) => ExpectedStreams),
    options?: { readonly rows?: readonly ExpectedRows[] },
  ): Promise<CommandResult<Ids>>;
  /**
   * Asserts the command was refused with `code` (a catalog code), its message containing or
   * matching `message` when given, and that it appended nothing. `rows` checks the tables were left
   * as asserted (a refused command rolls its writes back). Answers the refusal.
   */
  thenRefuses(
    code: ErrorCode,
    message?: string | RegExp,
    options?: { readonly rows?: readonly ExpectedRows[] },
  ): Promise<TandemError>;
}

/** The `given` steps of a handler spec: events on streams, then (optionally) rows, then the command. */
export interface HandlerGiven<Input = unknown, Ids extends string = string> {
  /** Rows in the application's tables before the command (after the migrations). */
  givenRows(rows: GivenRows): HandlerGiven<Input, Ids>;
  /** The command under test. */
  when(command: SpecCommand<Input>): HandlerThen<Ids>;
}

// Table and column names go into SQL text: plain identifiers only, so a typo cannot inject SQL.
const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

async function insertRows(store: Store, rows: GivenRows): Promise<void> {
  await store.transaction(async (tx) => {
    for (const [table, list] of Object.entries(rows)) {
      assert.match(table, identifier, `given rows: ${table} is not a plain table name`);
      for (const row of list) {
        const columns = Object.keys(row);
        for (const column of columns)
          assert.match(column, identifier, `given rows: ${column} is not a plain column name`);
        await tx.sql.execute(
          `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
          columns.map((column) => row[column] ?? null),
        );
      }
    }
  });
}

async function checkRows(store: Store, expected: readonly ExpectedRows[]): Promise<void> {
  for (const { sql, params, rows } of expected) {
    const actual = await store.transaction((tx) => tx.sql.query(sql, params ?? []));
    await withContext(`rows of ${sql}:`, () => assert.deepEqual(actual, rows));
  }
}

/**
 * Given/when/then specs for command handlers of every style, multi-stream (`eventSourcedMany`)
 * and state-stored (`stateStored`) included:
 * `handlerSpec(command, options).given([...events]).givenRows({...}).when({ data, user }).then({...})`.
 * The command runs through the real pipeline (validation, authorization, the handler, the
 * atomic append), on a fresh store per spec, so what passes here passes in the application.
 */
export function handlerSpec<const C extends AnyCommandDefinition>(
  command: C,
  options: HandlerSpecOptions = {},
) {
  type Given = HandlerGiven<CommandInputOf<C>, CommandIdsOf<C>>;
  const label = `command ${command.type}`;
  const build = (events: readonly GivenEvent[], rows: readonly GivenRows[]): Given => ({
    givenRows: (more) => build(events, [...rows, more]),
    when(sent) {
      const run = async <T>(
        check: (app: Tandem, before: number, outcome: Awaited<ReturnType<Tandem['execute']>>) => Promise<T>,
      ) => {
        const store = options.store === undefined ? new MemoryStore() : await options.store();
        let app: Tandem | undefined;
        try {
          app = await createTandem({
            name: options.name ?? 'app',
            store,
            commands: [command, ...(options.commands ?? []).filter((c) => c.type !== command.type)],
            ...(options.migrations === undefined ? {} : { migrations: options.migrations }),
            ...(options.upcasters === undefined ? {} : { upcasters: options.upcasters }),
            ...(options.clock === undefined ? {} : { clock: options.clock }),
          });
          for (const given of rows) await insertRows(store, given);
          const before = await appendGiven(store, events);
          const outcome = await app.execute({
            type: command.type,
            data: sent.data,
            user: sent.user ?? options.user,
            commandId: sent.commandId ?? 'spec-command',
          });
          return await check(app, before, outcome);
        } finally {
          // The app closes the store; without one (createTandem failed), close it here.
          await (app === undefined ? store.close() : app.close());
        }
      };
      const appendedAfter = async (app: Tandem, before: number) => {
        const head = await app.events.headPosition();
        const appended = await app.events.readAll({ after: before, limit: Math.max(1, head - before) });
        const streams: Record<string, { type: string; data: unknown }[]> = {};
        for (const event of appended)
          (streams[event.streamId] ??= []).push({ type: event.type, data: event.data });
        return streams;
      };
      return {
        then: (expected, thenOptions = {}) =>
          withContext(`${label}:`, () =>
            run(async (app, before, outcome) => {
              if (!outcome.ok)
                assert.fail(
                  `expected success, but it was refused: ${outcome.error.code}: ${outcome.error.message}`,
                );
              const streams = typeof expected === 'function' ? expected(outcome.result) : expected;
              await withContext('appended events:', async () =>
                assert.deepEqual(await appendedAfter(app, before), streams),
              );
              await checkRows(app.store, thenOptions.rows ?? []);
              return outcome.result;
            }),
          ),
        thenRefuses: (code, message, thenOptions = {}) =>
          withContext(`${label}:`, () =>
            run(async (app, before, outcome) => {
              if (outcome.ok)
                assert.fail(
                  `expected a refusal (${code}), but it succeeded: ${JSON.stringify(outcome.result)}`,
                );
              assert.ok(
                TandemError.is(outcome.error),
                `expected a TandemError, got ${String(outcome.error)}`,
              );
              assert.equal(
                outcome.error.code,
                code,
                `refused with ${outcome.error.code}: ${outcome.error.message}`,
              );
              if (typeof message === 'string')
                assert.ok(outcome.error.message.includes(message), `message: ${outcome.error.message}`);
              else if (message !== undefined) assert.match(outcome.error.message, message);
              assert.deepEqual(await appendedAfter(app, before), {}, 'a refused command appended events');
              await checkRows(app.store, thenOptions.rows ?? []);
              return outcome.error;
            }),
          ),
      };
    },
  });
  return {
    /** The events already in the log, in order, each on its stream. */
    given: (events: readonly GivenEvent[] = []): Given => build(events, []),
  };
}
