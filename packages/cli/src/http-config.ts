import type { RateLimitOptions } from '@tandem/http';
import { durationSeconds } from '@tandem/http';

/** How `tandem serve` runs its HTTP side, from the environment. */
export interface HttpConfig {
  /** TANDEM_LOG_LEVEL: pino's level for the server's log lines; default `info`. */
  readonly logLevel: string;
  /**
   * TANDEM_LOG_REQUESTS: one log line at info per completed request (`reqId`, route, status,
   * duration, and the command's `commandId`, `correlationId`, `traceId`): `commands` (default) for
   * command requests only, `all` for every request, `off` (or `false`) for none. Queries are left
   * out by default: a line per read cost about 7 µs of a query's 40 µs of CPU (bench/notes.md),
   * and `/metrics` counts them.
   */
  readonly logRequests: 'all' | 'commands' | 'off';
  /** The TANDEM_RATE_LIMIT_* variables, or false when TANDEM_RATE_LIMIT=off. */
  readonly rateLimit: RateLimitOptions | false;
  /**
   * TANDEM_OPERATIONS_PORT: when set, `/metrics` and the details of `/health` are served on this
   * port only (on TANDEM_OPERATIONS_HOST, default 127.0.0.1), and not on the main one.
   */
  readonly operationsPort: number | undefined;
  /** TANDEM_OPERATIONS_HOST; default 127.0.0.1. */
  readonly operationsHost: string;
  /**
   * TANDEM_OPERATIONS_ACCESS (`public` or `admin`): who may read `/metrics` and `/health` details
   * on the main port when there is no operations port; default `public`.
   */
  readonly operationsAccess: 'public' | 'admin';
  /**
   * TANDEM_TRUST_PROXY: `true`, or comma-separated proxy addresses or CIDR ranges, whose
   * X-Forwarded-For names the client (the address anonymous rate limits key on); default off.
   */
  readonly trustProxy: boolean | string;
  /**
   * TANDEM_QUERY_TIMEOUT_MS: the time budget of a query's reads on PostgreSQL (its statement
   * timeout; 0 for none); default the store's (2,000 ms). SQLite bounds work before it starts.
   */
  readonly queryTimeoutMs: number | undefined;
  /**
   * TANDEM_READY_MAX_LAG_SECONDS (default 30) and TANDEM_READY_LAG_GRACE_SECONDS (default 60):
   * `/health/ready` answers 503 once a projection's lag has stayed over the first for the second.
   * TANDEM_READY_MAX_TIMER_DELAY_SECONDS (default 60): timers overdue by more while this process
   * fires them make it `degraded`.
   */
  readonly readiness: {
    readonly maxLagSeconds: number;
    readonly lagGraceSeconds: number;
    readonly maxTimerDelaySeconds: number;
  };
  /**
   * TANDEM_CONSOLE: `on` (default) serves the web console at `/console/` (static assets only; its
   * data comes from the admin API with an admin token), `off` leaves it out.
   */
  readonly console: boolean;
}

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1)
    throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return value;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value))
    throw new Error(`${name} must be a number of seconds >= 0, got ${JSON.stringify(raw)}`);
  return value;
}

function rateLimit(env: NodeJS.ProcessEnv): RateLimitOptions | false {
  if (read(env, 'TANDEM_RATE_LIMIT')?.toLowerCase() === 'off') return false;
  const window = read(env, 'TANDEM_RATE_LIMIT_WINDOW');
  let windowMs: number | undefined;
  if (window !== undefined) {
    const seconds = (() => {
      try {
        return durationSeconds(/^\d+$/.test(window) ? Number(window) : window);
      } catch {
        return Number.NaN;
      }
    })();
    if (!(seconds >= 1))
      throw new Error(
        `TANDEM_RATE_LIMIT_WINDOW must be a duration such as 1m or 60, got ${JSON.stringify(window)}`,
      );
    windowMs = seconds * 1_000;
  }
  const options: Record<string, number> = {};
  for (const [name, key] of [
    ['TANDEM_RATE_LIMIT_USER', 'perUser'],
    ['TANDEM_RATE_LIMIT_ADDRESS', 'perAddress'],
    ['TANDEM_RATE_LIMIT_REFUSED', 'refused'],
    ['TANDEM_RATE_LIMIT_ANONYMOUS_COMMANDS', 'anonymousCommands'],
  ] as const) {
    const value = positive(env, name);
    if (value !== undefined) options[key] = value;
  }
  return { ...options, ...(windowMs === undefined ? {} : { windowMs }) };
}

