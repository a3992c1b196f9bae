import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ProjectionOwnership, Tandem } from '@tandem/core';

/**
 * This process's part in sharing projections: a lease owner id unique per process start, and the
 * lease time to live (TANDEM_LEASE_TTL_MS, default 5 s: a killed process's projections move to
 * another within about that long).
 */
export function processOwnership(env: NodeJS.ProcessEnv, log: (line: string) => void): ProjectionOwnership {
  const raw = env.TANDEM_LEASE_TTL_MS?.trim();
  const ttlMs = raw === undefined || raw === '' ? 5_000 : Number(raw);
  if (!Number.isInteger(ttlMs) || ttlMs < 100)
    throw new Error(
      `TANDEM_LEASE_TTL_MS must be a whole number of milliseconds >= 100, got ${JSON.stringify(raw)}`,
    );
  return {
    owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    ttlMs,
    onError: (error) => log(`projection leases: ${error instanceof Error ? error.message : String(error)}`),
  };
}

/** Starts an app's projections: shared by lease where the read store allows it, else all here. */
export async function startProjections(
  app: Tandem,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<void> {
  if (app.projections?.shareable === true) await app.start({ ownership: processOwnership(env, log) });
  else await app.start();
}
