import { Command, InvalidArgumentError, type OutputConfiguration } from 'commander';
import { durationSeconds, signToken } from '@tandem/http';
import { loadConfig, type AppConfig } from './app-config.js';
import { appendFile } from 'node:fs/promises';
import { purgeOldAudit, type AuditOutcome } from '@tandem/core';
import { auditFilterText, auditOutcomeList } from './audit-filters.js';
import { auditPurgeBound } from './audit-purge-bound.js';
import { auditTable } from './audit-table.js';
import { openStore } from './open-store.js';
import { addProjectionsCommand } from './projections-command.js';
import { redactUrl } from './redact-url.js';
import { signingRules } from './resolve-token-rules.js';
import { serve, type AppFactory } from './serve.js';
import { withApp } from './with-app.js';
import { runWorker } from './worker.js';
import { runRelay } from './run-relay.js';
import { addTimersCommand } from './timers-command.js';

/** Options for {@link createCli}. */
export interface CliOptions {
  /** The binary's name, such as `tandem`. */
  readonly name: string;
  readonly description: string;
  /** Builds the application on a store; `migrate`, `serve` and `projections` call it. */
  readonly createApp: AppFactory;
  /** Adds application commands (the shop adds `seed`); runs after the built-in ones exist. */
  readonly extend?: (program: Command, config: AppConfig) => void;
  /** Where command results go, one line per call; defaults to stdout. Tests pass their own. */
  readonly write?: (line: string) => void;
  /** Commander's own output (help, usage errors); set before any subcommand, so all inherit it. */
  readonly output?: OutputConfiguration;
  /** The environment to configure from; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** The database when DATABASE_URL is unset; default `sqlite:./data/app.db`. */
  readonly databaseUrl?: string;
}

/** `tandem audit`'s flags, parsed. */
interface AuditFlags {
  readonly limit: number;
  readonly commandId?: string;
  readonly user?: string;
  readonly commandType?: string;
  readonly outcome?: AuditOutcome[];
  readonly from?: string;
  readonly to?: string;
  readonly beforeId?: number;
}

function wholeNumber(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('Expected a whole number.');
  return Number(value);
}

