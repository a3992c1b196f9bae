import { performance } from 'node:perf_hooks';

/** Event-loop time as `performance.eventLoopUtilization()` gives it, in ms. */
interface LoopTime {
  readonly idle: number;
  readonly active: number;
}

async function serverLoop(origin: string): Promise<LoopTime> {
  const response = await fetch(`${origin}/bench/event-loop`);
  if (!response.ok) throw new Error(`${origin}/bench/event-loop answered ${response.status}`);
  return (await response.json()) as LoopTime;
}

/**
 * Runs `work` and measures the share of that time the event loop was busy, in this process (the
 * load client) and in the server at `origin` (its GET /bench/event-loop). A client near 1 was the
 * bottleneck: its latencies then measure itself as much as the server.
 */
export async function withEventLoopShares<T>(
  origin: string,
  work: () => Promise<T>,
): Promise<{ readonly result: T; readonly client: number; readonly server: number }> {
  const serverBefore = await serverLoop(origin);
  const clientBefore = performance.eventLoopUtilization();
  const result = await work();
  const client = performance.eventLoopUtilization(clientBefore).utilization;
  const serverAfter = await serverLoop(origin);
  const active = serverAfter.active - serverBefore.active;
  const idle = serverAfter.idle - serverBefore.idle;
  return { result, client, server: active / Math.max(1e-9, active + idle) };
}
