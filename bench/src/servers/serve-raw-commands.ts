import { hash } from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { newEventId } from '@tandem/core/adapter';
import { tandemMigrations } from '@tandem/sqlite';
import { benchEvent } from '../micro/append-command.js';
import { announceReady, exitOnSignal, listenLocal } from './spawn-server.js';

// The ceiling for commands over HTTP: bare Fastify and plain better-sqlite3 on BENCH_SQLITE_FILE
// (WAL, synchronous=FULL), writing per request the rows Tandem writes for RecordItems into
// Tandem's own table shapes: the events, the idempotency record and the audit row, in one
// transaction. No authentication, no validation, no idempotency lookup, no group commit.

interface Body {
  readonly streamId: string;
  readonly index: number;
  readonly count: number;
}

const db = new Database(process.env.BENCH_SQLITE_FILE ?? ':memory:');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const schema = tandemMigrations.find((m) => m.version === 1);
if (schema === undefined) throw new Error('No version 1 in tandemMigrations');
db.exec(schema.sql);
const insertEvent = db.prepare(
  `INSERT INTO tandem_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
);
const insertIdempotency = db.prepare(
  'INSERT INTO tandem_idempotency (command_id, command_type, payload_hash, result, recorded_at) VALUES (?, ?, ?, ?, ?)',
);
const insertAudit = db.prepare(
  `INSERT INTO tandem_audit (command_id, command_type, user_id, stream_ids, payload_hash, outcome, error_code, position, at)
   VALUES (?, ?, ?, ?, ?, 'accepted', NULL, ?, ?)`,
);
const countEvents = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM tandem_events');

const write = db.transaction((commandId: string, body: Body, payloadHash: string) => {
  const at = new Date().toISOString();
  const metadata = JSON.stringify({
    commandId,
    commandType: 'RecordItems',
    correlationId: commandId,
    causationId: commandId,
    userId: 'bench-writer',
  });
  let position = 0;
  for (let seq = 0; seq < body.count; seq++) {
    const event = benchEvent(body.index, seq);
    const row = insertEvent.run(
      body.streamId,
      seq + 1,
      newEventId(),
      event.type,
      1,
      JSON.stringify(event.data),
      metadata,
      at,
    );
    position = Number(row.lastInsertRowid);
  }
  const result = {
    commandId,
    commandType: 'RecordItems',
    ids: {},
    position,
    streams: [{ streamId: body.streamId, version: body.count }],
  };
  insertIdempotency.run(commandId, 'RecordItems', payloadHash, JSON.stringify(result), at);
  insertAudit.run(
    commandId,
    'RecordItems',
    'bench-writer',
    JSON.stringify([body.streamId]),
    payloadHash,
    position,
    at,
  );
  return position;
});

const app = Fastify({ logger: false });
app.post<{ Body: Body }>('/commands/RecordItems', async (request, reply) => {
  const commandId = String(request.headers['idempotency-key']);
  const position = write(commandId, request.body, hash('sha256', JSON.stringify(request.body), 'hex'));
  reply.header('Tandem-Position', String(position));
  return { commandId, ids: {}, position };
});
app.get('/bench/events', async () => ({ events: countEvents.get()?.n ?? 0 }));
const url = await listenLocal(app);
exitOnSignal(async () => {
  await app.close();
  db.close();
});
announceReady({ url });
