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
  {
    // Appends in one call: the per-stream locks, then (with a fresh snapshot, since each statement
    // of a volatile function takes its own) the version checks and the insert. The plans stay
    // cached in each connection, where a one-off statement was re-planned per append (profiled:
    // a third of the server time of an append). Rows, streams and checks carry the number of the
    // append they belong to (its group): a group commit sends many independent appends, over
    // disjoint streams, in one call, and each is refused or written on its own. See appendArgs in
    // postgres-event-log.ts.
    version: 5,
    sql: `
      CREATE FUNCTION tandem_append(
        lock_ids TEXT[], stream_ids TEXT[], stream_group INTEGER[],
        check_ids TEXT[], check_kinds TEXT[], check_values INTEGER[], check_group INTEGER[],
        r_n INTEGER[], r_stream TEXT[], r_k INTEGER[], r_event_id TEXT[], r_type TEXT[],
        r_schema INTEGER[], r_data JSONB[], r_metadata JSONB[], r_group INTEGER[],
        OUT versions INTEGER[], OUT conflicted INTEGER[], OUT inverted INTEGER[], OUT base BIGINT
      ) LANGUAGE plpgsql AS $fn$
      DECLARE
        lasts BIGINT[] := '{}';
        ver INTEGER;
        last BIGINT;
        v INTEGER;
        matches BOOLEAN;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(current_schema() || '/' || s, 0))
          FROM unnest(lock_ids) AS s;
        versions := '{}';
        conflicted := '{}';
        inverted := '{}';
        FOR i IN 1 .. COALESCE(array_length(stream_ids, 1), 0) LOOP
          SELECT t.stream_version, t.position INTO ver, last FROM tandem_events t
            WHERE t.stream_id = stream_ids[i] ORDER BY t.stream_version DESC LIMIT 1;
          versions[i] := COALESCE(ver, 0);
          lasts[i] := last;
        END LOOP;
        -- check_values holds the expected version minus the events of the same stream appended
        -- earlier in the group for 'version', and that number of events for the other kinds.
        FOR i IN 1 .. COALESCE(array_length(check_ids, 1), 0) LOOP
          v := versions[array_position(stream_ids, check_ids[i])];
          matches := CASE check_kinds[i]
            WHEN 'no-stream' THEN v + check_values[i] = 0
            WHEN 'stream-exists' THEN v + check_values[i] > 0
            ELSE v = check_values[i]
          END;
          IF NOT matches THEN
            conflicted := array_append(conflicted, check_group[i]);
          END IF;
        END LOOP;
        IF NOT EXISTS (SELECT 1 FROM unnest(r_group) AS g WHERE g <> ALL (conflicted)) THEN
          RETURN; -- nothing to write: no transaction id taken, nothing to commit
        END IF;
        base := pg_current_xact_id()::text::bigint * 4096;
        -- A transaction with a later id already appended to the stream: this group's events would
        -- sort before that one's, against the stream's version order. The group is not written.
        FOR i IN 1 .. COALESCE(array_length(stream_ids, 1), 0) LOOP
          IF lasts[i] >= base + 4096 THEN
            inverted := array_append(inverted, stream_group[i]);
          END IF;
        END LOOP;
        INSERT INTO tandem_events (position, stream_id, stream_version, event_id, type, schema_version, data, metadata)
          SELECT base + r.n, r.s, versions[array_position(stream_ids, r.s)] + r.k, r.e, r.t, r.sv, r.d, r.m
          FROM unnest(r_n, r_stream, r_k, r_event_id, r_type, r_schema, r_data, r_metadata, r_group)
            AS r(n, s, k, e, t, sv, d, m, g)
          WHERE r.g <> ALL (conflicted) AND r.g <> ALL (inverted);
      END
      $fn$;
    `,
  },
  {
    // Each projection namespace's state as its runner recorded it (see ProjectionStatusStore).
    version: 6,
    sql: `
      CREATE TABLE tandem_rm_status (
        namespace TEXT PRIMARY KEY,
        projection TEXT NOT NULL,
        state TEXT NOT NULL,
        last_error JSONB,
        stall JSONB,
        owner TEXT,
        epoch BIGINT,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    // Operators' maintenance requests and pause flags (see MaintenanceRequests).
    version: 7,
    sql: `
      CREATE TABLE tandem_rm_maintenance (
        id TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY, projection TEXT NOT NULL, action TEXT NOT NULL,
        requested_at TIMESTAMPTZ NOT NULL DEFAULT now(), state TEXT NOT NULL,
        claimed_by TEXT, claimed_epoch BIGINT, progress JSONB, result JSONB, error TEXT,
        finished_at TIMESTAMPTZ);
      CREATE INDEX tandem_rm_maintenance_open ON tandem_rm_maintenance (state, requested_at);
      CREATE TABLE tandem_rm_paused (projection TEXT PRIMARY KEY, paused_at TIMESTAMPTZ NOT NULL DEFAULT now());
    `,
  },
  {
    // The inbox: messages from outside a consumer handled, claimed in the handler's transaction.
    version: 8,
    sql: `
      CREATE TABLE tandem_inbox (
        consumer TEXT NOT NULL,
        message_id TEXT NOT NULL,
        received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
      );
    `,
  },
  {
    // Durable timers (see TimerStore): at most one pending per name, found by (state, due_at);
    // seq orders timers due at the same instant as they were scheduled.
    version: 9,
    sql: `
      CREATE TABLE tandem_timers (
        id TEXT PRIMARY KEY,
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        timer_id TEXT NOT NULL,
        due_at TIMESTAMPTZ NOT NULL,
        command_type TEXT NOT NULL,
        command_data JSONB NOT NULL,
        principal JSONB NOT NULL,
        correlation_id TEXT,
        causation_id TEXT,
        state TEXT NOT NULL,
        scheduled_at TIMESTAMPTZ NOT NULL,
        settled_at TIMESTAMPTZ,
        outcome TEXT,
        position BIGINT
      );
      CREATE INDEX tandem_timers_due ON tandem_timers (state, due_at);
      CREATE UNIQUE INDEX tandem_timers_pending ON tandem_timers (timer_id) WHERE state = 'pending';
      CREATE INDEX tandem_timers_name ON tandem_timers (timer_id);
    `,
  },
  {
    // Persisted snapshots of folded stream states (see TransactionSnapshots): one per stream and
    // snapshot version, the newest. The state is JSON text, not jsonb: JSON.stringify escapes what
    // text cannot hold raw, whereas jsonb refuses the escapes of U+0000 and lone surrogates.
    version: 10,
    sql: `
      CREATE TABLE tandem_snapshots (
        stream_id TEXT NOT NULL,
        snapshot_version TEXT NOT NULL,
        stream_version INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        state TEXT NOT NULL,
        saved_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (stream_id, snapshot_version)
      );
    `,
  },
  {
    // Indexes for browsing the log by filter (EventStore.browse): each with position so that
    // ORDER BY position LIMIT walks the index and stops. The expressions are written exactly as
    // the browse queries write them (postgres-event-browse.ts), or the planner will not match them.
    // Plain CREATE INDEX (migrations run in a transaction): on a large log it holds writes back
    // while it builds; create them CONCURRENTLY by hand first to avoid that (docs/operations.md).
    version: 11,
    sql: `
      CREATE INDEX IF NOT EXISTS tandem_events_type ON tandem_events (type, position);
      CREATE INDEX IF NOT EXISTS tandem_events_correlation ON tandem_events ((metadata->>'correlationId'), position);
      CREATE INDEX IF NOT EXISTS tandem_events_trace ON tandem_events ((substr(metadata->>'traceparent', 4, 32)), position);
    `,
  },
  {
    // The console's audit search (type, outcome, time range; newest first by id) stays an index
    // walk on a large trail; `at` also serves the retention job's `at < $1`. And the parked events
    // a replay or skip request is about (null for all).
    version: 12,
    sql: `
      CREATE INDEX tandem_audit_type ON tandem_audit (command_type, id);
      CREATE INDEX tandem_audit_outcome ON tandem_audit (outcome, id);
      CREATE INDEX tandem_audit_at ON tandem_audit (at);
      ALTER TABLE tandem_rm_maintenance ADD COLUMN event_ids JSONB;
    `,
  },
];
