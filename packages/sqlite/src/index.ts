export {
  openSqliteStore,
  SqliteStore,
  type GroupCommitStats,
  type SqliteStoreOptions,
} from './sqlite-store.js';
export { classifySqliteError } from './sqlite-errors.js';
export { tandemMigrations } from './sqlite-schema.js';
export { collectionTable } from './sqlite-document-collection.js';
