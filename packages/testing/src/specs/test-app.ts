import {
  createTandem,
  MemoryStore,
  type AnyCommandDefinition,
  type AnyQueryDefinition,
  type CommandIdsOf,
  type CommandInputOf,
  type CommandNamed,
  type CommandOutcome,
  type CommandResult,
  type CommandTypeOf,
  type Principal,
  type QueryNamed,
  type QueryNameOf,
  type QueryParamsOf,
  type QueryViewOf,
  type RecordedEvent,
  type Store,
  type Tandem,
  type TandemOptions,
} from '@tandem/core';

/**
 * Options for {@link testApp}: `createTandem`'s (so the registries keep their types), with the
 * store optional, plus test defaults.
 */
export type TestAppOptions<
  Commands extends readonly AnyCommandDefinition[] = readonly AnyCommandDefinition[],
  Queries extends readonly AnyQueryDefinition[] = readonly AnyQueryDefinition[],
> = Omit<TandemOptions<Commands, Queries>, 'store'> & {
  /** The store, or what makes it; default a fresh `MemoryStore` (no SQL: state-stored commands need an adapter's). */
  readonly store?: Store | (() => Store | Promise<Store>);
  /** The caller of commands and queries that name none. */
  readonly user?: Principal;
  /** How long a query waits for the projections to reach the app's last write; default 5 000 ms. */
  readonly waitMs?: number;
};

/** Per-call options of {@link TestApp.execute} and {@link TestApp.attempt}. */
export interface TestCommandOptions {
  /** The caller; default the app's `user`. */
  readonly user?: Principal;
  /** The idempotency key; default a fresh one per call (`test-1`, `test-2`...). */
  readonly commandId?: string;
}

/** Per-call options of {@link TestApp.query}. */
export interface TestQueryOptions {
  /** The caller; default the app's `user`. Pass `null` for an anonymous caller. */
  readonly user?: Principal | null;
}

/** The ids a command of registry `Commands` named `T` returns (what {@link TestApp.execute} types them as). */
export type TestCommandIds<Commands extends readonly AnyCommandDefinition[], T extends string> = CommandIdsOf<
  CommandNamed<Commands[number], T>
>;

/** The arguments after a query's name in {@link TestApp.query}: its params (optional when every field is), then per-call options. */
export type TestQueryArgs<Queries extends readonly AnyQueryDefinition[], N extends string> =
  Record<never, never> extends QueryParamsOf<QueryNamed<Queries[number], N>>
    ? [params?: QueryParamsOf<QueryNamed<Queries[number], N>>, options?: TestQueryOptions]
    : [params: QueryParamsOf<QueryNamed<Queries[number], N>>, options?: TestQueryOptions];

/**
 * An application running in-process for an integration test. Typed by its registries as
 * `createTandem` types them: command types and their data, query names, params and views.
 */
export interface TestApp<
  Commands extends readonly AnyCommandDefinition[] = readonly AnyCommandDefinition[],
  Queries extends readonly AnyQueryDefinition[] = readonly AnyQueryDefinition[],
> {
  /** The application itself (commands, log, daemon, query bus). */
  readonly tandem: Tandem<Commands, Queries>;
  /** The store it runs on. */
  readonly store: Store;
  /** The log position of the last event this harness's commands appended (0 before any). */
  readonly position: number;
  /** Sends a command; answers its result, or throws the refusal (a `TandemError` with its catalog code). */
  execute<const T extends CommandTypeOf<Commands[number]>>(
    type: T,
    data: CommandInputOf<CommandNamed<Commands[number], T>>,
    options?: TestCommandOptions,
  ): Promise<CommandResult<TestCommandIds<Commands, T>>>;
  /** Sends a command and answers the outcome, refused or not, without throwing. */
  attempt<const T extends CommandTypeOf<Commands[number]>>(
    type: T,
    data: CommandInputOf<CommandNamed<Commands[number], T>>,
    options?: TestCommandOptions,
  ): Promise<CommandOutcome<TestCommandIds<Commands, T>>>;
  /**
   * Runs a query once every projection it reads has applied this harness's last write (read your
   * writes by position); answers the view, or throws the refusal (`not-found` when the handler
   * finds nothing).
   */
  query<const N extends QueryNameOf<Queries[number]>>(
    name: N,
    ...args: TestQueryArgs<Queries, N>
  ): Promise<QueryViewOf<QueryNamed<Queries[number], N>>>;
  /** Waits until every projection has applied the whole log (events appended by other means too). */
  caughtUp(): Promise<void>;
  /** The log, oldest first; only `streamId`'s events when given. */
  events(streamId?: string): Promise<readonly RecordedEvent[]>;
  /** Stops the projections and closes the store; safe to call twice (use it in `after`). */
  close(): Promise<void>;
}

