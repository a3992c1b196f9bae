import type { DomainEvent, RecordedEvent } from '../messages/event.js';
import type { CollectionDefinition } from '../read-store/collection-definition.js';
import type { DocumentWriter } from '../read-store/document-collection.js';
import { retryPolicyKeys, type RetryPolicy } from '../write/retry-policy.js';
import type { SqlExecutor } from '../write/sql-executor.js';
import { assertKnownOptions } from '../options/known-options.js';
import { ProjectionNamespace, projectionNamePattern } from './projection-namespace.js';

/** The collections a projection owns, by name. */
// `object` documents: each collection carries its own document type through CollectionDefinition.
export type CollectionMap = Readonly<Record<string, CollectionDefinition<object>>>;

/** The document type of a collection definition. */
export type DocumentOf<C> = C extends CollectionDefinition<infer Doc> ? Doc : never;

/** Raw SQL access for projections that keep their own tables (the escape hatch). */
export interface SqlContext {
  readonly sql: SqlExecutor;
  /** The physical name of one of this projection's tables in the storage being written. */
  table(name: string): Promise<string>;
}

/** What `apply` gets: a writer per collection, and SQL for projections with their own tables. */
export interface ProjectionContext<C extends CollectionMap> extends SqlContext {
  readonly collections: { readonly [K in keyof C]: DocumentWriter<DocumentOf<C[K]>> };
}

/**
 * The ids of the documents of one collection that `apply` reads for an event (one id, several,
 * or none). Declared as a method's type so that a projection of some event types is still an
 * `AnyProjection` (method parameters are bivariant; `apply` is declared the same way).
 */
export type DocumentReads<E extends DomainEvent> = {
  bivariant(event: RecordedEvent<E>): string | readonly string[] | undefined;
}['bivariant'];

/** What to do with an event whose apply keeps failing after retries. */
export type FailurePolicy =
  /** Stop the projection at the event; it stays stopped until replayed or rebuilt. (Default.) */
  | 'stop'
  /** Park the event and every later event of its stream, and go on with other streams. */
  | 'skip';

/** A read model: which events it reads, where it writes, and how. */
export interface ProjectionDefinition<
  C extends CollectionMap = CollectionMap,
  E extends DomainEvent = DomainEvent,
