import { InvalidArgumentError, type Command } from 'commander';
import { unstorableReason } from '@tandem/core/adapter';
import type {
  MaintenanceAction,
  MaintenanceJson,
  MaintenanceRequestOptions,
  ProjectionDaemon,
  ProjectionStatus,
  Tandem,
} from '@tandem/core';
import type { AppConfig } from './app-config.js';
import { performMaintenance } from './perform-maintenance.js';
import { progressLine } from './progress-bar.js';
import { jobLines } from './job-lines.js';
import { terminalText } from './terminal-text.js';
import type { AppFactory } from './serve.js';
import { openAppWithRelays } from './open-app-with-relays.js';

/**
 * The persisted truth, one row per namespace (tab-separated), each followed by what an operator
 * needs to act on: the stall's cause and the last error, one indented line each. Text from the
 * database (error messages, queries) is made safe for a terminal.
 */
export function statusLines(all: readonly ProjectionStatus[]): string[] {
  const lines = [
    [
      'projection',
      'namespace',
      'state',
      'position',
      'head',
      'lag',
      'lag_s',
      'parked',
      'owner',
      'epoch',
      'stall',
    ].join('\t'),
  ];
  for (const s of all) {
    lines.push(
      [
        s.name,
        s.namespace,
        s.state,
        s.position,
        s.head,
        s.lagEvents,
        s.lagSeconds.toFixed(1),
        s.parked,
        terminalText(s.owner ?? '-'),
        s.epoch ?? '-',
        s.stall?.cause ?? '-',
      ].join('\t'),
    );
    if (s.stall !== undefined)
      lines.push(`  stalled since ${s.stall.since}: ${terminalText(s.stall.message)}`);
    const error = s.lastError;
    if (
      error !== undefined &&
      (s.state === 'stopped-on-error' || s.state === 'stalled' || s.state === 'parked')
    ) {
      const event =
        error.eventId === ''
          ? 'store outage'
          : `${terminalText(error.type)} on ${terminalText(error.streamId)}`;
      lines.push(
        `  last error at position ${error.position} (${event}, ${error.attempts} attempts, ${error.firstAt} to ${error.lastAt}): ${terminalText(error.message)}`,
      );
    }
  }
  const held = all.find((s) => s.heldBack !== undefined)?.heldBack;
  if (held !== undefined)
    lines.push(`held back: ${held.heldEvents} events wait for ${terminalText(held.reason)}`);
  return lines;
}

/**
 * Builds the app with the relays `env` configures among its projections (so status shows them and
 * maintenance reaches them), runs `use` on its daemon, and closes everything, also on failure.
 */
async function withDaemon(
  config: AppConfig,
  createApp: AppFactory,
  env: NodeJS.ProcessEnv,
  use: (daemon: ProjectionDaemon, app: Tandem) => Promise<void>,
): Promise<void> {
  const { app } = await openAppWithRelays(config, createApp, env);
  try {
    if (app.projections === undefined) throw new Error('This application declares no projections');
    await use(app.projections, app);
  } finally {
    await app.close();
  }
}

/** A count from a result, for printing (results come from another process's JSON). */
function count(result: MaintenanceJson | undefined, key: string): string {
  const value = result?.[key];
  return typeof value === 'number' ? String(value) : '?';
}

/** Prints a verify report; returns whether the live read model matched. */
function printVerify(
  name: string,
  result: MaintenanceJson | undefined,
  write: (line: string) => void,
): boolean {
  const collections = Array.isArray(result?.collections) ? (result.collections as unknown[]) : [];
  for (const entry of collections) {
    const c = entry as Record<string, unknown>;
    const samples = Array.isArray(c.sampleIds) ? c.sampleIds.map((id) => terminalText(String(id))) : [];
    write(
      `${terminalText(String(c.collection))}: ${count(c, 'missing')} missing, ${count(c, 'unexpected')} unexpected, ${count(c, 'different')} different${samples.length > 0 ? ` (e.g. ${samples.join(', ')})` : ''}`,
    );
  }
  const ok = result?.ok === true;
  write(
    ok
      ? `${name} matches a fresh rebuild at position ${count(result, 'position')}.`
      : `${name} DIFFERS from a fresh rebuild at position ${count(result, 'position')}.`,
  );
  return ok;
}

