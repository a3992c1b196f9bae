// Emmett's SQLite event store for bench/src/peers/emmett-sqlite-side.ts. This package exists so
// that npm installs @event-driven-io/emmett 0.38.5 (the exact peer of emmett-sqlite 0.38.5, the
// only emmett-sqlite release whose peer is published) next to it, apart from the Emmett 0.42.0
// the PostgreSQL side uses: imports made from this folder resolve to its own node_modules first.
export {
  DeciderCommandHandler,
  IllegalStateError,
  type ProjectionDefinition,
  type ReadEvent,
} from '@event-driven-io/emmett';
export {
  getSQLiteEventStore,
  sqliteConnection,
  type SQLiteConnection,
  type SQLiteEventStore,
  type SQLiteReadEventMetadata,
} from '@event-driven-io/emmett-sqlite';
