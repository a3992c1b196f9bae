import type { Logger } from 'pino';
import type { Tandem } from '@tandem/core';
import type { FastifyInstance } from 'fastify';
import { createOperationsServer, guardUnhandledRejections } from '@tandem/http';
import { loadHttpConfig } from './http-config.js';
import type { AppConfig } from './app-config.js';
import { openAppWithRelays } from './open-app-with-relays.js';
import { logRelays } from './open-relays.js';
import { startProjections } from './process-ownership.js';
import { closeAfterFailedStart } from './close-after-failed-start.js';
import { processLogger } from './process-logger.js';
import type { AppFactory } from './serve.js';
import { shutdownTracing, startTracing } from './start-tracing.js';

/** Options for {@link runWorker}. */
export interface WorkerOptions {
  readonly config: AppConfig;
  readonly createApp: AppFactory;
  /** Install SIGINT/SIGTERM handlers that hand the projections over cleanly, then exit. */
  readonly handleSignals?: boolean;
  /** Lifecycle messages, including which projections this worker holds; default the logger. */
  readonly log?: (line: string) => void;
  /**
   * The process's logger (pino, or pino options, or `false`); default JSON lines on stdout at
   * TANDEM_LOG_LEVEL (readable lines on a terminal). The projection daemon logs to it too.
   */
  readonly logger?: Logger | false | { readonly level?: string };
  /** Start the OpenTelemetry SDK from the OTEL_* variables (see `startTracing`); default true. */
  readonly tracing?: boolean;
  /**
   * The environment (TANDEM_LEASE_TTL_MS; NATS_URL, TANDEM_NATS_*, RABBITMQ_URL and
   * TANDEM_RABBITMQ_* for the relays); default `process.env`.
   */
  readonly env?: NodeJS.ProcessEnv;
}

/** A running worker. */
export interface RunningWorker {
  readonly app: Tandem;
  /**
   * The relays NATS_URL and RABBITMQ_URL configure (`relay-nats`, `relay-rabbitmq`): projections
   * of the app's daemon like its own, run here while this worker holds their leases.
   */
  readonly relays: readonly string[];
  /** The process's logger. */
  readonly logger: Logger;
  /**
   * Where its operations endpoints listen (`/health/live`, `/health/ready`, `/metrics`) when
   * TANDEM_OPERATIONS_PORT is set, such as `http://127.0.0.1:9464`; undefined otherwise.
   */
  readonly operationsUrl: string | undefined;
  /** Stops its projections, releases their leases (others take over at once) and closes the store. */
  close(): Promise<void>;
}

/**
 * A projections-only process: no HTTP but, with TANDEM_OPERATIONS_PORT, its operations endpoints
 * (health and metrics: what is counted where events are applied, such as apply durations and
 * failed attempts, is only seen by scraping the process that applies them). Several workers and servers share one database; each runs
 * the projections it holds leases on, and a killed one's projections move to the others. The
 * relays NATS_URL and RABBITMQ_URL configure are among those projections (see `openAppWithRelays`).
 */
export async function runWorker(options: WorkerOptions): Promise<RunningWorker> {
  const env = options.env ?? process.env;
  const http = loadHttpConfig(env);
  const logger = processLogger(options.logger, http.logLevel, env);
  const log = options.log ?? ((line: string) => logger.info(line));
  const tracing = options.tracing === false ? undefined : await startTracing(env);
  if (tracing !== undefined) log(`tracing: exporting spans by OTLP to ${tracing.endpoint}`);
  let opened: Tandem | undefined;
  let operations: FastifyInstance | undefined;
  let relayNames: readonly string[] = [];
  try {
    // The relays (NATS_URL, RABBITMQ_URL) join the app's own projections: one daemon, one status.
    const built = await openAppWithRelays(options.config, options.createApp, env, { logger });
    opened = built.app;
    relayNames = built.relays.map((relay) => relay.projection.name);
    if (opened.projections === undefined)
      throw new Error(
        'This application declares no projections (and neither NATS_URL nor RABBITMQ_URL configures a relay)',
      );
    if (!opened.projections.shareable)
      throw new Error(`The ${opened.store.name} store cannot share projections between processes`);
    await startProjections(opened, env, log);
    logRelays(built.relays, log);
    if (http.operationsPort !== undefined) {
      operations = await createOperationsServer({
        tandem: opened,
        loggerInstance: logger,
        readiness: http.readiness,
      });
      await operations.listen({ port: http.operationsPort, host: http.operationsHost });
    }
  } catch (error) {
    const [app, operating] = [opened, operations];
    await closeAfterFailedStart(logger, [
      operating && (() => operating.close()),
      // Stops the projections and relays, then closes the relays' publishers and the store.
      app && (() => app.close()),
      tracing && (() => tracing.shutdown()),
    ]);
    throw error;
  }
  const app = opened;
  // The last resort of every long-running process here: a dropped promise's rejection is logged
  // and counted, never the end of the worker and the projections it holds.
  const unguard = guardUnhandledRejections((reason) =>
    logger.error({ err: reason }, 'unhandled promise rejection (a bug: the worker goes on)'),
  );
  let reported: string | undefined;
  const reportHoldings = () => {
    const owned = (app.projections?.owned ?? []).join(', ');
    if (owned !== reported) log(`holding: ${owned === '' ? '(nothing)' : owned}`);
    reported = owned;
  };
  reportHoldings();
  const report = setInterval(reportHoldings, 500);
  report.unref();
  let closing: Promise<void> | undefined;
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(report);
      for (const signal of signals) process.off(signal, onSignal);
      await operations?.close();
      // Hands the projections and relays over, then closes the relays' publishers and the store.
      await app.close();
      unguard();
      await shutdownTracing(tracing, logger);
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: handing the projections over, then closing the store`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`Closing failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  if (options.handleSignals === true) for (const signal of signals) process.once(signal, onSignal);
  const address = operations?.server.address();
  const operationsUrl =
    typeof address === 'object' && address !== null
      ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
      : undefined;
  if (operationsUrl !== undefined) log(`operations endpoints at ${operationsUrl}`);
  return { app, relays: relayNames, logger, operationsUrl, close };
}
