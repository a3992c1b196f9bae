import { Command, InvalidArgumentError } from 'commander';
import { signToken } from '@tandem/http';
import { loadConfig, type AppConfig } from './app-config.js';
import { resolveSecret } from './dev-secret.js';
import { openStore } from './open-store.js';
import { addProjectionsCommand } from './projections-command.js';
import { serve, type AppFactory } from './serve.js';

/** Options for {@link createCli}. */
export interface CliOptions {
  readonly name: string;
  readonly description: string;
  readonly createApp: AppFactory;
  /** Adds application commands (the shop adds `seed`). */
  readonly extend?: (program: Command, config: AppConfig) => void;
  /** Where output goes; defaults to stdout. Tests pass their own. */
  readonly write?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('Expected a whole number.');
  return n;
}

/** The `tandem` command line: serve, token, audit, migrate, plus the application's own. */
export function createCli(options: CliOptions): Command {
  const config = loadConfig(options.env ?? process.env);
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const program = new Command(options.name).description(options.description).showHelpAfterError();

  program
    .command('serve')
    .description('run the HTTP server')
    .option('--port <n>', 'port to listen on', integer)
    .option('--database <url>', 'DATABASE_URL to use')
    .action(async (flags: { port?: number; database?: string }) => {
      const running = await serve({
        config: {
          ...config,
          port: flags.port ?? config.port,
          databaseUrl: flags.database ?? config.databaseUrl,
        },
        createApp: options.createApp,
        handleSignals: true,
      });
      write(`Listening on ${running.url}`);
    });

  program
    .command('token')
    .description('print a signed bearer token')
    .requiredOption('--user <id>', 'the user id (sub)')
    .requiredOption('--role <role>', 'admin or customer')
    .option('--expires <duration>', 'lifetime, such as 12h or 30d', '12h')
    .action(async (flags: { user: string; role: string; expires: string }) => {
      write(
        await signToken({ sub: flags.user, role: flags.role }, resolveSecret(config), {
          expiresIn: flags.expires,
        }),
      );
    });

  program
    .command('audit')
    .description('print recent audit rows, newest first')
    .option('--limit <n>', 'how many rows', integer, 20)
    .option('--command-id <id>', 'only this command id')
    .action(async (flags: { limit: number; commandId?: string }) => {
      const store = await openStore(config.databaseUrl);
      try {
        const rows = await store.audit.list({
          limit: flags.limit,
          ...(flags.commandId === undefined ? {} : { commandId: flags.commandId }),
        });
        write(['at', 'outcome', 'code', 'command', 'id', 'user', 'position'].join('\t'));
        for (const r of rows) {
          write(
            [
              r.at,
              r.outcome,
              r.errorCode ?? '-',
              r.commandType,
              r.commandId,
              r.userId ?? '-',
              r.position ?? '-',
            ].join('\t'),
          );
        }
      } finally {
        await store.close();
      }
    });

  program
    .command('migrate')
    .description("create or upgrade Tandem's and the application's tables")
    .action(async () => {
      const app = await options.createApp(await openStore(config.databaseUrl));
      await app.close();
      write('Migrations applied.');
    });

  addProjectionsCommand(program, config, options.createApp, write);
  options.extend?.(program, config);
  return program;
}
