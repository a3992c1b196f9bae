import { ProjectionDaemon, type ProjectionLogger, type Tandem } from '@tandem/core';
import { closeAfterFailedStart } from './close-after-failed-start.js';
import { closeRelays, type ConfiguredRelay } from './open-relays.js';
import { processOwnership } from './process-ownership.js';

/** Relays running in a daemon of their own (`tandem relay`). */
export interface RunningRelays {
  /** Their daemon: status, leases and `waitFor`, for these relays only. */
  readonly daemon: ProjectionDaemon;
  /** Their names (`relay-nats`, `relay-rabbitmq`), as in status and leases. */
  readonly names: readonly string[];
  /**
   * Stops them (their leases are released: another process takes over at once), then closes
   * their publishers.
   */
  close(): Promise<void>;
}

/** Options for {@link startRelays}. */
export interface StartRelaysOptions {
  /** The environment (TANDEM_LEASE_TTL_MS). */
  readonly env: NodeJS.ProcessEnv;
  /** Lifecycle lines (lease rounds that failed). */
  readonly log: (line: string) => void;
  /** Where the relays' failures are logged (the process's pino logger fits). */
  readonly logger?: ProjectionLogger;
}

/**
 * Runs `relays` alone, none of the app's projections: a daemon of their own on the app's log
 * (upcasted, as its projections read it) and in the read store the app keeps them in, so their
 * checkpoints and leases are the ones the app's own daemon uses in `serve` and `worker`. Where that
 * store is shared, under leases: one process publishes through each relay at a time. If the start
 * fails, the publishers are closed.
 */
export async function startRelays(
  app: Tandem,
  relays: readonly ConfiguredRelay[],
  options: StartRelaysOptions,
): Promise<RunningRelays> {
  const projections = relays.map((relay) => relay.projection);
  const first = projections[0];
  // The app's default read store, where its daemon keeps relays (they name no other).
  const readStore =
    first === undefined || app.projections === undefined
      ? app.store.readStore?.()
      : app.projections.readStoreOf(first.name);
  if (readStore === undefined) {
    await closeRelays(relays);
    throw new Error(`The ${app.store.name} store has no read store to keep the relays' checkpoints in`);
  }
  const daemon = new ProjectionDaemon({
    events: app.events,
    readStore,
    projections,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  try {
    if (readStore.capabilities.shared)
      await daemon.start({ ownership: processOwnership(options.env, options.log) });
    else await daemon.start();
  } catch (error) {
    // Stops what started, then closes the publishers; the start's own error is the one to act on.
    await closeAfterFailedStart(options.logger ?? console, [() => daemon.close()]);
    throw error;
  }
  return { daemon, names: projections.map((p) => p.name), close: () => daemon.close() };
}
