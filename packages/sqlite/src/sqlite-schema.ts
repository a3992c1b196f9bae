/**
 * Tandem's own tables, as ordered migrations. Each runs once and is recorded in
 * `tandem_schema`, so upgrading Tandem upgrades existing databases in place.
 */
export const tandemMigrations: readonly { readonly version: number; readonly sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE tandem_events (
        position INTEGER PRIMARY KEY,
        stream_id TEXT NOT NULL,
        stream_version INTEGER NOT NULL,
        event_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        UNIQUE (stream_id, stream_version)
      );
      CREATE TABLE tandem_idempotency (
        command_id TEXT PRIMARY KEY,
        command_type TEXT NOT NULL,
        payload_hash TEXT NOT NULL,
        result TEXT NOT NULL,
        recorded_at TEXT NOT NULL
      );
      CREATE TABLE tandem_audit (
        id INTEGER PRIMARY KEY,
        command_id TEXT NOT NULL,
        command_type TEXT NOT NULL,
        user_id TEXT,
        stream_ids TEXT NOT NULL,
        payload_hash TEXT NOT NULL,
        outcome TEXT NOT NULL,
        error_code TEXT,
        position INTEGER,
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
      CREATE TABLE tandem_rm_namespaces (
        namespace TEXT PRIMARY KEY,
        projection TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE tandem_rm_tables (
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        searchable INTEGER NOT NULL,
        PRIMARY KEY (namespace, name)
      );
      CREATE TABLE tandem_rm_checkpoints (
        namespace TEXT PRIMARY KEY,
        position INTEGER NOT NULL
      );
      CREATE TABLE tandem_rm_active (
        projection TEXT PRIMARY KEY,
        namespace TEXT NOT NULL
      );
      CREATE TABLE tandem_rm_parked (
        namespace TEXT NOT NULL,
        event_id TEXT NOT NULL,
        position INTEGER NOT NULL,
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
    // Projection ownership between processes (see ProjectionLeases); times in epoch milliseconds.
    version: 3,
    sql: `
      CREATE TABLE tandem_rm_leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE tandem_rm_workers (
        owner TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );
    `,
  },
  {
    // Each projection namespace's state as its runner recorded it (see ProjectionStatusStore).
    version: 4,
    sql: `
      CREATE TABLE tandem_rm_status (
        namespace TEXT PRIMARY KEY,
        projection TEXT NOT NULL,
        state TEXT NOT NULL,
        last_error TEXT,
        stall TEXT,
        owner TEXT,
        epoch INTEGER,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    // Operators' maintenance requests and pause flags (see MaintenanceRequests); JSON as text.
    version: 5,
    sql: `
      CREATE TABLE tandem_rm_maintenance (
        id TEXT PRIMARY KEY,
        projection TEXT NOT NULL,
        action TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        state TEXT NOT NULL,
        claimed_by TEXT,
        claimed_epoch INTEGER,
        progress TEXT,
        result TEXT,
        error TEXT,
        finished_at TEXT
      );
      CREATE INDEX tandem_rm_maintenance_open ON tandem_rm_maintenance (state, requested_at);
      CREATE TABLE tandem_rm_paused (
        projection TEXT PRIMARY KEY,
        paused_at TEXT NOT NULL
      );
    `,
  },
  {
    // The inbox: messages from outside a consumer handled, claimed in the handler's transaction.
    version: 6,
    sql: `
      CREATE TABLE tandem_inbox (
        consumer TEXT NOT NULL,
        message_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (consumer, message_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    // Durable timers (see TimerStore): at most one pending per name, found by (state, due_at).
    // Times are ISO-8601 UTC text of one width, so text order is time order.
    version: 7,
    sql: `
      CREATE TABLE tandem_timers (
        id TEXT PRIMARY KEY,
        timer_id TEXT NOT NULL,
        due_at TEXT NOT NULL,
        command_type TEXT NOT NULL,
        command_data TEXT NOT NULL,
        principal TEXT NOT NULL,
        correlation_id TEXT,
        causation_id TEXT,
        state TEXT NOT NULL,
        scheduled_at TEXT NOT NULL,
        settled_at TEXT,
        outcome TEXT,
        position INTEGER
      );
      CREATE INDEX tandem_timers_due ON tandem_timers (state, due_at);
      CREATE UNIQUE INDEX tandem_timers_pending ON tandem_timers (timer_id) WHERE state = 'pending';
      CREATE INDEX tandem_timers_name ON tandem_timers (timer_id);
    `,
  },
  {
    // Persisted snapshots of folded stream states (see TransactionSnapshots): one per stream and
    // snapshot version, the newest; the state as JSON text.
    version: 8,
    sql: `
      CREATE TABLE tandem_snapshots (
        stream_id TEXT NOT NULL,
        snapshot_version TEXT NOT NULL,
        stream_version INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        state TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        PRIMARY KEY (stream_id, snapshot_version)
      ) WITHOUT ROWID;
    `,
  },
  {
    // Indexes for browsing the log by filter (EventStore.browse): each with position so that
    // ORDER BY position LIMIT walks the index and stops. The expressions are written exactly as
    // the browse queries write them (sqlite-event-browse.ts), or the planner will not match them.
    version: 9,
    sql: `
      CREATE INDEX IF NOT EXISTS tandem_events_type ON tandem_events (type, position);
      CREATE INDEX IF NOT EXISTS tandem_events_correlation ON tandem_events (json_extract(metadata, '$.correlationId'), position);
      CREATE INDEX IF NOT EXISTS tandem_events_trace ON tandem_events (substr(json_extract(metadata, '$.traceparent'), 4, 32), position);
    `,
  },
  {
    // The console's audit search (type, outcome, time range; newest first by id) stays an index
    // walk on a large trail; `at` also serves the retention job's `at < ?`. And the parked events a
    // replay or skip request is about (JSON text, null for all).
    version: 10,
    sql: `
      CREATE INDEX tandem_audit_type ON tandem_audit (command_type, id);
      CREATE INDEX tandem_audit_outcome ON tandem_audit (outcome, id);
      CREATE INDEX tandem_audit_at ON tandem_audit (at);
      ALTER TABLE tandem_rm_maintenance ADD COLUMN event_ids TEXT;
    `,
  },
];
