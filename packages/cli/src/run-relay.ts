import type { Logger } from 'pino';
import type { Tandem } from '@tandem/core';
import { guardUnhandledRejections } from '@tandem/http';
import type { AppConfig } from './app-config.js';
import { closeAfterFailedStart } from './close-after-failed-start.js';
import { loadHttpConfig } from './http-config.js';
import { natsRelayConfig } from './nats-relay-config.js';
import { startNatsRelay, type RunningNatsRelay } from './nats-relay.js';
import { openStore } from './open-store.js';
import { processLogger } from './process-logger.js';
import type { AppFactory } from './serve.js';

/** Options for {@link runRelay}. */
export interface RelayProcessOptions {
  /** The runtime configuration (DATABASE_URL). */
  readonly config: AppConfig;
  /** Builds the application on the store: the relay reads its log through the app's upcasters. */
  readonly createApp: AppFactory;
  /** Install SIGINT/SIGTERM handlers that hand the relay over cleanly, then exit. */
  readonly handleSignals?: boolean;
  /** Lifecycle lines; default the logger. */
  readonly log?: (line: string) => void;
  /** The process's logger (pino, pino options, or `false`); default JSON lines on stdout. */
  readonly logger?: Logger | false | { readonly level?: string };
  /** The environment (NATS_URL, TANDEM_NATS_STREAM, TANDEM_NATS_SUBJECT_PREFIX, TANDEM_LEASE_TTL_MS); default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** A process running only the relay. */
export interface RunningRelayProcess {
  /** The application (its projections do not run here). */
  readonly app: Tandem;
  /** The relay: its daemon, name and close. */
  readonly relay: RunningNatsRelay;
  /** The process's logger. */
  readonly logger: Logger;
  /** Stops the relay (releasing its lease) and closes the store. */
  close(): Promise<void>;
}

/**
 * `tandem relay`: only the NATS relay (NATS_URL must be set), none of the app's projections and no
 * HTTP. It shares the relay by lease with workers and other relay processes on the same database.
 */
export async function runRelay(options: RelayProcessOptions): Promise<RunningRelayProcess> {
  const env = options.env ?? process.env;
  const config = natsRelayConfig(env);
  if (config === undefined) throw new Error('tandem relay needs NATS_URL (nats://host:4222)');
  const logger = processLogger(options.logger, loadHttpConfig(env).logLevel, env);
  const log = options.log ?? ((line: string) => logger.info(line));
  let opened: Tandem | undefined;
  let relaying: RunningNatsRelay | undefined;
  try {
    const store = await openStore(options.config.databaseUrl);
    try {
      opened = await options.createApp(store, { logger });
    } catch (error) {
      await closeAfterFailedStart(logger, [() => store.close()]);
      throw error;
    }
    relaying = await startNatsRelay(opened, { env, log, logger, config });
  } catch (error) {
    const app = opened;
    await closeAfterFailedStart(logger, [app && (() => app.close())]);
    throw error;
  }
  // startNatsRelay returns a relay whenever a configuration is given.
  const relay = relaying as RunningNatsRelay;
  const app = opened;
  // The last resort of a long-running process: a dropped promise's rejection is logged.
  const unguard = guardUnhandledRejections((reason) =>
    logger.error({ err: reason }, 'unhandled promise rejection (a bug: the relay goes on)'),
  );
  let closing: Promise<void> | undefined;
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const close = () =>
    (closing ??= (async () => {
      for (const signal of signals) process.off(signal, onSignal);
      await relay.close();
      await app.close();
      unguard();
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: handing the relay over, then closing the store`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`Closing failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  if (options.handleSignals === true) for (const signal of signals) process.once(signal, onSignal);
  return { app, relay, logger, close };
}
