// Type-only: erased from the emitted JavaScript, so no package loads until loadAdapter asks.
import type * as NatsAdapter from '@tandem/nats';
import type * as PostgresAdapter from '@tandem/postgres';
import type * as RabbitAdapter from '@tandem/rabbitmq';
import type * as RedisAdapter from '@tandem/redis';
import type * as SqliteAdapter from '@tandem/sqlite';

/** The store and broker adapters `tandem` can open, by the package that provides each. */
export const adapterPackages = {
  sqlite: '@tandem/sqlite',
  postgres: '@tandem/postgres',
  redis: '@tandem/redis',
  nats: '@tandem/nats',
  rabbitmq: '@tandem/rabbitmq',
} as const;

/** The module of one adapter package. */
export type AdapterModule<Name extends keyof typeof adapterPackages> = Name extends 'sqlite'
  ? typeof SqliteAdapter
  : Name extends 'redis'
    ? typeof RedisAdapter
    : Name extends 'nats'
      ? typeof NatsAdapter
      : Name extends 'rabbitmq'
        ? typeof RabbitAdapter
        : typeof PostgresAdapter;

/** What asks for each adapter, for the error when its package is missing. */
const reasons: Readonly<Record<keyof typeof adapterPackages, string>> = {
  sqlite: 'DATABASE_URL names a sqlite database',
  postgres: 'DATABASE_URL names a postgres database',
  redis: 'REDIS_URL names a redis database',
  nats: 'NATS_URL is set',
  rabbitmq: 'RABBITMQ_URL is set',
};

/**
 * Loads an adapter package on first use. `@tandem/cli` only names the adapters as optional peers:
 * an application installs the ones its DATABASE_URL, REDIS_URL, NATS_URL and RABBITMQ_URL need, and a SQLite-only deployment never
 * builds PostgreSQL's driver (or the reverse). A missing one is named in the error, with the
 * install command, instead of Node's bare "Cannot find package".
 */
export async function loadAdapter<Name extends keyof typeof adapterPackages>(
  name: Name,
  importModule: (specifier: string) => Promise<unknown> = (specifier) => import(specifier),
): Promise<AdapterModule<Name>> {
  const specifier = adapterPackages[name];
  try {
    // The specifier comes from the table above; the cast names what that package exports.
    return (await importModule(specifier)) as AdapterModule<Name>;
  } catch (error) {
    if (isMissingPackage(error, specifier)) {
      throw new Error(
        `${reasons[name]}, but ${specifier} is not installed: run \`npm install ${specifier}\``,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Whether `error` is Node's "package not found" for `specifier` itself (not for one of its own dependencies). */
function isMissingPackage(error: unknown, specifier: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  return code === 'ERR_MODULE_NOT_FOUND' && error.message.includes(`'${specifier}'`);
}
