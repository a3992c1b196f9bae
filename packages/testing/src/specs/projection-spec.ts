import assert from 'node:assert/strict';
import {
  createTandem,
  MemoryStore,
  ProjectionDaemon,
  QueryBus,
  type AnyProjection,
  type AnyQueryDefinition,
  type CollectionDefinition,
  type EventStore,
  type ErrorCode,
  type Principal,
  type ProjectionLogger,
  type ReadStore,
  type Store,
  type Upcaster,
} from '@tandem/core';
import { eventually } from '../eventually.js';
import { withContext } from './failure-context.js';
import { appendGiven, type GivenEvent } from './given-events.js';

/** Options for {@link projectionSpec}. */
export interface ProjectionSpecOptions {
  /**
   * Makes the read store each spec runs on; default a fresh `MemoryReadStore` (no database). Pass
   * an adapter's to run the same spec on it: a read store, or a whole store whose `readStore()` is
   * used (`() => openSqliteStore({ filename: ':memory:' })`). Called once per spec; the spec closes
   * what it returns (a store's read store closes with the store).
   */
  readonly readStore?: () => ReadStore | Store | Promise<ReadStore | Store>;
  /** Queries `thenQuery` may run, by definition or by name. */
  readonly queries?: readonly AnyQueryDefinition[];
  /** Upcasters the given events are read through, as the application's log would be. */
  readonly upcasters?: readonly Upcaster[];
  /** Events per batch (default the daemon's 500): a small one checks batch-spanning logic. */
  readonly batchSize?: number;
  /** How long to wait for the projection to apply the given events; default 5 000 ms. */
  readonly timeoutMs?: number;
}

/** What `then` checks documents against: exactly these documents by id, or a predicate over them. */
export type DocumentsExpectation<Doc> =
  Readonly<Record<string, Doc>> | ((documents: Readonly<Record<string, Doc>>) => unknown);

/** One query run, for the `thenQuery` and `thenQueryRefuses` of {@link ProjectionThen}. */
export interface SpecQuery {
  /** Raw parameters, as a caller would send them (they go through the query's schema). */
  readonly params?: unknown;
  /** The caller; omit for a public query. */
  readonly user?: Principal;
}

/** The `then` half of a projection spec; each runs the projection over the given events afresh. */
export interface ProjectionThen {
  /**
   * Asserts the documents of `collection` (one of the projection's) after the given events:
   * deep-equal to `expected` (all documents, by id), or `expected(documents)` neither throws nor
   * returns false.
   */
  then<Doc extends object>(
    collection: CollectionDefinition<Doc>,
    expected: DocumentsExpectation<Doc>,
  ): Promise<void>;
  /**
   * Runs `query` (a definition, or the name of one in the options' `queries`) against the
   * projected read model and asserts its view: deep-equal to `expected`, or, when `expected` is a
   * function, that it neither throws nor returns false. A refused query fails the spec.
   */
  thenQuery(
    query: AnyQueryDefinition | string,
    request: SpecQuery,
    expected: (view: unknown) => unknown,
  ): Promise<void>;
  /** `thenQuery` with the exact view expected (deep equality). */
  // eslint-disable-next-line @typescript-eslint/unified-signatures -- one signature's `unknown` would swallow the predicate, leaving its parameter untyped
  thenQuery(query: AnyQueryDefinition | string, request: SpecQuery, expected: unknown): Promise<void>;
  /**
   * Runs `query` as `thenQuery` does and asserts it is refused with `code`: `not-found` when
   * the handler finds nothing (or nothing the caller may see), `unauthenticated`, `forbidden`...
   */
  thenQueryRefuses(query: AnyQueryDefinition | string, request: SpecQuery, code: ErrorCode): Promise<void>;
  /** Asserts that applying the given events throws, with a message containing (or matching) `message`. */
  thenFails(message: string | RegExp): Promise<void>;
}

/** The projection after the given events: applied, or stopped at the event whose apply threw. */
interface Projected {
  readonly daemon: ProjectionDaemon;
  readonly readStore: ReadStore;
  readonly events: EventStore;
  readonly head: number;
  readonly failure: string | undefined;
}

/** The read store the factory made, or the one inside the whole store it made. */
function readStoreOf(made: ReadStore | Store): ReadStore {
  if (!('events' in made)) return made;
  const readStore = made.readStore?.();
  if (readStore === undefined) throw new Error(`The ${made.name} store has no read store`);
  return readStore;
}

// Expected failures are the point of `thenFails`: the daemon's own report of them is noise there.
const quietLogger: ProjectionLogger = { error() {}, warn() {}, info() {} };

/**
 * Given/when/then specs for projections:
 * `projectionSpec(projection).given([...events]).then(collection, { id: doc })`. The given events
 * are appended to an in-memory log and the projection runs in a real projection daemon (batches,
 * partitions, setup and checkpoints as in production), over a fresh read store per spec. An
 * inline projection is applied the way the daemon catches one up; the in-transaction path is
 * covered by running its commands (see {@link testApp}).
 */
