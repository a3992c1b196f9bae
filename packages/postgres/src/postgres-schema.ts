/**
 * Tandem's own tables on PostgreSQL, as ordered migrations recorded in `tandem_schema`. Every
 * statement is schema-relative: the store sets `search_path`, so tests can give each case a schema.
 */
export const tandemMigrations: readonly { readonly version: number; readonly sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE tandem_events (
        position BIGSERIAL PRIMARY KEY,
        tx_id XID8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id TEXT NOT NULL,
        stream_version INTEGER NOT NULL,
        event_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        data JSONB NOT NULL,
        metadata JSONB NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        UNIQUE (stream_id, stream_version)
      );
      CREATE TABLE tandem_idempotency (
        command_id TEXT PRIMARY KEY,
        command_type TEXT NOT NULL,
        payload_hash TEXT NOT NULL,
        result JSONB NOT NULL,
        recorded_at TEXT NOT NULL
      );
      CREATE TABLE tandem_audit (
        id BIGSERIAL PRIMARY KEY,
        command_id TEXT NOT NULL,
        command_type TEXT NOT NULL,
        user_id TEXT,
        stream_ids JSONB NOT NULL,
        payload_hash TEXT NOT NULL,
        outcome TEXT NOT NULL,
        error_code TEXT,
        position BIGINT,
        at TEXT NOT NULL
      );
      CREATE INDEX tandem_audit_command ON tandem_audit (command_id, id);
      CREATE INDEX tandem_audit_user ON tandem_audit (user_id, id);
      CREATE TABLE tandem_migrations (
        owner TEXT NOT NULL,
        id TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        PRIMARY KEY (owner, id)
      );
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE tandem_rm_namespaces (namespace TEXT PRIMARY KEY, projection TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now());
      CREATE TABLE tandem_rm_tables (namespace TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (namespace, name));
      CREATE TABLE tandem_rm_checkpoints (namespace TEXT PRIMARY KEY, position BIGINT NOT NULL);
      CREATE TABLE tandem_rm_active (projection TEXT PRIMARY KEY, namespace TEXT NOT NULL);
      CREATE TABLE tandem_rm_parked (
        namespace TEXT NOT NULL,
        event_id TEXT NOT NULL,
        position BIGINT NOT NULL,
        stream_id TEXT NOT NULL,
        type TEXT NOT NULL,
        reason TEXT NOT NULL,
        error TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        parked_at TEXT NOT NULL,
        PRIMARY KEY (namespace, event_id)
      );
    `,
  },
  {
    // Positions become `xid * 4096 + n` (written by the append); existing ones stay below them.
    version: 3,
    sql: `
      ALTER TABLE tandem_events ALTER COLUMN position DROP DEFAULT;
      DROP SEQUENCE IF EXISTS tandem_events_position_seq;
    `,
  },
  {
    // Projection ownership between processes (see ProjectionLeases).
    version: 4,
    sql: `
      CREATE TABLE tandem_rm_leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, epoch BIGINT NOT NULL, expires_at TIMESTAMPTZ NOT NULL);
      CREATE TABLE tandem_rm_workers (owner TEXT PRIMARY KEY, expires_at TIMESTAMPTZ NOT NULL);
    `,
  },
];