> {
  /** Stable name: lowercase letters, digits and dashes. */
  readonly name: string;
  /** Bump when `apply` or the document shapes change: a new version rebuilds blue/green. */
  readonly version: number;
  /**
   * Event types it handles; others are skipped without a call, and still checkpointed. `'*'` in
   * the list handles every type (relays publish every event, whatever types come later).
   */
  readonly events: readonly E['type'][];
  readonly collections: C;
  readonly onError?: FailurePolicy;
  /**
   * `async` (default): the daemon applies events after they commit. `inline`: the command
   * pipeline applies them inside the command's own transaction, so the read model is current the
   * moment the command returns; only for read stores in the same database, and a failing apply
   * fails the command. The daemon still runs inline projections for catch-up and rebuilds.
   */
  readonly mode?: 'async' | 'inline';
  /**
   * The name of the read store it lives in, bound by the application (`createTandem`'s
   * `readStores`); unnamed or unbound, the application's default read store. A read model is
   * placed where its query pattern is served best (key lookups in Redis, relations in SQL).
   */
  readonly readStore?: string;
  /**
   * Creates raw SQL tables (names from `table(...)`) when a namespace is prepared: at first start,
   * for each rebuild, for verify. Document collections need no setup.
   */
  setup?(context: SqlContext): Promise<void>;
  /** Retries before the failure policy applies. */
  readonly retry?: RetryPolicy;
  /**
   * The documents `apply` reads, per collection (by its key in `collections`), for a read model
   * keyed by something other than the stream id (order summaries keyed by `orderId`, a customer's
   * totals keyed by `customerId`). A store that pays a round trip per read (Redis, PostgreSQL)
   * loads a batch's declared ids together at the first read. Without a declaration the hint is the
   * batch's stream ids. A hint only: an id missing from it is read on its own, a wrong one is read
   * for nothing; results never change.
   */
  readonly reads?: { readonly [K in keyof C]?: DocumentReads<E> };
  /**
   * Splits the work by stream id into this many partitions (default 1), each with its own
   * checkpoint, applied in parallel; a stream's events stay in order in its partition. Only for
   * projections whose documents each belong to one stream: two partitions updating one document
   * at once could lose an update. Changing the count builds a new namespace, like a new version.
   */
  readonly partitions?: number;
  /**
   * Applies a batch of events, in log order, inside one read-store transaction that also moves the
   * checkpoint. Must be deterministic: a rebuild runs it again over the same events.
   */
  apply(events: readonly RecordedEvent<E>[], context: ProjectionContext<C>): Promise<void>;
  /**
   * For work whose effects live outside the read store (a relay publishing to a broker, a
   * reaction sending commands): takes each batch's events in log order, outside any read
   * transaction, before the checkpoint moves; `apply` is then never called. The checkpoint moves
   * only after it resolved, so a crash in between delivers the batch again: its effects must be
   * idempotent by event id. A plain error counts as an outage of whatever it delivers to (retried
   * with backoff, never parked); throw `ApplyFailed` (from `@tandem/core/adapter`) for a failure
   * of the events themselves, which the failure policy (`retry`, `onError`) then handles. Not for
   * inline projections.
   */
  deliver?(events: readonly RecordedEvent<E>[]): Promise<void>;
  /**
   * False for work whose effects must not be done again from the start of the log: reactions and
   * workflows, whose commands past the idempotency window would run a second time. `rebuild` of
   * such a projection is refused. Default true (a read model is rebuilt blue/green; a relay
   * republishes, and consumers' inboxes drop what they had).
   */
  readonly rebuildable?: boolean;
  /**
   * Releases what the projection holds outside the read store (a relay's broker connection). The
   * daemon calls it once, from `ProjectionDaemon.close` (which the application's `close` calls),
   * only after every runner stopped, so no `deliver` is in flight or can start; never on `stop`,
   * after which the daemon may start again.
   */
  close?(): Promise<void>;
}

/** A projection definition with its types erased, as registries hold them. */
export type AnyProjection = ProjectionDefinition<CollectionMap, DomainEvent>;

/** The collections a projection definition declares, by key. */
export type CollectionsOf<P> = P extends { readonly collections: infer C extends CollectionMap } ? C : never;

/**
 * What {@link defineProjection.for} takes: a projection definition whose `events` list (`L`) picks
 * the members of the application's event union `E` that `apply` receives.
 */
export type ProjectionOptionsFor<C extends CollectionMap, E extends DomainEvent, L extends E['type']> = Omit<
  ProjectionDefinition<C, Extract<E, { readonly type: L }>>,
  'events'
> & {
  /** Event types it handles; `apply` (and `eachEvent`) receive exactly these members of the union. */
  readonly events: readonly L[];
};

/**
 * What `defineProjection` returns: the definition with its name as a literal type, so two
 * projections with the same collections are still told apart where a query names the one it reads.
 */
export type NamedProjection<
  N extends string,
  C extends CollectionMap,
  E extends DomainEvent,
> = ProjectionDefinition<C, E> & { readonly name: N };

/** Every key a projection definition may carry, for the run-time check of unknown options. */
const projectionKeys = [
  'name',
  'version',
  'events',
  'collections',
  'onError',
  'mode',
  'readStore',
  'setup',
  'retry',
  'reads',
  'partitions',
  'apply',
  'deliver',
  'rebuildable',
  'close',
] as const satisfies readonly (keyof AnyProjection)[];

/**
 * Declares a projection; checks its name, version, partitions and options. The definition keeps
 * its collection types, so queries that name it read typed collections. To have `apply` (and
 * {@link eachEvent}) receive typed events, declare the application's event union once with
 * {@link defineProjection.for}.
 *
 * @throws on a bad name, version or partition count, and TypeError on an unknown option.
 * @internal Exported as a type only, so that `defineProjection`'s type can be named; call `defineProjection`.
 */
export function defineProjectionImpl<
  const N extends string,
  const C extends CollectionMap,
  E extends DomainEvent = DomainEvent,