export function projectionSpec(projection: AnyProjection, options: ProjectionSpecOptions = {}) {
  const label = `projection ${projection.name}`;
  return {
    /** The events in the log before the projection runs, in order, each on its stream. */
    given(events: readonly GivenEvent[]): ProjectionThen {
      const run = async <T>(check: (projected: Projected) => Promise<T>): Promise<T> => {
        const store = new MemoryStore();
        const made = options.readStore === undefined ? undefined : await options.readStore();
        const readStore = made === undefined ? store.readStore() : readStoreOf(made);
        // An application with no commands: its log, read through the upcasters as the app reads it.
        const { events: log } = await createTandem({
          store,
          commands: [],
          ...(options.upcasters === undefined ? {} : { upcasters: options.upcasters }),
        });
        const daemon = new ProjectionDaemon({
          events: log,
          readStore,
          // `stop` whatever the projection's policy: a spec wants the first failure, not parked events.
          projections: [
            { ...projection, onError: 'stop', retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 } },
          ],
          // One attempt: a spec wants the first failure, not retries of it.
          retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
          pollIntervalMs: 5,
          logger: quietLogger,
          ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        });
        try {
          const head = await appendGiven(store, events);
          await daemon.start();
          const failure = await eventually(
            async () => {
              const statuses = (await daemon.status()).filter((s) => s.name === projection.name);
              const failed = statuses.find((s) => s.lastError !== undefined);
              if (failed?.lastError !== undefined) return { message: failed.lastError.message };
              return (await daemon.waitFor([projection.name], head, 20)) ? { message: undefined } : false;
            },
            {
              timeoutMs: options.timeoutMs ?? 5_000,
              message: `${label} did not apply the ${events.length} given events in time`,
            },
          );
          return await check({
            daemon,
            readStore,
            events: log,
            head,
            failure: failure.message,
          });
        } finally {
          await daemon.stop();
          await store.close();
          if (made !== undefined) await made.close();
        }
      };
      const queryName = (query: AnyQueryDefinition | string) =>
        typeof query === 'string' ? query : query.name;
      const runQuery = async (
        projected: Projected,
        query: AnyQueryDefinition | string,
        request: SpecQuery,
      ) => {
        applied(projected);
        const name = queryName(query);
        // Only queries of this projection: the bus refuses one that reads a projection it lacks.
        const definitions = (options.queries ?? []).filter((d) =>
          d.projections.every((p) => p.name === projection.name),
        );
        if (typeof query !== 'string' && !definitions.includes(query)) definitions.push(query);
        assert.ok(
          definitions.some((d) => d.name === name),
          `no query named ${name} that reads only ${projection.name} in the spec's options`,
        );
        const bus = new QueryBus(projected.daemon, definitions, { events: projected.events });
        return bus.execute({
          name,
          params: request.params ?? {},
          user: request.user,
          minPosition: projected.head,
        });
      };
      const applied = (projected: Projected) => {
        if (projected.failure !== undefined)
          assert.fail(`${label} failed to apply the given events: ${projected.failure}`);
      };

      return {
        then: <Doc extends object>(
          collection: CollectionDefinition<Doc>,
          expected: DocumentsExpectation<Doc>,
        ) =>
          withContext(`${label}, collection ${collection.name}:`, () =>
            run(async (projected) => {
              applied(projected);
              const reader = await projected.daemon.reader(projection.name, collection);
              const documents: Record<string, Doc> = {};
              for (let after: string | undefined; ;) {
                const page = await reader.scan({ ...(after === undefined ? {} : { after }), limit: 500 });
                for (const { id, doc } of page) documents[id] = doc;
                if (page.length < 500) break;
                after = page.at(-1)?.id;
              }
              if (typeof expected === 'function') {
                const verdict = expected(documents);
                assert.notEqual(
                  verdict,
                  false,
                  `the predicate refused the documents:\n${JSON.stringify(documents, null, 2)}`,
                );
              } else assert.deepEqual(documents, expected);
            }),
          ),

        thenQuery: (query: AnyQueryDefinition | string, request: SpecQuery, expected: unknown) =>
          withContext(`${label}, query ${queryName(query)}:`, () =>
            run(async (projected) => {
              const outcome = await runQuery(projected, query, request);
              if (!outcome.ok)
                assert.fail(`the query was refused: ${outcome.error.code}: ${outcome.error.message}`);
              if (typeof expected === 'function') {
                const verdict = (expected as (view: unknown) => unknown)(outcome.view);
                assert.notEqual(
                  verdict,
                  false,
                  `the predicate refused the view:\n${JSON.stringify(outcome.view, null, 2)}`,
                );
              } else assert.deepEqual(outcome.view, expected);
            }),
          ),

        thenQueryRefuses: (query, request, code) =>
          withContext(`${label}, query ${queryName(query)}:`, () =>
            run(async (projected) => {
              const outcome = await runQuery(projected, query, request);
              if (outcome.ok)
                assert.fail(`expected a refusal (${code}), but it answered ${JSON.stringify(outcome.view)}`);
              assert.equal(
                outcome.error.code,
                code,
                `refused with ${outcome.error.code}: ${outcome.error.message}`,
              );
            }),
          ),

        thenFails: (message) =>
          withContext(`${label}:`, () =>
            run(async (projected) => {
              assert.ok(
                projected.failure !== undefined,
                `expected applying the given events to fail with ${String(message)}, but it succeeded`,
              );
              if (typeof message === 'string')
                assert.ok(projected.failure.includes(message), projected.failure);
              else assert.match(projected.failure, message);
            }),
          ),
      };
    },
  };
}