/**
 * An application for integration tests: `createTandem` on a fresh `MemoryStore` (or the store
 * given), projections started, commands sent as a default user, queries that read their own
 * writes, and the log at hand.
 *
 * @example
 * ```ts
 * const app = await testApp({ commands, projections, queries, user: alice });
 * after(() => app.close());
 * ```
 */
export async function testApp<
  const Commands extends readonly AnyCommandDefinition[],
  const Queries extends readonly AnyQueryDefinition[] = readonly [],
>(options: TestAppOptions<Commands, Queries>): Promise<TestApp<Commands, Queries>> {
  const { store: storeOption, user, waitMs = 5_000, ...tandemOptions } = options;
  const store =
    storeOption === undefined
      ? new MemoryStore()
      : typeof storeOption === 'function'
        ? await storeOption()
        : storeOption;
  let tandem: Tandem<Commands, Queries>;
  try {
    tandem = await createTandem<Commands, Queries>({ ...tandemOptions, store });
    await tandem.start();
  } catch (error) {
    await store.close();
    throw error;
  }
  let position = 0;
  let sent = 0;
  let closed: Promise<void> | undefined;

  // The untyped bus underneath: the typed signatures above are what callers see.
  const attempt = async (type: string, data: unknown, call: TestCommandOptions = {}) => {
    sent += 1;
    const outcome = await tandem.commands.execute({
      type,
      data,
      user: call.user ?? user,
      commandId: call.commandId ?? `test-${sent}`,
    });
    if (outcome.ok) position = Math.max(position, outcome.result.position);
    return outcome;
  };

  return {
    tandem,
    store,
    get position() {
      return position;
    },
    // The casts narrow the ids by command type: the bus returns the very ids the command declares.
    attempt: <const T extends CommandTypeOf<Commands[number]>>(
      type: T,
      data: CommandInputOf<CommandNamed<Commands[number], T>>,
      call?: TestCommandOptions,
    ) => attempt(type, data, call) as Promise<CommandOutcome<TestCommandIds<Commands, T>>>,
    async execute<const T extends CommandTypeOf<Commands[number]>>(
      type: T,
      data: CommandInputOf<CommandNamed<Commands[number], T>>,
      call?: TestCommandOptions,
    ) {
      const outcome = await attempt(type, data, call);
      if (!outcome.ok) throw outcome.error;
      return outcome.result as CommandResult<TestCommandIds<Commands, T>>;
    },
    async query(name, ...[params = {}, call = {}]) {
      if (tandem.queries === undefined) throw new Error('The app declares no queries');
      const outcome = await tandem.queries.execute({
        name,
        params,
        user: call.user === null ? undefined : (call.user ?? user),
        minPosition: position,
        waitMs,
      });
      if (!outcome.ok) throw outcome.error;
      // The view is what this query's handler returned: its declared view type.
      return outcome.view as never;
    },
    async caughtUp() {
      const daemon = tandem.projections;
      if (daemon === undefined) return;
      const head = await tandem.events.headPosition();
      const names = daemon.projections.map((p) => p.name);
      if (!(await daemon.waitFor(names, head, waitMs)))
        throw new Error(`The projections did not reach position ${head} within ${waitMs} ms`);
    },
    async events(streamId) {
      if (streamId !== undefined) return (await tandem.events.readStream(streamId)).events;
      const head = await tandem.events.headPosition();
      return tandem.events.readAll({ after: 0, limit: Math.max(1, head) });
    },
    close() {
      closed ??= tandem.close();
      return closed;
    },
  };
}
