import type { Logger } from 'pino';
import type { Tandem } from '@tandem/core';
import { guardUnhandledRejections } from '@tandem/http';
import type { AppConfig } from './app-config.js';
import { closeAfterFailedStart } from './close-after-failed-start.js';
import { loadHttpConfig } from './http-config.js';
import { openApp } from './open-app.js';
import { closeRelays, logRelays, openRelays } from './open-relays.js';
import { processLogger } from './process-logger.js';
import type { AppFactory } from './serve.js';
import { startRelays, type RunningRelays } from './start-relays.js';

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
  /**
   * The environment (NATS_URL, TANDEM_NATS_STREAM, TANDEM_NATS_SUBJECT_PREFIX, RABBITMQ_URL,
   * TANDEM_RABBITMQ_EXCHANGE, TANDEM_LEASE_TTL_MS); default `process.env`.
   */
  readonly env?: NodeJS.ProcessEnv;
}

/** A process running only the relay. */
export interface RunningRelayProcess {
  /** The application (its projections do not run here). */
  readonly app: Tandem;
  /** The relays: their daemon, names and close. */
  readonly relays: RunningRelays;
  /** The process's logger. */
  readonly logger: Logger;
  /** Stops the relays (releasing their leases), closes their publishers, then the store. */
  close(): Promise<void>;
}

/**
 * `tandem relay`: only the relays the environment configures (NATS_URL, RABBITMQ_URL; at least
 * one), none of the app's projections and no HTTP. It shares each relay by lease with the `serve`
 * and `worker` processes and other relay processes on the same database.
 */
export async function runRelay(options: RelayProcessOptions): Promise<RunningRelayProcess> {
  const env = options.env ?? process.env;
  const logger = processLogger(options.logger, loadHttpConfig(env).logLevel, env);
  const log = options.log ?? ((line: string) => logger.info(line));
  // Checked and built before the database opens: a bad URL fails with nothing to undo.
  const configured = await openRelays(env);
  if (configured.length === 0)
    throw new Error(
      'tandem relay needs NATS_URL (nats://host:4222) or RABBITMQ_URL (amqp://user:password@host:5672)',
    );
  let opened: Tandem | undefined;
  let started: RunningRelays | undefined;
  try {
    // Built without the relays: they run in a daemon of their own here (see startRelays).
    opened = await openApp(options.config, options.createApp, { logger });
    started = await startRelays(opened, configured, { env, log, logger });
  } catch (error) {
    const app = opened;
    await closeAfterFailedStart(logger, [
      // startRelays closed them if it ran; closing again is harmless.
      () => closeRelays(configured),
      app && (() => app.close()),
    ]);
    throw error;
  }
  logRelays(configured, log);
  const relays = started;
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
      await relays.close();
      await app.close();
      unguard();
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: handing the relays over, then closing the store`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`Closing failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  if (options.handleSignals === true) for (const signal of signals) process.once(signal, onSignal);
  return { app, relays, logger, close };
}
