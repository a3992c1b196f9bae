import type { Tandem } from '@tandem/core';
import { guardUnhandledRejections } from '@tandem/http';
import type { AppConfig } from './app-config.js';
import { openStore } from './open-store.js';
import { startProjections } from './process-ownership.js';
import type { AppFactory } from './serve.js';

/** Options for {@link runWorker}. */
export interface WorkerOptions {
  readonly config: AppConfig;
  readonly createApp: AppFactory;
  /** Install SIGINT/SIGTERM handlers that hand the projections over cleanly, then exit. */
  readonly handleSignals?: boolean;
  /** Lifecycle messages, including which projections this worker holds; default stderr. */
  readonly log?: (line: string) => void;
  /** The environment (TANDEM_LEASE_TTL_MS); default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** A running worker. */
export interface RunningWorker {
  readonly app: Tandem;
  /** Stops its projections, releases their leases (others take over at once) and closes the store. */
  close(): Promise<void>;
}

/**
 * A projections-only process: no HTTP. Several workers and servers share one database; each runs
 * the projections it holds leases on, and a killed one's projections move to the others.
 */
export async function runWorker(options: WorkerOptions): Promise<RunningWorker> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const store = await openStore(options.config.databaseUrl);
  let app: Tandem;
  try {
    app = await options.createApp(store);
    if (app.projections === undefined) throw new Error('This application declares no projections');
    if (!app.projections.shareable)
      throw new Error(`The ${store.name} store cannot share projections between processes`);
    await startProjections(app, options.env ?? process.env, log);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  const daemon = app.projections;
  // The last resort of every long-running process here: a dropped promise's rejection is logged
  // and counted, never the end of the worker and the projections it holds.
  const unguard = guardUnhandledRejections((reason) =>
    log(
      `unhandled promise rejection (a bug: the worker goes on): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
    ),
  );
  let reported: string | undefined;
  const reportHoldings = () => {
    const owned = daemon.owned.join(', ');
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
      await app.close();
      unguard();
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
  return { app, close };
}
