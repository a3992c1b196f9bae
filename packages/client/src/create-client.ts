import type { CommandData, CommandIds, CommandName, QueryName, QueryParams, QueryView } from './app-types.js';
import { TandemClientError, type ProblemBody } from './tandem-client-error.js';

/** When and how long the client retries a call that got no answer or a "try again" one. */
export interface ClientRetryPolicy {
  /** Total attempts, the first included; default 4. 1 turns retries off. */
  readonly attempts?: number;
  /** Delay before the first retry when the server names none; doubles each time. Default 100 ms. */
  readonly baseDelayMs?: number;
  /** Upper bound on one delay, also on a server's `Retry-After`; default 5 000 ms. */
  readonly maxDelayMs?: number;
}

/** Options for {@link createClient}. */
export interface ClientOptions {
  /** The server's address, such as `https://shop.example.com` (a path prefix is kept). */
  readonly baseUrl: string | URL;
  /** The bearer token, or a function that answers it (called per attempt, so it may refresh). */
  readonly token?: string | (() => string | undefined | Promise<string | undefined>) | undefined;
  /** The `fetch` to use; default the global one (browsers, Node 18+, Deno, Bun). */
  readonly fetch?: typeof fetch;
  /** Retries of network failures, 503, 429 with `Retry-After` and `idempotency-in-progress`. */
  readonly retry?: ClientRetryPolicy;
  /** Extra headers on every request (a tenant, a trace header). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Per-call options of a command. */
export interface CommandCallOptions {
  /**
   * The idempotency key; default a new random one per call. Every retry of the call reuses it,
   * so a command the server committed but whose answer was lost is not run twice.
   */
  readonly idempotencyKey?: string;
  /** Ties the command to others in logs and traces (`Tandem-Correlation-Id`). */
  readonly correlationId?: string;
  readonly signal?: AbortSignal;
}

/** Per-call options of a query. */
export interface QueryCallOptions {
  /**
   * Read-your-writes: the position the read model must have reached. Default the last
   * `Tandem-Position` this client saw (so a query after a command sees its write); `false` reads
   * the current state at once.
   */
  readonly minPosition?: number | false;
  readonly signal?: AbortSignal;
}

/** A command's answer. */
export interface CommandAnswer<Ids extends string = string> {
  /** The idempotency key the command ran under. */
  readonly commandId: string;
  /** The ids it created, by field name. */
  readonly ids: Readonly<Record<Ids, string>>;
  /** The global position of its last event (also what the next query waits for). */
  readonly position: number;
  /** True when an earlier attempt with the same key produced this answer. */
  readonly replayed: boolean;
}

/** A client typed by an application's registries. Every refusal throws a {@link TandemClientError}. */
export interface TandemClient<App> {
  /** Sends command `type` with `data`; retries reuse one idempotency key. */
  command<const T extends CommandName<App>>(
    type: T,
    data: CommandData<App, T>,
    options?: CommandCallOptions,
  ): Promise<CommandAnswer<CommandIds<App, T>>>;
  /** Runs query `name`; waits for this client's last write unless told otherwise. */
  query<const N extends QueryName<App>>(
    name: N,
    params: QueryParams<App, N>,
    options?: QueryCallOptions,
  ): Promise<QueryView<App, N>>;
  /** The highest `Tandem-Position` this client has seen, or undefined before its first command. */
  readonly lastPosition: number | undefined;
}

/** One attempt's outcome: an answer, or a failure to get one. */
type Attempt = { readonly response: Response } | { readonly error: unknown };

/**
 * A typed HTTP client for a Tandem server (`@tandem/http`):
 * `createClient<typeof app>({ baseUrl, token })`, where `app` is what `createTandem` returned (only its type is used, so a browser bundle
 * imports nothing from the server). Commands and queries are checked against the app's registries;
 * each command call has one `Idempotency-Key`, reused by its retries; queries carry the last
 * `Tandem-Position` seen as `Tandem-Min-Position`; problem+json refusals throw
 * {@link TandemClientError}s.
 */
export function createClient<App>(options: ClientOptions): TandemClient<App> {
  const known = ['baseUrl', 'token', 'fetch', 'retry', 'headers'];
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  // A mistyped option would otherwise be ignored and its default used without a word.
  if (unknown.length > 0)
    throw new TypeError(
      `createClient: unknown option ${unknown.join(', ')}; known options are ${known.join(', ')}`,
    );
  const base = new URL(String(options.baseUrl));
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const attempts = Math.max(1, options.retry?.attempts ?? 4);
  const baseDelayMs = options.retry?.baseDelayMs ?? 100;
  const maxDelayMs = options.retry?.maxDelayMs ?? 5_000;
  let lastPosition: number | undefined;

  const headersFor = async (extra: Record<string, string>): Promise<Record<string, string>> => {
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    return {
      accept: 'application/json, application/problem+json',
      ...options.headers,
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...extra,
    };
  };

  /** Sends one logical call, retrying what may succeed later; answers the last response. */
  const send = async (
    url: URL,
    init: { method: string; body?: string; headers: Record<string, string>; signal?: AbortSignal },
  ): Promise<Response> => {
    for (let attempt = 1; ; attempt++) {
      const result: Attempt = await doFetch(url, {
        method: init.method,
        body: init.body,
        headers: await headersFor(init.headers),
        signal: init.signal,
      }).then(
        (response) => ({ response }),
        (error: unknown) => ({ error }),
      );
      const delay = retryDelay(result, attempt);
      if (delay === undefined || attempt >= attempts || init.signal?.aborted === true) {
        if ('response' in result) return result.response;
        if (init.signal?.aborted === true) throw result.error;
        throw new TandemClientError(
          0,
          { detail: `No answer from ${url.origin} after ${attempt} attempt(s)` },
          { cause: result.error },
        );
      }
      // The body of a response we retry is not read; cancel it so the connection is freed.
      if ('response' in result) await result.response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };

  /** The delay before retrying `result`, or undefined when it must not be retried. */
  const retryDelay = (result: Attempt, attempt: number): number | undefined => {
    const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    if ('error' in result) return backoff;
    const { status, headers } = result.response;
    const retryAfter = retryAfterMs(headers.get('retry-after'));
    if (status === 429) return retryAfter === undefined ? undefined : Math.min(maxDelayMs, retryAfter);
    // 409 with Retry-After is idempotency-in-progress: the first attempt with this key still runs.
    if (status === 503 || (status === 409 && retryAfter !== undefined))
      return Math.min(maxDelayMs, retryAfter ?? backoff);
    return undefined;
  };

  const seen = (position: number) => {
    if (lastPosition === undefined || position > lastPosition) lastPosition = position;
  };

  return {
    get lastPosition() {
      return lastPosition;
    },
    async command(type, data, callOptions = {}) {
      const key = callOptions.idempotencyKey ?? crypto.randomUUID();
      const response = await send(new URL(`commands/${encodeURIComponent(type)}`, base), {
        method: 'POST',
        body: JSON.stringify(data),
        headers: {
          'content-type': 'application/json',
          'idempotency-key': key,
          ...(callOptions.correlationId === undefined
            ? {}
            : { 'tandem-correlation-id': callOptions.correlationId }),
        },
        signal: callOptions.signal,
      });
      const body = await answerOf(response);
      const answer = body as { commandId: string; ids: Record<string, string>; position: number };
      seen(answer.position);
      return {
        commandId: answer.commandId,
        // The server answers the ids its definition names; JSON cannot prove it, the app type says
        // it. `never` because the generic id record cannot be named inside this closure.
        ids: answer.ids as never,
        position: answer.position,
        replayed: response.headers.get('idempotent-replayed') === 'true',
      };
    },
    async query(name, params, callOptions = {}) {
      const url = new URL(`queries/${encodeURIComponent(name)}`, base);
      for (const [key, value] of Object.entries((params ?? {}) as Record<string, unknown>)) {
        if (value === undefined) continue;
        if (typeof value === 'object' && value !== null)
          throw new TypeError(`Query parameter ${key} must be a string, number or boolean`);
        url.searchParams.set(key, String(value));
      }
      const min = callOptions.minPosition === undefined ? lastPosition : callOptions.minPosition;
      const response = await send(url, {
        method: 'GET',
        headers: min === false || min === undefined ? {} : { 'tandem-min-position': String(min) },
        signal: callOptions.signal,
      });
      // The view as the query's handler shaped it, typed by the app's registry (JSON cannot prove it).
      return (await answerOf(response)) as QueryView<App, typeof name>;
    },
  };
}

/** The JSON body of a 2xx answer; throws the problem of any other. */
async function answerOf(response: Response): Promise<unknown> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch (error) {
    throw new TandemClientError(response.status, { detail: 'The answer is not JSON' }, { cause: error });
  }
  if (response.ok) return body;
  throw new TandemClientError(
    response.status,
    typeof body === 'object' && body !== null ? (body as ProblemBody) : {},
  );
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
