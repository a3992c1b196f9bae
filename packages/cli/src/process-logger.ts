import { hostname } from 'node:os';
import type { FastifyServerOptions } from 'fastify';
import pino, { stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { redactSecrets } from './redact-url.js';

/** What every `tandem serve`/`worker` log line hides, by field (pino `redact` paths). */
export const redactedPaths: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'cookie',
  'password',
  'secret',
  'token',
  'databaseUrl',
  '*.password',
  '*.secret',
  '*.token',
  '*.databaseUrl',
];

/** Options for {@link createProcessLogger}. */
export interface ProcessLoggerOptions {
  /** pino's level (TANDEM_LOG_LEVEL); default `info`. */
  readonly level?: string;
  /**
   * `json`: one JSON object per line. `pretty`: readable lines (pino-pretty), for a terminal.
   * Default: `pretty` when `destination` is a terminal (TANDEM_LOG_FORMAT overrides), else `json`.
   */
  readonly format?: 'json' | 'pretty';
  /** Where lines go; default stdout. */
  readonly destination?: DestinationStream & { readonly isTTY?: boolean };
  /** Fields on every line (such as `{ process: 'worker' }`). */
  readonly base?: Record<string, unknown>;
}

/** An error as pino's serializer writes it, with credentials in its message and stack hidden. */
function redactedError(error: unknown): unknown {
  const serialized = stdSerializers.err(error as Error) as unknown;
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  const fields = serialized as Record<string, unknown>;
  for (const key of ['message', 'stack'])
    if (typeof fields[key] === 'string') fields[key] = redactSecrets(fields[key]);
  return fields;
}

/**
 * The process logger of `tandem serve` and `tandem worker`: pino, JSON lines by default, readable
 * lines on a terminal. Nothing secret reaches a line: authorization and cookie headers, fields
 * named password, secret, token or databaseUrl are `[redacted]`, and messages and errors pass
 * through {@link redactSecrets} (URL passwords, bearer tokens, JWTs).
 */
export function createProcessLogger(options: ProcessLoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  const tty = options.destination === undefined ? process.stdout.isTTY : options.destination.isTTY === true;
  const format = options.format ?? (tty ? 'pretty' : 'json');
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { pid: process.pid, hostname: hostname(), ...options.base },
    redact: { paths: [...redactedPaths], censor: '[redacted]' },
    serializers: { err: redactedError, error: redactedError },
    hooks: {
      // Messages are text an application or a driver wrote: the same scrub as error messages.
      logMethod(args, method) {
        method.apply(
          this,
          args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : arg)) as Parameters<
            typeof method
          >,
        );
      },
    },
  };
  if (format === 'pretty')
    return pino(
      config,
      pretty({
        destination,
        sync: true,
        colorize: tty,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
      }),
    );
  return pino(config, destination);
}

/** TANDEM_LOG_FORMAT (`json` or `pretty`), or undefined to decide by the terminal. */
export function logFormat(env: NodeJS.ProcessEnv): 'json' | 'pretty' | undefined {
  const raw = env.TANDEM_LOG_FORMAT?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (raw !== 'json' && raw !== 'pretty')
    throw new Error(`TANDEM_LOG_FORMAT must be json or pretty, got ${JSON.stringify(raw)}`);
  return raw;
}

/**
 * The process logger `serve` and `worker` use: the one given, or one made from pino options (or
 * none, for `false`), at TANDEM_LOG_LEVEL, in TANDEM_LOG_FORMAT.
 */
export function processLogger(
  given: Logger | FastifyServerOptions['logger'],
  level: string,
  env: NodeJS.ProcessEnv,
): Logger {
  if (isLogger(given)) return given;
  if (given === false) return createProcessLogger({ level: 'silent', format: 'json' });
  const options = typeof given === 'object' && given !== null ? (given as Record<string, unknown>) : {};
  return createProcessLogger({
    level: typeof options.level === 'string' ? options.level : level,
    format: logFormat(env),
    ...(typeof options.stream === 'object' && options.stream !== null
      ? { destination: options.stream as NodeJS.WritableStream & { write(line: string): void } }
      : {}),
  });
}

function isLogger(value: unknown): value is Logger {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Logger).child === 'function' &&
    typeof (value as Logger).info === 'function'
  );
}
