import { setTimeout as sleep } from 'node:timers/promises';
import type {
  MaintenanceAction,
  MaintenanceJson,
  MaintenanceRequest,
  MaintenanceRequestOptions,
  ProjectionDaemon,
} from '@tandem/core';
import { processOwnership } from './process-ownership.js';
import { terminalText } from './terminal-text.js';

/** Options for {@link performMaintenance}. */
export interface PerformMaintenanceOptions {
  /** The environment (TANDEM_LEASE_TTL_MS), for this process's lease when it performs the request. */
  readonly env: NodeJS.ProcessEnv;
  /** Lifecycle messages (who performs it); stderr in the CLI. */
  readonly log: (line: string) => void;
  /** Each new progress report of the request (a rebuild's position and head). */
  readonly onProgress?: ((progress: MaintenanceJson) => void) | undefined;
  /** How often the request is read again; default 100 ms. */
  readonly pollMs?: number;
  /** What the request carries besides its action: the parked events of a replay or skip. */
  readonly request?: MaintenanceRequestOptions;
}

/**
 * Asks for maintenance of a projection and follows the request to its end. The request is stored
 * in the read database, and whichever process holds the projection's lease (a server, a worker)
 * performs it with its live runners: nothing is swapped or dropped under a running server. When no
 * process holds the lease (nothing runs the projection), this process takes it, for that projection
 * alone and without counting as a worker, performs the request, and lets it go when the caller
 * closes the app. A store without leases (memory) runs everything here.
 */
export async function performMaintenance(
  daemon: ProjectionDaemon,
  action: MaintenanceAction,
  name: string,
  options: PerformMaintenanceOptions,
): Promise<MaintenanceRequest> {
  const projection = daemon.projections.find((p) => p.name === name);
  if (projection === undefined) throw new Error(`No projection named ${terminalText(name)}`);
  const request = await daemon.enqueue(action, name, options.request);
  let performingHere = false;
  let waitingSaid = false;
  let lastProgress: string | undefined;
  const startedAt = Date.now();
  for (;;) {
    const current = await daemon.maintenanceRequest(request.id);
    if (current === undefined) throw new Error(`Maintenance request ${request.id} disappeared`);
    if (current.state === 'done' || current.state === 'failed') return current;
    const progress = current.progress === undefined ? undefined : JSON.stringify(current.progress);
    if (current.progress !== undefined && progress !== lastProgress) {
      lastProgress = progress;
      options.onProgress?.(current.progress);
    }
    if (!performingHere) {
      // A partitioned projection's leases are its partitions' (`name#p`): any holder coordinates.
      const holder = (await daemon.leases()).find(
        (l) => (l.name === name || l.name.startsWith(`${name}#`)) && l.live,
      );
      if (holder === undefined || !daemon.shareable) {
        // Nobody runs it: take its lease (if another process is quicker, it performs the request).
        performingHere = true;
        options.log(`No process runs ${name}: performing the ${action} in this process.`);
        if (daemon.shareable)
          await daemon.start({ ownership: { ...processOwnership(options.env, options.log), only: [name] } });
        else await daemon.start();
      } else if (!waitingSaid && current.state === 'pending' && Date.now() - startedAt > 5_000) {
        waitingSaid = true;
        options.log(`Waiting for ${terminalText(holder.owner)}, which holds ${name}, to take the request.`);
      }
    }
    await sleep(options.pollMs ?? 100);
  }
}
