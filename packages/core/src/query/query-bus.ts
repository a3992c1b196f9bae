import { TandemError } from '../errors/tandem-error.js';
import type { Principal } from '../messages/principal.js';
import { validateInput } from '../messages/validate-input.js';
import type { ProjectionDaemon } from '../projections/projection-daemon.js';
import type { AnyQueryDefinition, QueryReader } from './query-definition.js';

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
}

/** What a query returns: the view as stored, or a failure. */
export type QueryOutcome =
  { readonly ok: true; readonly view: unknown } | { readonly ok: false; readonly error: TandemError };

/**
 * Runs queries: validate params, authenticate, authorize, wait for the requested position, read.
 * Objects the caller may not see are `not-found`, never `forbidden`, so ids cannot be probed.
 */
export class QueryBus {
  readonly definitions: ReadonlyMap<string, AnyQueryDefinition>;
  readonly #daemon: ProjectionDaemon;
  /** Each query's reader, made once: it only checks the declared projections and delegates. */
  readonly #readers = new Map<string, QueryReader>();

  constructor(daemon: ProjectionDaemon, queries: readonly AnyQueryDefinition[]) {
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
    const params = await validateInput(query.params, request.params ?? {});
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
    return view;
  }

  #readerFor(query: AnyQueryDefinition): QueryReader {
    const allowed = new Set(query.projections);
    return {
      collection: (projection, collection) => {
        // Declared projections are what read-your-writes waits on; reading others would break it.
        if (!allowed.has(projection))
          throw new Error(`Query ${query.name} did not declare projection ${projection}`);
        return this.#daemon.reader(projection, collection);
      },
    };
  }
}
