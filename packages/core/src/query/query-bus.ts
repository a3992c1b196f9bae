import { SpanKind, type Span } from '@opentelemetry/api';
import { TandemError } from '../errors/tandem-error.js';
import type { EventStore } from '../event-store/event-store.js';
import { parseTraceparent } from '../tracing/traceparent.js';
import { tandemTracer } from '../tracing/tandem-tracer.js';
import { endStepSpan } from '../write/pipeline/traced-step.js';
import type { Principal } from '../messages/principal.js';
import { defaultInputLimits, inputIssues, type InputLimits } from '../messages/input-limits.js';
import { unstorableReason } from '../messages/storable-text.js';
import { checkInput } from '../messages/validate-input.js';
import type { ProjectionDaemon } from '../projections/projection-daemon.js';
import type { AnyProjection } from '../projections/projection-definition.js';
import type { CollectionDefinition } from '../read-store/collection-definition.js';
import type { DocumentReader, StoredDocument } from '../read-store/document-collection.js';
import type { FindQuery, Page } from '../read-store/find-query.js';
import type { AnyQueryDefinition, QueryCollection, QueryReader } from './query-definition.js';
import { CursorSeal } from './cursor-seal.js';
import { assertKnownOptions } from '../options/known-options.js';
import { StoredJson } from './stored-json.js';

/** One query call. */
export interface QueryRequest {
  readonly name: string;
  /** Raw parameters (for HTTP, the query string). */
  readonly params: unknown;
  readonly user?: Principal | undefined;
  /** Read-your-writes: wait until every projection the query reads has passed this position. */
  readonly minPosition?: number | undefined;
  /** How long to wait for `minPosition`; default 5000 ms. */
  readonly waitMs?: number | undefined;
  /**
   * Keep a view the handler returned as stored JSON text (a {@link StoredJson}) as it is, for a
   * caller that sends views on as JSON (HTTP). By default such a view is parsed into its document.
   */
  readonly storedJson?: boolean | undefined;
}

/** What a query returns: the view as stored, or a failure. */
export type QueryOutcome =
  { readonly ok: true; readonly view: unknown } | { readonly ok: false; readonly error: TandemError };

/** Options for {@link QueryBus}. */
export interface QueryBusOptions {
  /** Bounds on the shape of query parameters, checked before validation. */
  readonly inputLimits?: Partial<InputLimits>;
  /**
   * The key page cursors are sealed with (see `CursorSeal`). Every process serving these queries
   * needs the same one, or a cursor from one is refused by another; the default is random per bus.
   */
  readonly cursorKey?: string | Uint8Array;
  /**
   * The log: when a traced query waited for a position, the event there names (in its
   * `traceparent`) the command that wrote it, and the query's span links to that command's trace.
   */
  readonly events?: EventStore | undefined;
}

/** Every key {@link QueryBusOptions} has, for the run-time check of unknown options. */
export const queryBusOptionKeys = [
  'inputLimits',
  'cursorKey',
  'events',
] as const satisfies readonly (keyof QueryBusOptions)[];

function storedJson<Doc>(json: string | undefined): StoredJson<Doc> | undefined {
  return json === undefined ? undefined : new StoredJson<Doc>(json);
}

/**
 * A store's reader as query handlers see it: the same reads, plus `getJson`. Page cursors are
 * sealed on the way out and opened on the way in (see {@link CursorSeal}), so a handler passes the
 * client's cursor straight through and a forged one never reaches the store.
 */
class HandlerCollection<Doc extends object> implements QueryCollection<Doc> {
  readonly #reader: DocumentReader<Doc>;
  readonly #name: string;
  readonly #seal: CursorSeal;

  constructor(reader: DocumentReader<Doc>, name: string, seal: CursorSeal) {
    this.#reader = reader;
    this.#name = name;
    this.#seal = seal;
  }

  get(id: string): Promise<Doc | undefined> {
    return this.#reader.get(id);
  }

  async find(query: FindQuery = {}): Promise<Page<Doc>> {
    return this.#sealed(await this.#reader.find(this.#opened(query)), query);
  }

  async search(text: string, query: FindQuery = {}): Promise<Page<Doc>> {
    return this.#sealed(await this.#reader.search(text, this.#opened(query, text)), query, text);
  }

  scan(options?: {
    readonly after?: string;
    readonly limit?: number;
  }): Promise<readonly StoredDocument<Doc>[]> {
    return this.#reader.scan(options);
  }

