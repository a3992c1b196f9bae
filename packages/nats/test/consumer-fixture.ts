import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { RecordedEvent, Store, Transaction } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { openSqliteStore } from '@tandem/sqlite';
import { encodeEventMessage } from '../src/event-message.js';

/**
 * The database a consumer test runs against, as environment variables a child process can open it
 * from too (see `openConsumerStore`).
 */
export interface ConsumerDatabase {
  readonly kind: 'sqlite' | 'postgres';
  /** `CONSUMER_STORE` = `sqlite:<file>` or `postgres:<url>#<schema>`. */
  readonly env: { readonly CONSUMER_STORE: string };
  /** Deletes the file or drops the schema. */
  cleanup(): Promise<void>;
}

/** The consumer's effect table: no unique key, so that an event applied twice shows as two rows. */
const effectsMigration = {
  id: '001-effects',
  sql: 'CREATE TABLE effects (event_id TEXT NOT NULL, stream_id TEXT NOT NULL, stream_version INTEGER NOT NULL)',
};

/** Opens the store `CONSUMER_STORE` names, its effect table migrated. */
export async function openConsumerStore(spec: string): Promise<Store> {
  const store = spec.startsWith('sqlite:')
    ? await openSqliteStore({ filename: spec.slice('sqlite:'.length) })
    : await openPostgresStore({
        connectionString: spec.slice('postgres:'.length, spec.lastIndexOf('#')),
        schema: spec.slice(spec.lastIndexOf('#') + 1),
        pollIntervalMs: 20,
      });
  await store.migrate('consumer-test', [effectsMigration]);
  return store;
}

let databases = 0;

/**
 * A fresh SQLite file and, when a PostgreSQL server answers, a fresh schema (with `CI=true` a missing
 * server fails, as `postgresTestUrl` decides).
 */
export async function consumerDatabases(): Promise<ConsumerDatabase[]> {
  const out: ConsumerDatabase[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tandem-nats-consumer-'));
  out.push({
    kind: 'sqlite',
    env: { CONSUMER_STORE: `sqlite:${join(dir, 'consumer.db')}` },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  });
  const url = await postgresTestUrl();
  if (url !== undefined) {
    databases += 1;
    const schema = `t_nats_consumer_${process.pid}_${Date.now().toString(36)}_${databases}`;
    out.push({
      kind: 'postgres',
      env: { CONSUMER_STORE: `postgres:${url}#${schema}` },
      cleanup: () => dropSchemas(url, [schema]),
    });
  }
  return out;
}

/** The handler the tests use: one effect row per event, in the consumer's transaction. */
export async function recordEffect(event: RecordedEvent, tx: Transaction): Promise<void> {
  await tx.sql.execute('INSERT INTO effects (event_id, stream_id, stream_version) VALUES (?, ?, ?)', [
    event.eventId,
    event.streamId,
    event.streamVersion,
  ]);
}

/** How many effect rows each event id has. */
export async function effectCounts(store: Store): Promise<Map<string, number>> {
  const rows = await store.transaction((tx) =>
    tx.sql.query<{ event_id: string; n: number | string }>(
      'SELECT event_id, COUNT(*) AS n FROM effects GROUP BY event_id',
    ),
  );
  return new Map(rows.map((row) => [row.event_id, Number(row.n)]));
}

/** `count` committed-looking events over `streams` order streams, positions from `from`. */
export function makeEvents(count: number, streams: number, from = 1): RecordedEvent[] {
  const versions = new Map<string, number>();
  return Array.from({ length: count }, (_, i) => {
    const streamId = `order-${i % streams}`;
    const streamVersion = (versions.get(streamId) ?? 0) + 1;
    versions.set(streamId, streamVersion);
    return {
      eventId: randomUUID(),
      type: 'OrderPlaced',
      streamId,
      streamVersion,
      position: from + i,
      schemaVersion: 1,
      data: { n: from + i },
      metadata: {},
      recordedAt: new Date().toISOString(),
    } as RecordedEvent;
  });
}

/** Creates the stream as the relay would (every subject under the prefix, a duplicate window). */
export async function createRelayStream(
  nc: NatsConnection,
  stream: string,
  prefix: string,
): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], duplicate_window: nanos(120_000) });
  return jsm;
}

/** Publishes `events` as the relay does, waiting for each acknowledgement. */
export async function publishEvents(
  nc: NatsConnection,
  prefix: string,
  events: readonly RecordedEvent[],
): Promise<void> {
  const js = jetstream(nc);
  for (const event of events) {
    const message = encodeEventMessage(prefix, event);
    await js.publish(message.subject, message.data, { headers: message.headers, msgID: message.messageId });
  }
}
