/**
 * Where the projection daemon reports failures no caller is waiting for: a rebuild started at
 * start-up that stopped, a runner that could not be stopped after losing its lease, a lease round
 * that failed. The methods take details first and a message second, as pino's do
 * (`logger.error({ err }, 'message')`), so a pino logger can be passed as it is. Details carry
 * `projection` and `namespace` where there is one, and the cause as `err`.
 */
export interface ProjectionLogger {
  /** A failure that needs someone: a rebuild stopped on an error, a runner that would not stop. */
  error(details: object, message: string): void;
  /** A failure the daemon works around (a lease round retried, old storage left for later). */
  warn(details: object, message: string): void;
  /** Expected events worth a line: a rebuild stopped by a stop, to resume at start-up. */
  info(details: object, message: string): void;
  /** Detail for a closer look, such as each retry of a failure already logged. Optional. */
  debug?(details: object, message: string): void;
}

/** Control characters would let a message forge log lines or terminal output. */
const controls = /[\p{Cc}\p{Zl}\p{Zp}]/gu;

/** One line: the message, then the details as JSON, errors by their message. */
function line(level: string, details: object, message: string): string {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details))
    fields[key] = value instanceof Error ? value.message : value;
  let json: string;
  try {
    json = JSON.stringify(fields);
  } catch {
    json = '{}'; // details that do not serialize (a cycle, a bigint) still leave the message
  }
  return `tandem ${level}: ${message.replace(controls, ' ')} ${json}`;
}

/** The default: warnings and errors as one line each on stderr; `info` says nothing. */
export const stderrProjectionLogger: ProjectionLogger = {
  error: (details, message) => console.error(line('error', details, message)),
  warn: (details, message) => console.error(line('warn', details, message)),
  info: () => {},
};

/**
 * The logger as the daemon calls it: a logger that throws loses that line, never the daemon's
 * work (a failure report must not become a failure of its own).
 */
export function guardedLogger(logger: ProjectionLogger): ProjectionLogger {
  const guard =
    (level: 'error' | 'warn' | 'info') =>
    (details: object, message: string): void => {
      try {
        logger[level](details, message);
      } catch {
        // Nowhere left to report it: the logger itself is what failed.
      }
    };
  return {
    error: guard('error'),
    warn: guard('warn'),
    info: guard('info'),
    debug: (details, message) => {
      try {
        logger.debug?.(details, message);
      } catch {
        // As above: the logger itself failed.
      }
    },
  };
}
