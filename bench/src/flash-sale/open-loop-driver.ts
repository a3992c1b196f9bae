import { Pool } from 'undici';

/** One request of the mix. */
export interface PlannedRequest {
  readonly kind: 'read' | 'order';
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** For orders: what they buy, to count what was sold. */
  readonly productId?: string;
  readonly quantity?: number;
}

/** What came back, as the driver classifies it. */
export type Classified = 'ok' | 'sold-out' | 'error';

export interface OpenLoopOptions {
  readonly origin: string;
  /** Requests per second, sent on schedule whatever the server's pace (open loop). */
  readonly rate: number;
  readonly seconds: number;
  /** Request number `n` of this step. */
  readonly plan: (n: number) => PlannedRequest;
  readonly classify: (request: PlannedRequest, status: number) => Classified;
  readonly connections?: number;
  readonly timeoutMs?: number;
}

export interface OpenLoopResult {
  /** Latencies in ms, measured from each request's scheduled time (no coordinated omission). */
  readonly read: number[];
  readonly order: number[];
  readonly errors: number;
  readonly soldOut: number;
  readonly sent: number;
  /** Quantity accepted per product. */
  readonly sold: Map<string, number>;
  /** Seconds from the first scheduled request to the last answer. */
  readonly elapsed: number;
  /** Failures by cause (status or error name), for the report. */
  readonly causes: Map<string, number>;
}

/**
 * An open-loop load driver: request n is due at start + n / rate and is sent then, however many
 * earlier requests are still waiting (they queue in the client pool, and that wait counts in
 * their latency). This is how a crowd behaves: it does not slow down because the site did.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const pool = new Pool(options.origin, {
    connections: options.connections ?? 256,
    pipelining: 1,
    headersTimeout: options.timeoutMs ?? 10_000,
    bodyTimeout: options.timeoutMs ?? 10_000,
  });
  const counts = { errors: 0, soldOut: 0, sent: 0 };
  const result = { read: [] as number[], order: [] as number[], sold: new Map<string, number>() };
  const causes = new Map<string, number>();
  const fail = (cause: string) => {
    counts.errors += 1;
    causes.set(cause, (causes.get(cause) ?? 0) + 1);
  };
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  let lastAnswer = start;

  const send = (n: number) => {
    const request = options.plan(n);
    const due = start + n * interval;
    const done = pool
      .request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body,
      })
      .then(async (response) => {
        await response.body.text();
        const latency = performance.now() - due;
        const outcome = options.classify(request, response.statusCode);
        if (outcome === 'error') return fail(`${request.kind} ${response.statusCode}`);
        (request.kind === 'read' ? result.read : result.order).push(latency);
        if (outcome === 'sold-out') counts.soldOut += 1;
        else if (request.productId !== undefined)
          result.sold.set(
            request.productId,
            (result.sold.get(request.productId) ?? 0) + (request.quantity ?? 1),
          );
      })
      .catch((error: unknown) => fail(`${request.kind} ${error instanceof Error ? error.name : 'error'}`))
      .finally(() => {
        lastAnswer = performance.now();
        inFlight.delete(done);
      });
    inFlight.add(done);
    counts.sent += 1;
  };

  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      while (next < due) send(next++);
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, Math.min(5, start + next * interval - performance.now())));
    };
    tick();
  });
  await Promise.all([...inFlight]);
  await pool.close();
  return { ...result, ...counts, causes, elapsed: (lastAnswer - start) / 1000 };
}
