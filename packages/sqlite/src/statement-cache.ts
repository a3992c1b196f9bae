import type Database from 'better-sqlite3';

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * A prepared statement for `sql` on `db`, prepared once. Read models and queries run the same few
 * statements over and over; preparing them each time was the largest cost of a simple `get`.
 */
export function prepared(db: Database.Database, sql: string): Database.Statement {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = new Map();
    caches.set(db, cache);
  }
  let statement = cache.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    // Bounded: statements are built from declared collections and filters, but never trust that.
    if (cache.size >= 1_000) cache.clear();
    cache.set(sql, statement);
  }
  return statement;
}