/** The most `--event` ids one replay or skip takes (the admin API's bound too). */
const maxEventIds = 500;

/**
 * Commander's parser for a repeated `--event <id>`: appends the id, refused (with the reason) when
 * no store could hold it, when empty or longer than 256 characters, or past 500 ids.
 */
export function collectEventIds(value: string, previous: readonly string[] = []): string[] {
  const reason = unstorableReason(value);
  if (reason !== undefined) throw new InvalidArgumentError(`The event id ${reason}.`);
  if (value.length < 1 || value.length > 256)
    throw new InvalidArgumentError('An event id is 1 to 256 characters.');
  if (previous.length >= maxEventIds)
    throw new InvalidArgumentError(`At most ${maxEventIds} events at once.`);
  return previous.includes(value) ? [...previous] : [...previous, value];
}

/**
 * `tandem projections ...`. `status` reads persisted states (what the processes running the
 * projections recorded, next to their checkpoints) and is safe beside a running server. The
 * maintenance commands (`rebuild`, `verify`, `replay`, `skip`, `retry`, `pause`, `resume`) are safe beside
 * running servers too: each stores a request that whichever process holds the projection's lease
 * performs (see `perform-maintenance.ts`), and prints its progress and outcome. When no process
 * runs the projection, this process takes its lease and performs the request itself.
 */
