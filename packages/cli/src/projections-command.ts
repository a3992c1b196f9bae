import type { Command } from 'commander';
import type { ProjectionDaemon, ProjectionStatus, Tandem } from '@tandem/core';
import type { AppConfig } from './app-config.js';
import { progressLine } from './progress-bar.js';
import { terminalText } from './terminal-text.js';
import type { AppFactory } from './serve.js';
import { withApp } from './with-app.js';

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

function withDaemon(
  config: AppConfig,
  createApp: AppFactory,
  use: (daemon: ProjectionDaemon, app: Tandem) => Promise<void>,
): Promise<void> {
  return withApp(config.databaseUrl, createApp, async (app) => {
    if (app.projections === undefined) throw new Error('This application declares no projections');
    await use(app.projections, app);
  });
}

/**
 * `tandem projections ...`. `status` reads persisted states (what the processes running the
 * projections recorded, next to their checkpoints) and is safe beside a running server. `rebuild`, `verify` and `replay` run the projections in this process: stop the server's
 * projections first (several processes sharing projections need leases, which the PostgreSQL
 * work adds).
 */
export function addProjectionsCommand(
  program: Command,
  config: AppConfig,
  createApp: AppFactory,
  write: (line: string) => void,
): void {
  const projections = program
    .command('projections')
    .description('read models: status, rebuild, verify, replay parked events');

  projections
    .command('status')
    .description('state, position, lag, parked events, owner, stall cause and last error of every projection')
    .action(async () => {
      await withDaemon(config, createApp, async (daemon) => {
        for (const line of statusLines(await daemon.persistedStatus())) write(line);
      });
    });

  projections
    .command('rebuild <name>')
    .description('rebuild from position 0 into new storage, then swap it in (blue/green)')
    .action(async (name: string) => {
      await withDaemon(config, createApp, async (daemon) => {
        await daemon.start();
        const tty = process.stderr.isTTY;
        let lastLine = 0;
        await daemon.rebuild(name, (progress) => {
          const line = progressLine(progress);
          if (tty) process.stderr.write(`\r${line}`);
          else if (Date.now() - lastLine > 2_000) {
            lastLine = Date.now();
            write(line);
          }
        });
        if (tty) process.stderr.write('\n');
        write(`Rebuilt ${name}; the new storage is active.`);
      });
    });

  projections
    .command('verify <name>')
    .description('rebuild into scratch storage and diff it against the live read model')
    .action(async (name: string) => {
      await withDaemon(config, createApp, async (daemon) => {
        await daemon.start();
        const report = await daemon.verify(name);
        for (const c of report.collections) {
          write(
            `${c.collection}: ${c.missing} missing, ${c.unexpected} unexpected, ${c.different} different${c.sampleIds.length > 0 ? ` (e.g. ${c.sampleIds.map((id) => terminalText(id)).join(', ')})` : ''}`,
          );
        }
        write(
          report.ok
            ? `${name} matches a fresh rebuild at position ${report.position}.`
            : `${name} DIFFERS from a fresh rebuild at position ${report.position}.`,
        );
        if (!report.ok) process.exitCode = 1;
      });
    });

  projections
    .command('replay <name>')
    .description('re-apply parked events after a fix')
    .action(async (name: string) => {
      await withDaemon(config, createApp, async (daemon) => {
        await daemon.start();
        const result = await daemon.replayParked(name);
        write(`Replayed ${result.replayed}; ${result.parked} still parked.`);
      });
    });
}
