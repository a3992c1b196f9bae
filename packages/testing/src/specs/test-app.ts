import {
  createTandem,
  MemoryStore,
  type CommandOutcome,
  type CommandResult,
  type Principal,
  type RecordedEvent,
  type Store,
  type Tandem,
  type TandemOptions,
} from '@tandem/core';

/** Options for {@link testApp}: `createTandem`'s, with the store optional, plus test defaults. */
export type TestAppOptions = Omit<TandemOptions, 'store'> & {
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

/** An application running in-process for an integration test. */
export interface TestApp {
  /** The application itself (commands, log, daemon, query bus). */
  readonly tandem: Tandem;
  /** The store it runs on. */
  readonly store: Store;
  /** The log position of the last event this harness's commands appended (0 before any). */
  readonly position: number;
  /** Sends a command; answers its result, or throws the refusal (a `TandemError` with its catalog code). */
  execute(type: string, data: unknown, options?: TestCommandOptions): Promise<CommandResult>;
  /** Sends a command and answers the outcome, refused or not, without throwing. */
  attempt(type: string, data: unknown, options?: TestCommandOptions): Promise<CommandOutcome>;
  /**
   * Runs a query once every projection it reads has applied this harness's last write (read your
   * writes by position); answers the view (undefined when not found), or throws the refusal.
   */
  query(name: string, params?: unknown, options?: TestQueryOptions): Promise<unknown>;
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
 * writes, and the log at hand. `const app = await testApp({ commands, projections, queries });
 * after(() => app.close());`
 */
export async function testApp(options: TestAppOptions): Promise<TestApp> {
  const { store: storeOption, user, waitMs = 5_000, ...tandemOptions } = options;
  const store =
    storeOption === undefined
      ? new MemoryStore()
      : typeof storeOption === 'function'
        ? await storeOption()
        : storeOption;
  let tandem: Tandem;
  try {
    tandem = await createTandem({ ...tandemOptions, store });
    await tandem.start();
  } catch (error) {
    await store.close();
    throw error;
  }
  let position = 0;
  let sent = 0;
  let closed: Promise<void> | undefined;

  const attempt = async (type: string, data: unknown, call: TestCommandOptions = {}) => {
    sent += 1;
    const outcome = await tandem.execute({
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
    attempt,
    async execute(type, data, call) {
      const outcome = await attempt(type, data, call);
      if (!outcome.ok) throw outcome.error;
      return outcome.result;
    },
    async query(name, params = {}, call = {}) {
      if (tandem.queries === undefined) throw new Error('The app declares no queries');
      const outcome = await tandem.queries.execute({
        name,
        params,
        user: call.user === null ? undefined : (call.user ?? user),
        minPosition: position,
        waitMs,
      });
      if (!outcome.ok) throw outcome.error;
      return outcome.view;
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
