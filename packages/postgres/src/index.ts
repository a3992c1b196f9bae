export { openPostgresStore, PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { classifyPostgresError } from './postgres-errors.js';
export { numberPlaceholders } from './postgres-sql-executor.js';
export { tandemMigrations } from './postgres-schema.js';
