import { TandemError } from '../errors/tandem-error.js';
import type { Principal } from '../messages/principal.js';
import { checkInput } from '../messages/validate-input.js';
import type { ProjectionDaemon } from '../projections/projection-daemon.js';
import type { CollectionDefinition } from '../read-store/collection-definition.js';
import type { DocumentReader, StoredDocument } from '../read-store/document-collection.js';
import type { FindQuery, Page } from '../read-store/find-query.js';
import type { ReadStore } from '../read-store/read-store.js';
import type { AnyQueryDefinition, QueryCollection, QueryReader } from './query-definition.js';
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
  /**
   * The daemon's read store. When it has `activeReader`, queries read through it (one step per key
   * lookup) instead of looking the active namespace up before every read.
   */
  readonly readStore?: ReadStore | undefined;
}

function storedJson(json: string | undefined): StoredJson | undefined {
  return json === undefined ? undefined : new StoredJson(json);
}

/** A store's reader as query handlers see it: the same reads, plus `getJson`. */
class HandlerCollection<Doc extends object> implements QueryCollection<Doc> {
  readonly #reader: DocumentReader<Doc>;

  constructor(reader: DocumentReader<Doc>) {
    this.#reader = reader;
  }

  get(id: string): Promise<Doc | undefined> {
    return this.#reader.get(id);
  }

  find(query?: FindQuery): Promise<Page<Doc>> {
    return this.#reader.find(query);
  }

  search(text: string, query?: FindQuery): Promise<Page<Doc>> {
    return this.#reader.search(text, query);
  }

  scan(options?: {
    readonly after?: string;
    readonly limit?: number;
  }): Promise<readonly StoredDocument<Doc>[]> {
    return this.#reader.scan(options);
  }

  getJson(id: string): Promise<StoredJson | undefined> {
    // `then` rather than `async`/`await`: one promise per lookup on the hottest path.
    if (this.#reader.getJsonText !== undefined) return this.#reader.getJsonText(id).then(storedJson);
    return this.#reader
      .get(id)
      .then((doc) => storedJson(doc === undefined ? undefined : JSON.stringify(doc)));
  }
}

/**
 * Runs queries: validate params, authenticate, authorize, wait for the requested position, read.
 * Objects the caller may not see are `not-found`, never `forbidden`, so ids cannot be probed.
 */
export class QueryBus {
  readonly definitions: ReadonlyMap<string, AnyQueryDefinition>;
  readonly #daemon: ProjectionDaemon;
  readonly #readStore: ReadStore | undefined;
  /** Each query's reader, made once: it only checks the declared projections and delegates. */
  readonly #readers = new Map<string, QueryReader>();
  /** Active readers by projection, then collection, when the read store has them. */
  readonly #active = new Map<string, Map<CollectionDefinition, QueryCollection<object>>>();

  constructor(
    daemon: ProjectionDaemon,
    queries: readonly AnyQueryDefinition[],
    options: QueryBusOptions = {},
  ) {
    const definitions = new Map<string, AnyQueryDefinition>();
    const known = new Set(daemon.projections.map((p) => p.name));
    for (const query of queries) {
      if (definitions.has(query.name)) throw new Error(`Query ${query.name} is defined twice`);
      for (const projection of query.projections) {
        if (!known.has(projection))
          throw new Error(`Query ${query.name} reads unknown projection ${projection}`);
      }
      definitions.set(query.name, query);
      this.#readers.set(query.name, this.#readerFor(query));
    }
    this.definitions = definitions;
    this.#daemon = daemon;
    this.#readStore = options.readStore;
  }

  /** Runs one query. Never throws for expected failures. */
  async execute(request: QueryRequest): Promise<QueryOutcome> {
    try {
      return { ok: true, view: await this.#run(request) };
    } catch (error) {
      return { ok: false, error: TandemError.from(error) };
    }
  }

  async #run(request: QueryRequest): Promise<unknown> {
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
      if (!(await this.#daemon.waitFor(query.projections, request.minPosition, waitMs))) {
        throw new TandemError(
          'unavailable',
          `The read model has not reached position ${request.minPosition} yet`,
          {
            details: { reason: 'position-not-reached', minPosition: request.minPosition, waitedMs: waitMs },
          },
        );
      }
    }
    const reader = this.#readers.get(query.name) as QueryReader;
    const view = await query.handler({ params, user: request.user }, reader);
    if (view === undefined) throw new TandemError('not-found');
    if (view instanceof StoredJson && request.storedJson !== true) return view.toJSON();
    return view;
  }

  #readerFor(query: AnyQueryDefinition): QueryReader {
    const allowed = new Set(query.projections);
    return {
      collection: <Doc extends object>(projection: string, collection: CollectionDefinition<Doc>) => {
        // Declared projections are what read-your-writes waits on; reading others would break it.
        if (!allowed.has(projection))
          throw new Error(`Query ${query.name} did not declare projection ${projection}`);
        return this.#collection(projection, collection);
      },
    };
  }

  #collection<Doc extends object>(
    projection: string,
    collection: CollectionDefinition<Doc>,
  ): Promise<QueryCollection<Doc>> {
    const readStore = this.#readStore;
    if (readStore?.activeReader === undefined)
      return this.#daemon.reader(projection, collection).then((reader) => new HandlerCollection(reader));
    let byCollection = this.#active.get(projection);
    if (byCollection === undefined) {
      byCollection = new Map();
      this.#active.set(projection, byCollection);
    }
    let reader = byCollection.get(collection) as QueryCollection<Doc> | undefined;
    if (reader === undefined) {
      reader = new HandlerCollection(readStore.activeReader(projection, collection));
      byCollection.set(collection, reader as QueryCollection<object>);
    }
    return Promise.resolve(reader);
  }
}
