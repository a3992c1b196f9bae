import { dirname, resolve } from 'node:path';
import { defaultMaxTokenLifetimeSeconds, durationSeconds } from '@tandem/http';
import { redactUrl } from './redact-url.js';

/** Runtime configuration, from the environment. */
export interface AppConfig {
  /** PORT; 0 picks a free port. */
  readonly port: number;
  /** HOST; the loopback interface unless told otherwise. */
  readonly host: string;
  /** `sqlite:<path>`, `sqlite::memory:` or `postgres://...` (DATABASE_URL). */
  readonly databaseUrl: string;
  /** Where development files live (the SQLite file's folder). */
  readonly dataDir: string;
  /** The JWT secret, when set (TANDEM_SECRET); see `resolveSecret` for the development fallback. */
  readonly secret: string | undefined;
  /** NODE_ENV is `production`: no generated secrets, and TANDEM_SECRET must be at least 32 bytes. */
  readonly production: boolean;
  /** TANDEM_TOKEN_ISSUER: the `iss` tokens must carry and `tandem token` sets; unset, any. */
  readonly tokenIssuer: string | undefined;
  /** TANDEM_TOKEN_AUDIENCE: the `aud` tokens must name and `tandem token` sets; unset, any. */
  readonly tokenAudience: string | undefined;
  /** TANDEM_TOKEN_MAX_LIFETIME: the longest accepted token lifetime, in seconds; default 24 hours. */
  readonly tokenMaxLifetimeSeconds: number;
  /**
   * TANDEM_JWKS_URL: where the identity provider serves its public keys (RS256/ES256). When set,
   * `serve` verifies tokens with those keys instead of TANDEM_SECRET, and `tandem token` refuses
   * (the provider mints tokens). An https URL in production.
   */
  readonly jwksUrl: string | undefined;
  /**
   * TANDEM_TOKEN_ROLES_CLAIM: the claim holding the caller's roles, a name or a dotted path
   * (`realm_access.roles`), a string or an array; default `role`.
   */
  readonly rolesClaim: string | undefined;
  /**
   * REDIS_URL (`redis://host:6379/0`): opens a Redis read store for the read models that name the
   * read store `redis` (the shop's order summaries); unset, they stay in the database's own.
   */
  readonly redisUrl: string | undefined;
  /** TANDEM_REDIS_PREFIX: what every Redis key starts with, so apps share a server; default `tandem`. */
  readonly redisPrefix: string;
}

/** REDIS_URL checked: a redis:// or rediss:// URL. */
function redisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`REDIS_URL must be a redis:// URL, got ${JSON.stringify(redactUrl(raw))}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new Error(`REDIS_URL must be a redis:// URL, got ${JSON.stringify(redactUrl(raw))}`);
  return raw;
}

/** TANDEM_JWKS_URL checked: an http(s) URL, https in production (keys fetched in clear can be swapped). */
function jwksUrl(raw: string | undefined, production: boolean): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`TANDEM_JWKS_URL must be an http(s) URL, got ${JSON.stringify(redactUrl(raw))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`TANDEM_JWKS_URL must be an http(s) URL, got ${JSON.stringify(redactUrl(raw))}`);
  if (production && url.protocol !== 'https:')
    throw new Error('TANDEM_JWKS_URL must use https when NODE_ENV=production');
  return url.href;
}

/** TANDEM_TOKEN_ROLES_CLAIM checked: a name or dotted path without empty parts. */
function rolesClaim(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.split('.').some((part) => part === ''))
    throw new Error(
      `TANDEM_TOKEN_ROLES_CLAIM must be a claim name or a dotted path such as realm_access.roles, got ${JSON.stringify(raw)}`,
    );
  return raw;
}

/** TANDEM_TOKEN_MAX_LIFETIME as seconds: a span such as `24h`, or a whole number of seconds. */
function maxLifetime(raw: string | undefined): number {
  if (raw === undefined) return defaultMaxTokenLifetimeSeconds;
  let seconds: number;
  try {
    seconds = durationSeconds(/^\d+$/.test(raw) ? Number(raw) : raw);
  } catch {
    seconds = Number.NaN;
  }
  if (!Number.isSafeInteger(seconds) || seconds <= 0)
    throw new Error(
      `TANDEM_TOKEN_MAX_LIFETIME must be a positive duration such as 24h or 3600 (seconds), got ${JSON.stringify(raw)}`,
    );
  return seconds;
}

/** A variable's value, with empty treated as unset (as `PORT= tandem serve` means). */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Reads PORT, HOST, DATABASE_URL, TANDEM_SECRET, NODE_ENV, TANDEM_TOKEN_ISSUER,
 * TANDEM_TOKEN_AUDIENCE, TANDEM_TOKEN_MAX_LIFETIME, TANDEM_JWKS_URL, TANDEM_TOKEN_ROLES_CLAIM, REDIS_URL and
 * TANDEM_REDIS_PREFIX. Bad values throw here, at start-up, with
 * the variable's name, rather than surfacing later as a confusing listen or driver error. The
 * secret's strength is checked where it is used (`resolveSecret`), so commands that need no secret
 * (`migrate`, `audit`, `--help`) still run. Without DATABASE_URL the app's own SQLite file is used:
 * `defaults.databaseUrl`, else `sqlite:./data/app.db`.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  defaults: { readonly databaseUrl?: string } = {},
): AppConfig {
  const rawPort = read(env, 'PORT') ?? '3000';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65_535)
    throw new Error(`PORT must be a number from 0 to 65535, got ${JSON.stringify(rawPort)}`);
  const databaseUrl = read(env, 'DATABASE_URL') ?? defaults.databaseUrl ?? 'sqlite:./data/app.db';
  const sqlitePath = databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined;
  if (sqlitePath === undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(
      `DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://..., got ${JSON.stringify(redactUrl(databaseUrl))}`,
    );
  }
  if (sqlitePath === '') throw new Error('DATABASE_URL sqlite: needs a file path, or :memory:');
  const dataDir =
    sqlitePath !== undefined && sqlitePath !== ':memory:' ? dirname(resolve(sqlitePath)) : resolve('data');
  return {
    port,
    host: read(env, 'HOST') ?? '127.0.0.1',
    databaseUrl,
    dataDir,
    // Not trimmed: a secret is used byte for byte.
    secret: env.TANDEM_SECRET === '' ? undefined : env.TANDEM_SECRET,
    production: env.NODE_ENV === 'production',
    tokenIssuer: read(env, 'TANDEM_TOKEN_ISSUER'),
    tokenAudience: read(env, 'TANDEM_TOKEN_AUDIENCE'),
    tokenMaxLifetimeSeconds: maxLifetime(read(env, 'TANDEM_TOKEN_MAX_LIFETIME')),
    jwksUrl: jwksUrl(read(env, 'TANDEM_JWKS_URL'), env.NODE_ENV === 'production'),
    rolesClaim: rolesClaim(read(env, 'TANDEM_TOKEN_ROLES_CLAIM')),
    redisUrl: redisUrl(read(env, 'REDIS_URL')),
    redisPrefix: read(env, 'TANDEM_REDIS_PREFIX') ?? 'tandem',
  };
}