function trustProxy(raw: string | undefined): boolean | string {
  if (raw === undefined || raw === 'false') return false;
  return raw === 'true' ? true : raw;
}

/** TANDEM_LOG_REQUESTS: `commands` unless set; `false` is `off`, as it was before `all` existed. */
function logRequests(value: string | undefined): 'all' | 'commands' | 'off' {
  if (value === undefined || value === 'commands') return 'commands';
  if (value === 'all' || value === 'true') return 'all';
  if (value === 'off' || value === 'false') return 'off';
  throw new Error(`TANDEM_LOG_REQUESTS must be all, commands or off, got ${JSON.stringify(value)}`);
}

/** TANDEM_CONSOLE: on unless `off` (or `false`). */
function consoleOn(value: string | undefined): boolean {
  if (value === undefined || value === 'on' || value === 'true') return true;
  if (value === 'off' || value === 'false') return false;
  throw new Error(`TANDEM_CONSOLE must be on or off, got ${JSON.stringify(value)}`);
}

/**
 * Reads TANDEM_LOG_LEVEL, TANDEM_LOG_REQUESTS, TANDEM_RATE_LIMIT (`off`), TANDEM_RATE_LIMIT_USER, _ADDRESS, _REFUSED,
 * _ANONYMOUS_COMMANDS (per window) and _WINDOW, TANDEM_OPERATIONS_PORT, _HOST and _ACCESS,
 * TANDEM_TRUST_PROXY, TANDEM_QUERY_TIMEOUT_MS and TANDEM_READY_MAX_LAG_SECONDS, _LAG_GRACE_SECONDS, and TANDEM_CONSOLE. Bad values throw at start-up, naming the variable.
 */
export function loadHttpConfig(env: NodeJS.ProcessEnv = process.env): HttpConfig {
  const logLevel = read(env, 'TANDEM_LOG_LEVEL') ?? 'info';
  if (!levels.includes(logLevel))
    throw new Error(`TANDEM_LOG_LEVEL must be one of ${levels.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const operationsPort = read(env, 'TANDEM_OPERATIONS_PORT');
  if (operationsPort !== undefined && (!/^\d+$/.test(operationsPort) || Number(operationsPort) > 65_535))
    throw new Error(
      `TANDEM_OPERATIONS_PORT must be a number from 0 to 65535, got ${JSON.stringify(operationsPort)}`,
    );
  const access = read(env, 'TANDEM_OPERATIONS_ACCESS') ?? 'public';
  if (access !== 'public' && access !== 'admin')
    throw new Error(`TANDEM_OPERATIONS_ACCESS must be public or admin, got ${JSON.stringify(access)}`);
  return {
    logLevel,
    logRequests: logRequests(read(env, 'TANDEM_LOG_REQUESTS')),
    rateLimit: rateLimit(env),
    operationsPort: operationsPort === undefined ? undefined : Number(operationsPort),
    operationsHost: read(env, 'TANDEM_OPERATIONS_HOST') ?? '127.0.0.1',
    operationsAccess: access,
    trustProxy: trustProxy(read(env, 'TANDEM_TRUST_PROXY')),
    queryTimeoutMs:
      read(env, 'TANDEM_QUERY_TIMEOUT_MS') === '0' ? 0 : positive(env, 'TANDEM_QUERY_TIMEOUT_MS'),
    readiness: {
      maxLagSeconds: seconds(env, 'TANDEM_READY_MAX_LAG_SECONDS', 30),
      lagGraceSeconds: seconds(env, 'TANDEM_READY_LAG_GRACE_SECONDS', 60),
      maxTimerDelaySeconds: seconds(env, 'TANDEM_READY_MAX_TIMER_DELAY_SECONDS', 60),
    },
    console: consoleOn(read(env, 'TANDEM_CONSOLE')),
  };
}