  getJson(id: string): Promise<StoredJson<Doc> | undefined> {
    // `then` rather than `async`/`await`: one promise per lookup on the hottest path.
    if (this.#reader.getJsonText !== undefined)
      return this.#reader.getJsonText(id).then((json) => storedJson<Doc>(json));
    return this.#reader
      .get(id)
      .then((doc) => storedJson<Doc>(doc === undefined ? undefined : JSON.stringify(doc)));
  }

  #opened(query: FindQuery, text?: string): FindQuery {
    if (query.cursor === undefined) return query;
    return { ...query, cursor: this.#seal.open(query.cursor, this.#name, query, text) };
  }

  #sealed(page: Page<Doc>, query: FindQuery, text?: string): Page<Doc> {
    if (page.nextCursor === undefined) return page;
    return { ...page, nextCursor: this.#seal.seal(page.nextCursor, this.#name, query, text) };
  }
}

/**
 * Runs queries: validate params, authenticate, authorize, wait for the requested position, read.
 * Objects the caller may not see are `not-found`, never `forbidden`, so ids cannot be probed.
 */
export class QueryBus {
  readonly definitions: ReadonlyMap<string, AnyQueryDefinition>;
  readonly #daemon: ProjectionDaemon;
  readonly #events: EventStore | undefined;
  readonly #limits: InputLimits;
  readonly #seal: CursorSeal;
  /** Each query's reader, made once: it only checks the declared projections and delegates. */
  readonly #readers = new Map<string, QueryReader>();
  /** Each query's projection names, for read-your-writes waits. */
  readonly #projectionNames = new Map<string, readonly string[]>();
  /** Active readers by projection, then collection, when the read store has them. */
  readonly #active = new Map<string, Map<CollectionDefinition, QueryCollection<object>>>();

  constructor(
    daemon: ProjectionDaemon,
    queries: readonly AnyQueryDefinition[],
    options: QueryBusOptions = {},
  ) {
    assertKnownOptions('QueryBus', options, queryBusOptionKeys);
    const definitions = new Map<string, AnyQueryDefinition>();
    const known = new Set(daemon.projections.map((p) => p.name));
    for (const query of queries) {
      if (definitions.has(query.name)) throw new Error(`Query ${query.name} is defined twice`);
      for (const projection of query.projections) {
        if (!known.has(projection.name))
          throw new Error(`Query ${query.name} reads unknown projection ${projection.name}`);
      }
      definitions.set(query.name, query);
      this.#readers.set(query.name, this.#readerFor(query));
    }
    this.definitions = definitions;
    this.#daemon = daemon;
    this.#events = options.events;
    this.#limits = { ...defaultInputLimits, ...options.inputLimits };
    this.#seal = new CursorSeal(options.cursorKey);
  }

  /**
   * Runs one query. Never throws for expected failures. Traced as `tandem.query <name>` (a child of
   * the active span, an HTTP request's), with the awaited position and, when the query waited for
   * one, a link to the trace of the command that wrote the event there.
   */
  async execute(request: QueryRequest): Promise<QueryOutcome> {
    // Caller text never names a span: only a declared query does.
    const known = typeof request.name === 'string' && this.definitions.has(request.name);
    const span = tandemTracer().startSpan(known ? `tandem.query ${request.name}` : 'tandem.query', {
      kind: SpanKind.INTERNAL,
    });
    // Attributes only for a span that records: without an SDK a query builds nothing for tracing.
    if (span.isRecording())
      span.setAttributes({
        'tandem.query.name': known ? request.name : '(unknown)',
        ...(request.minPosition === undefined ? {} : { 'tandem.query.min_position': request.minPosition }),
      });
    try {
      const view = await this.#run(request, span);
      endStepSpan(span);
      return { ok: true, view };
    } catch (error) {
      const refusal = TandemError.from(error);
      endStepSpan(span, refusal);
      return { ok: false, error: refusal };
    }
  }

  /**
   * Links `span` to the command that wrote the event at `position`, read back from the log: one
   * read of one event, and only when the span records. A failed read loses the link, not the query.
   */
  async #linkToWriter(span: Span, position: number): Promise<void> {
    if (!span.isRecording() || this.#events === undefined || position < 1) return;
    try {
      const [event] = await this.#events.readAll({ after: position - 1, limit: 1 });
      const writer = event?.position === position ? parseTraceparent(event.metadata.traceparent) : undefined;
      if (writer !== undefined)
        span.addLink({ context: writer, attributes: { 'tandem.link': 'read-your-writes' } });
    } catch {
      // The link is a convenience: the query answers without it.
    }
  }