export function addProjectionsCommand(
  program: Command,
  config: AppConfig,
  createApp: AppFactory,
  write: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  /** Runs one request to its end; throws when it failed (the command exits non-zero). */
  const run = async (
    daemon: ProjectionDaemon,
    action: MaintenanceAction,
    name: string,
    onProgress?: (progress: MaintenanceJson) => void,
    request: MaintenanceRequestOptions = {},
  ): Promise<MaintenanceJson | undefined> => {
    const performed = await performMaintenance(daemon, action, name, { env, log, onProgress, request });
    if (performed.state === 'failed')
      throw new Error(`${action} of ${name} failed: ${terminalText(performed.error ?? 'unknown error')}`);
    return performed.result;
  };

  const projections = program
    .command('projections')
    .description('read models: status, rebuild, verify, replay, skip, retry, pause, resume');

  projections
    .command('status')
    .description(
      'state, position, lag, parked events, owner, stall cause and last error of every projection; ' +
        'the process holding each background job',
    )
    .action(async () => {
      await withDaemon(config, createApp, env, async (daemon, app) => {
        for (const line of statusLines(await daemon.persistedStatus())) write(line);
        // The jobs' leases live in the same read store as the projections' (see createTandem).
        for (const line of jobLines(app.jobs(), await daemon.leases())) write(line);
      });
    });

  projections
    .command('rebuild <name>')
    .description(
      'rebuild from position 0 into new storage, then swap it in (blue/green), beside live servers',
    )
    .action(async (name: string) => {
      await withDaemon(config, createApp, env, async (daemon) => {
        const tty = process.stderr.isTTY;
        let lastLine = 0;
        const result = await run(daemon, 'rebuild', name, (progress) => {
          const { position, head, eventsPerSecond, etaSeconds, fraction } = progress;
          if (typeof position !== 'number' || typeof head !== 'number') return;
          const line = progressLine({
            position,
            head,
            // Reports from a holder that predates `fraction` still draw a bar.
            fraction: typeof fraction === 'number' ? fraction : head === 0 ? 1 : position / head,
            eventsPerSecond: typeof eventsPerSecond === 'number' ? eventsPerSecond : 0,
            etaSeconds: typeof etaSeconds === 'number' ? etaSeconds : undefined,
          });
          if (tty) process.stderr.write(`\r${line}`);
          else if (Date.now() - lastLine > 2_000) {
            lastLine = Date.now();
            write(line);
          }
        });
        if (tty) process.stderr.write('\n');
        const namespace = typeof result?.namespace === 'string' ? ` (${terminalText(result.namespace)})` : '';
        write(`Rebuilt ${name}; the new storage${namespace} is active.`);
      });
    });

  projections
    .command('verify [name]')
    .description(
      'rebuild into scratch storage and diff it against the live read model; every read model without a name (exit code 1 on any difference)',
    )
    .action(async (name: string | undefined) => {
      await withDaemon(config, createApp, env, async (daemon) => {
        // Without a name, the read models: not the projections that deliver their events elsewhere
        // (relays, reactions, workflows), which have no read model to compare.
        const names =
          name === undefined
            ? daemon.projections
                .filter((p) => p.mode !== 'inline' && p.deliver === undefined)
                .map((p) => p.name)
            : [name];
        let clean = true;
        for (const each of names) {
          try {
            if (!printVerify(each, await run(daemon, 'verify', each), write)) clean = false;
          } catch (error) {
            // One projection that cannot be verified (stopped on an error...) must not hide the rest.
            if (name !== undefined) throw error;
            clean = false;
            write(`${each}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        if (!clean) process.exitCode = 1;
      });
    });

  projections
    .command('replay <name>')
    .description(
      're-apply parked events after a fix: every one, or those named by --event (an event behind an earlier parked one of its stream stays parked)',
    )
    .option('--event <id>', 'the id of a parked event to replay (repeatable)', collectEventIds, [])
    .action(async (name: string, flags: { event: string[] }) => {
      await withDaemon(config, createApp, env, async (daemon) => {
        const chosen = flags.event.length === 0 ? {} : { eventIds: flags.event };
        const result = await run(daemon, 'replay', name, undefined, chosen);
        write(`Replayed ${count(result, 'replayed')}; ${count(result, 'parked')} still parked.`);
      });
    });

  projections
    .command('skip <name>')
    .description(
      'drop the parked events named by --event without applying them (the read model is right without them); a later event of the same stream parked behind one stays parked until replayed',
    )
    // No default: Commander takes a default as the required option given.
    .requiredOption('--event <id>', 'the id of a parked event to drop (repeatable)', collectEventIds)
    .action(async (name: string, flags: { event: string[] }) => {
      await withDaemon(config, createApp, env, async (daemon) => {
        const result = await run(daemon, 'skip', name, undefined, { eventIds: flags.event });
        write(`Skipped ${count(result, 'skipped')}; ${count(result, 'parked')} still parked.`);
      });
    });

  projections
    .command('retry <name>')
    .description('retry a projection stopped on an error, from its checkpoint (after a fix)')
    .action(async (name: string) => {
      await withDaemon(config, createApp, env, async (daemon) => {
        const result = await run(daemon, 'retry', name);
        write(
          result?.retried === true
            ? `Retrying ${name} from its checkpoint.`
            : `${name} had not stopped on an error (state ${terminalText(String(result?.state))}); nothing to retry.`,
        );
      });
    });

  projections
    .command('pause <name>')
    .description('hold a projection between batches, in every process, until `resume`')
    .action(async (name: string) => {
      await withDaemon(config, createApp, env, async (daemon) => {
        await run(daemon, 'pause', name);
        write(`Paused ${name}; its lag grows until \`resume\`. Read-your-writes waits on it time out.`);
      });
    });

  projections
    .command('resume <name>')
    .description('release a paused projection')
    .action(async (name: string) => {
      await withDaemon(config, createApp, env, async (daemon) => {
        await run(daemon, 'resume', name);
        write(`Resumed ${name}.`);
      });
    });
}