>(definition: ProjectionDefinition<C, E> & { readonly name: N }): NamedProjection<N, C, E> {
  assertKnownOptions(`defineProjection ${String(definition.name)}`, definition, projectionKeys);
  assertKnownOptions(`defineProjection ${String(definition.name)} retry`, definition.retry, retryPolicyKeys);
  if (!projectionNamePattern.test(definition.name)) {
    throw new Error(`Projection name ${JSON.stringify(definition.name)} must match ${projectionNamePattern}`);
  }
  if (!Number.isInteger(definition.version) || definition.version < 1) {
    throw new Error(`Projection ${definition.name} needs a positive integer version`);
  }
  const partitions = definition.partitions ?? 1;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 64) {
    throw new Error(`Projection ${definition.name}: partitions must be a whole number from 1 to 64`);
  }
  if (definition.deliver !== undefined && definition.mode === 'inline') {
    throw new Error(`Projection ${definition.name}: a projection with deliver cannot be inline`);
  }
  if (definition.reads !== undefined && (typeof definition.reads !== 'object' || definition.reads === null))
    throw new Error(`Projection ${definition.name}: reads must map collections to functions`);
  for (const [key, reads] of Object.entries(definition.reads ?? {})) {
    // A misspelt collection would leave its hint unused, silently.
    if (!Object.hasOwn(definition.collections, key) || (reads !== undefined && typeof reads !== 'function'))
      throw new Error(
        `Projection ${definition.name}: reads.${key} must be a function, for one of its collections`,
      );
  }
  if (partitions > 1 && definition.mode === 'inline') {
    throw new Error(`Projection ${definition.name}: an inline projection cannot be partitioned`);
  }
  return definition;
}

/**
 * Binds a projection to the application's event union `E` once:
 * `defineProjection.for<ShopEvent>()({ events: ['OrderPlaced'], apply: eachEvent(...) })`. The
 * `events` list narrows `E` (to `Extract<E, { type: L }>`), so `apply` and `eachEvent` handlers
 * get typed `event.data` with no generics written. Curried because TypeScript cannot take `E`
 * explicitly and still infer the rest.
 *
 * @internal Exported as a type only, for `defineProjection.for`'s type; call `defineProjection.for`.
 */
export function defineProjectionFor<E extends DomainEvent>() {
  return <const N extends string, const C extends CollectionMap, const L extends E['type']>(
    definition: ProjectionOptionsFor<C, E, L> & { readonly name: N },
  ): NamedProjection<N, C, Extract<E, { readonly type: L }>> =>
    defineProjectionImpl(
      definition as ProjectionDefinition<C, Extract<E, { readonly type: L }>> & { readonly name: N },
    );
}

/**
 * Declares a projection: `defineProjection({ name, version, events, collections, apply })`. It
 * checks the name, version, partitions and options (an unknown option is a type error and a
 * TypeError), and keeps the name and collection types, so queries that name it read typed
 * collections. For typed events in `apply` and `eachEvent`, name the application's event union once:
 * `defineProjection.for<ShopEvent>()({ ... })` (the `events` list narrows it).
 */
export const defineProjection: typeof defineProjectionImpl & { readonly for: typeof defineProjectionFor } =
  Object.assign(defineProjectionImpl, { for: defineProjectionFor });

/** Builds a batch `apply` from a per-event handler, for projections with no batch-level logic. */
export function eachEvent<C extends CollectionMap, E extends DomainEvent>(
  handle: (event: RecordedEvent<E>, context: ProjectionContext<C>) => Promise<void>,
): ProjectionDefinition<C, E>['apply'] {
  return async (events, context) => {
    for (const event of events) await handle(event, context);
  };
}

/**
 * The storage namespace of a projection version (and, for rebuilds, a generation). A partitioned
 * projection's names its partition count (`name@2x4`), so a new count builds new storage. The text
 * of {@link ProjectionNamespace.of}; throws on parts out of range.
 */
export function projectionNamespace(
  name: string,
  version: number,
  generation?: string,
  partitions = 1,
): string {
  return ProjectionNamespace.of({ projection: name, version, generation, partitions }).toString();
}

/** The namespace a projection definition writes (live, or a rebuild's `generation`). */
export function namespaceOf(projection: AnyProjection, generation?: string): string {
  return ProjectionNamespace.forProjection(projection, generation).toString();
}