  async #run(request: QueryRequest, span: Span): Promise<unknown> {
    this.#checkBoundary(request);
    const query = this.definitions.get(request.name);
    if (query === undefined)
      throw new TandemError('not-found', `No query named ${JSON.stringify(request.name)}`);
    if (request.user === undefined && query.public !== true) throw new TandemError('unauthenticated');
    const checked = checkInput(query.params, request.params ?? {});
    const params = checked instanceof Promise ? await checked : checked;
    if (
      query.authorize !== undefined &&
      (request.user === undefined || !query.authorize(request.user, params))
    ) {
      throw new TandemError('forbidden', `You may not run ${query.name}`);
    }
    if (request.minPosition !== undefined) {
      const waitMs = request.waitMs ?? 5_000;
      if (!(await this.#daemon.waitFor(this.#names(query), request.minPosition, waitMs))) {
        throw new TandemError(
          'unavailable',
          `The read model has not reached position ${request.minPosition} yet`,
          {
            details: { reason: 'position-not-reached', minPosition: request.minPosition, waitedMs: waitMs },
          },
        );
      }
      await this.#linkToWriter(span, request.minPosition);
    }
    const reader = this.#readers.get(query.name) as QueryReader;
    const view = await query.handler({ params, user: request.user }, reader);
    if (view === undefined) throw new TandemError('not-found');
    if (view instanceof StoredJson && request.storedJson !== true) return view.toJSON();
    return view;
  }

  /**
   * Refuses, before validation, what no store could hold or no validator should walk: a name or
   * parameter text with NUL or unpaired surrogates, parameters nested too deep or too wide, and a
   * position that is not a safe whole number. The same on every store.
   */
  #checkBoundary(request: QueryRequest): void {
    const issues = inputIssues(request.params ?? {}, this.#limits);
    const nameIssue = typeof request.name === 'string' ? unstorableReason(request.name) : 'is not a string';
    if (nameIssue !== undefined) issues.unshift({ path: 'name', message: `The query name ${nameIssue}` });
    const min = request.minPosition;
    if (min !== undefined && !(Number.isSafeInteger(min) && min >= 0))
      issues.push({ path: 'minPosition', message: 'Must be a whole number from 0 to 2^53 - 1' });
    if (issues.length > 0)
      throw new TandemError('validation', 'The query request is invalid', { details: { issues } });
  }

  /** The names of the projections `query` reads (what the daemon knows them by). */
  #names(query: AnyQueryDefinition): readonly string[] {
    let names = this.#projectionNames.get(query.name);
    if (names === undefined) {
      names = query.projections.map((p) => p.name);
      this.#projectionNames.set(query.name, names);
    }
    return names;
  }

  #readerFor(query: AnyQueryDefinition): QueryReader {
    const allowed = new Set(query.projections.map((p) => p.name));
    return {
      collection: (projection: AnyProjection, key: string) => {
        // Declared projections are what read-your-writes waits on; reading others would break it.
        if (!allowed.has(projection.name))
          throw new Error(`Query ${query.name} did not declare projection ${projection.name}`);
        const collection = Object.hasOwn(projection.collections, key)
          ? projection.collections[key]
          : undefined;
        if (collection === undefined)
          throw new Error(`Projection ${projection.name} declares no collection ${JSON.stringify(key)}`);
        return this.#collection(projection.name, collection);
      },
    } as QueryReader;
  }

  #collection<Doc extends object>(
    projection: string,
    collection: CollectionDefinition<Doc>,
  ): Promise<QueryCollection<Doc>> {
    // Each projection's own read store (an application may keep read models in several).
    const readStore = this.#daemon.readStoreOf(projection);
    let byCollection = this.#active.get(projection);
    if (byCollection === undefined) {
      byCollection = new Map();
      this.#active.set(projection, byCollection);
    }
    let reader = byCollection.get(collection) as QueryCollection<Doc> | undefined;
    if (reader === undefined) {
      reader = new HandlerCollection(
        readStore.activeReader(projection, collection),
        `${projection}/${collection.name}`,
        this.#seal,
      );
      byCollection.set(collection, reader as QueryCollection<object>);
    }
    return Promise.resolve(reader);
  }
}
