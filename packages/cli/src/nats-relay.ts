import { defineRelay, ProjectionDaemon, type ProjectionLogger, type Tandem } from '@tandem/core';
import { natsRelayConfig, openNatsPublisher, type NatsRelayConfig } from './nats-relay-config.js';
import { processOwnership } from './process-ownership.js';
import { redactUrl } from './redact-url.js';

/** A NATS relay running in this process. */
export interface RunningNatsRelay {
  /** The relay's daemon: its status, lease and `waitFor`. */
  readonly daemon: ProjectionDaemon;
  /** The relay's name (`relay-nats`), as in status and leases. */
  readonly name: string;
  /** Stops the relay (its lease is released: another process takes over at once) and closes its connection. */
  close(): Promise<void>;
}

/** Options for {@link startNatsRelay}. */
export interface StartNatsRelayOptions {
  /** The environment (NATS_URL, TANDEM_NATS_*, TANDEM_LEASE_TTL_MS). */
  readonly env: NodeJS.ProcessEnv;
  /** Lifecycle lines. */
  readonly log: (line: string) => void;
  /** Where the relay's failures are logged (the process's pino logger fits). */
  readonly logger?: ProjectionLogger;
  /** The configuration; default read from `env`. */
  readonly config?: NatsRelayConfig;
}

/**
 * Starts the NATS relay of `app` when NATS_URL is set (else returns undefined): `defineRelay` over
 * `natsPublisher`, run by a daemon of its own on the app's log (upcasted, as its projections read
 * it) and read store (its checkpoint and lease live there), so it works whatever the app's factory
 * registers. Where the read store is shared, the relay runs under a lease: one process publishes
 * at a time, and a killed one's relay moves to another within the lease time.
 */
export async function startNatsRelay(
  app: Tandem,
  options: StartNatsRelayOptions,
): Promise<RunningNatsRelay | undefined> {
  const config = options.config ?? natsRelayConfig(options.env);
  if (config === undefined) return undefined;
  const readStore = app.store.readStore?.();
  if (readStore === undefined)
    throw new Error(`The ${app.store.name} store has no read store to keep the relay's checkpoint in`);
  const publisher = await openNatsPublisher(config);
  const relay = defineRelay(publisher);
  const daemon = new ProjectionDaemon({
    events: app.events,
    readStore,
    projections: [relay],
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  try {
    if (readStore.capabilities.shared)
      await daemon.start({ ownership: processOwnership(options.env, options.log) });
    else await daemon.start();
  } catch (error) {
    await publisher.close();
    throw error;
  }
  options.log(
    `relay: publishing committed events to NATS ${config.servers.split(',').map(redactUrl).join(',')} (${relay.name})`,
  );
  let closing: Promise<void> | undefined;
  return {
    daemon,
    name: relay.name,
    close: () =>
      (closing ??= (async () => {
        try {
          await daemon.stop();
        } finally {
          await publisher.close();
        }
      })()),
  };
}