/** Seconds as people write them: `30d`, `24h`, `90m`, `45s` (days only past one day). */
function span(seconds: number): string {
  if (seconds > 86_400 && seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * A `--expires-in` parser: a positive span no longer than the maximum token lifetime, checked
 * here so a typo or an over-long lifetime is a usage error rather than a stack trace from the
 * signer. Returns seconds.
 */
function lifetime(maxSeconds: number): (value: string) => number {
  return (value) => {
    let seconds: number;
    try {
      seconds = durationSeconds(value);
    } catch {
      throw new InvalidArgumentError('Expected a duration such as 30m or 12h.');
    }
    if (seconds <= 0) throw new InvalidArgumentError('Expected a positive duration.');
    if (seconds > maxSeconds)
      throw new InvalidArgumentError(
        `At most ${span(maxSeconds)}, the maximum token lifetime (TANDEM_TOKEN_MAX_LIFETIME).`,
      );
    return seconds;
  };
}

/**
 * The application's command line: `serve`, `token`, `audit`, `migrate`, `projections` and `timers`, plus
 * whatever `extend` adds. Configuration comes from the environment (see {@link loadConfig}).
 */
export function createCli(options: CliOptions): Command {
  const env = options.env ?? process.env;
  const defaults = options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl };
  const config = loadConfig(env, defaults);
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  // Warnings (a weak development secret) go where Commander's errors go: stderr unless told.
  const warn = (line: string) => {
    if (options.output?.writeErr === undefined) process.stderr.write(`${line}\n`);
    else options.output.writeErr(`${line}\n`);
  };
  // The same default `signToken` picks: 12 hours, or the maximum lifetime when that is shorter.
  const defaultLifetime = Math.min(12 * 3_600, config.tokenMaxLifetimeSeconds);
  const program = new Command(options.name).description(options.description);
  if (options.output !== undefined) program.configureOutput(options.output);
  program.showHelpAfterError();

  program
    .command('serve')
    .description(
      'run the HTTP server (and the projections, with the relays NATS_URL or RABBITMQ_URL configure) ' +
        'until SIGINT or SIGTERM',
    )
    .option('--port <n>', 'port to listen on (default: PORT or 3000)', wholeNumber)
    .option('--database <url>', 'database to use (default: DATABASE_URL)')
    .option('--no-projections', 'serve HTTP only; `worker` processes run the projections')
    .action(async (flags: { port?: number; database?: string; projections: boolean }) => {
      // Through loadConfig again, so a flag is checked like the variable and moves the data folder.
      const served = loadConfig(
        {
          ...env,
          ...(flags.port === undefined ? {} : { PORT: String(flags.port) }),
          ...(flags.database === undefined ? {} : { DATABASE_URL: flags.database }),
        },
        defaults,
      );
      const running = await serve({
        config: served,
        createApp: options.createApp,
        handleSignals: true,
        projections: flags.projections ? 'shared' : 'none',
        env,
      });
      // Through the process logger (one format on stdout), unless the caller captures lines.
      if (options.write === undefined)
        running.logger.info({ url: running.url }, `Listening on ${running.url}`);
      else write(`Listening on ${running.url}`);
    });

  program
    .command('worker')
    .description(
      'run projections only (no HTTP), sharing them by lease with other processes; with NATS_URL or ' +
        'RABBITMQ_URL set, the relays to those brokers among them',
    )
    .option('--database <url>', 'database to use (default: DATABASE_URL)')
    .action(async (flags: { database?: string }) => {
      const worker = loadConfig(
        {
          ...env,
          ...(flags.database === undefined ? {} : { DATABASE_URL: flags.database }),
        },
        defaults,
      );
      const started = await runWorker({
        config: worker,
        createApp: options.createApp,
        handleSignals: true,
        env,
      });
      const line = `Worker started on ${redactUrl(worker.databaseUrl)}`;
      if (options.write === undefined) started.logger.info(line);
      else write(line);
    });

  program
    .command('relay')
    .description(
      'run only the relays (NATS_URL with TANDEM_NATS_STREAM and TANDEM_NATS_SUBJECT_PREFIX, and/or ' +
        'RABBITMQ_URL with TANDEM_RABBITMQ_EXCHANGE): publish every committed event to those brokers, ' +
        'sharing each relay by lease with servers, workers and other relay processes',
    )
    .option('--database <url>', 'database to use (default: DATABASE_URL)')
    .action(async (flags: { database?: string }) => {
      const relayed = loadConfig(
        {
          ...env,
          ...(flags.database === undefined ? {} : { DATABASE_URL: flags.database }),
        },
        defaults,
      );
      const started = await runRelay({
        config: relayed,
        createApp: options.createApp,
        handleSignals: true,
        env,
      });
      const line = `Relay started on ${redactUrl(relayed.databaseUrl)}`;
      if (options.write === undefined) started.logger.info(line);
      else write(line);
    });

  program
    .command('token')
    .description(
      'print a bearer token signed with TANDEM_SECRET (or the development secret), with the ' +
        'issuer and audience `serve` requires (TANDEM_TOKEN_ISSUER, TANDEM_TOKEN_AUDIENCE); refused ' +
        'when TANDEM_JWKS_URL is set (your identity provider mints tokens then)',
    )
    .requiredOption('--user <id>', 'the user id (the token subject)')
    .requiredOption('--role <role>', 'the role, such as admin or customer')
    .option(
      '--expires-in <duration>',
      `lifetime, such as 30m or 12h; at most ${span(config.tokenMaxLifetimeSeconds)} ` +
        `(TANDEM_TOKEN_MAX_LIFETIME) (default: ${span(defaultLifetime)})`,
      lifetime(config.tokenMaxLifetimeSeconds),
    )
    .action(async (flags: { user: string; role: string; expiresIn?: number }) => {
      const token = await signToken({ sub: flags.user, role: flags.role }, signingRules(config, warn), {
        expiresIn: flags.expiresIn ?? defaultLifetime,
      });
      write(token);
    });

  const audit = program
    .command('audit')
    .description('print recent command attempts from the audit trail, newest first')
    .option('--limit <n>', 'how many rows', wholeNumber, 20)
    .option('--command-id <id>', 'only the attempts with this command id')
    .option('--user <id>', 'only the attempts of this user', auditFilterText)
    .option('--command-type <type>', 'only the attempts of this command type', auditFilterText)
    .option(
      '--outcome <list>',
      'only these outcomes (accepted, rejected, ...; comma-separated)',
      auditOutcomeList,
    )
    .option(
      '--from <date|age>',
      'only attempts at or after: 2026-01-01, an ISO-8601 time, or an age (24h)',
      (value) => auditPurgeBound(value),
    )
    .option('--to <date|age>', 'only attempts before this time (same forms as --from)', (value) =>
      auditPurgeBound(value),
    )
    .option('--before-id <id>', 'only rows with a lower ID (the next page: the last ID printed)', wholeNumber)
    .action(async (flags: AuditFlags) => {
      const store = await openStore(config.databaseUrl);
      try {
        const rows = await store.audit.list({
          limit: flags.limit,
          ...(flags.commandId === undefined ? {} : { commandId: flags.commandId }),
          ...(flags.user === undefined ? {} : { userId: flags.user }),
          ...(flags.commandType === undefined ? {} : { commandType: flags.commandType }),
          ...(flags.outcome === undefined ? {} : { outcomes: flags.outcome }),
          ...(flags.from === undefined ? {} : { from: flags.from }),
          ...(flags.to === undefined ? {} : { to: flags.to }),
          ...(flags.beforeId === undefined ? {} : { before: flags.beforeId }),
        });
        // Escaped: most of what a row holds was chosen by whoever sent the command.
        for (const line of auditTable(rows)) write(line);
        if (rows.length === 0) write('(no audit rows)');
      } finally {
        await store.close();
      }
    });

  audit
    .command('purge')
    .description(
      'delete the audit rows older than a date or an age, oldest first in batches, after appending ' +
        'each batch to an NDJSON file when --archive names one',
    )
    .requiredOption(
      '--before <date|age>',
      'the bound: 2026-01-01, an ISO-8601 time, or an age (90d, 12h)',
      (value) => auditPurgeBound(value),
    )
    .option('--archive <file>', 'append each batch to this file first, one JSON row a line')
    .option('--batch-size <n>', 'rows per batch (default 1000)', wholeNumber)
    .action(async (flags: { before: string; archive?: string; batchSize?: number }) => {
      const store = await openStore(config.databaseUrl);
      try {
        const file = flags.archive;
        const round = await purgeOldAudit(store.audit, {
          before: flags.before,
          ...(flags.batchSize === undefined ? {} : { batchSize: flags.batchSize }),
          // Appended before the batch is deleted: a failed write deletes nothing.
          archive:
            file === undefined
              ? undefined
              : (rows) => appendFile(file, rows.map((row) => `${JSON.stringify(row)}\n`).join('')),
        });
        write(
          `Purged ${round.purged} audit rows recorded before ${flags.before}` +
            (file === undefined ? '.' : ` (archived to ${file}).`),
        );
      } finally {
        await store.close();
      }
    });

  program
    .command('migrate')
    .description("create or upgrade Tandem's and the application's tables")
    .action(async () => {
      // Building the app applies its migrations; there is nothing else to do.
      await withApp(config, options.createApp, async () => undefined);
      write('Migrations applied.');
    });

  addProjectionsCommand(program, config, options.createApp, write, env);
  addTimersCommand(program, config, write);
  options.extend?.(program, config);
  return program;
}
