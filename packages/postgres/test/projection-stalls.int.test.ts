import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  defineCollection,
  defineProjection,
  ProjectionDaemon,
  type ProjectionLogger,
  type Store,
} from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { eventually, tcpProxy } from '@tandem/testing';

const url = await postgresTestUrl();
const schemas: string[] = [];
const schema = (name: string) => {
  const s = `t_stall_${name}_${process.pid}_${Date.now().toString(36)}`;
  schemas.push(s);
  return s;
};

const seen = defineCollection<{ applied: number }>({ name: 'seen' });
const tail = defineProjection({
  name: 'tail',
  version: 1,
  events: ['Written'],
  collections: { seen },
  async apply(events, { collections }) {
    for (const event of events) await collections.seen.upsert(event.eventId, { applied: 1 });
  },
});

interface Line {
  readonly level: string;
  readonly details: Record<string, unknown>;
  readonly message: string;
}

function capturingLogger(): { readonly lines: Line[]; readonly logger: ProjectionLogger } {
  const lines: Line[] = [];
  const at = (level: string) => (details: object, message: string) => {
    lines.push({ level, details: details as Record<string, unknown>, message });
  };
  return { lines, logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } };
}

const write = (store: Store, eventId: string) =>
  store.events.append([
    { streamId: eventId, expectedVersion: 'no-stream', events: [{ type: 'Written', data: {}, eventId }] },
  ]);

describe(
  'PostgreSQL: stalls are detected and named',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, schemas)));

    it('names an open transaction holding events back (backend pid, transaction age, query), then clears', async () => {
      if (url === undefined) return;
      const store = await openPostgresStore({
        connectionString: url,
        schema: schema('tx'),
        pollIntervalMs: 20,
      });
      const { lines, logger } = capturingLogger();
      const daemon = new ProjectionDaemon({
        events: store.events,
        readStore: store.readStore(),
        projections: [tail],
        stallAfterMs: 500,
        statusIntervalMs: 50,
        logger,
      });
      await daemon.start();
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      let held: Promise<void> | undefined;
      try {
        assert.ok(await daemon.waitFor(['tail'], (await write(store, 'before')).position, 5_000));
        let heldPosition = 0;
        held = store.transaction(async (tx) => {
          heldPosition = (
            await tx.events.append([
              { streamId: 'held', expectedVersion: 'no-stream', events: [{ type: 'Written', data: {} }] },
            ])
          ).position;
          await released; // open and idle until the test has seen the stall
        });
        await eventually(() => heldPosition > 0, { message: 'the held transaction appended its event' });
        const later = await write(store, 'later');
        // Given events committed behind an open transaction, when the checkpoint cannot move...
        const status = await eventually(
          async () => {
            const [current] = await daemon.status();
            assert.equal(current?.state, 'stalled');
            return current;
          },
          { timeoutMs: 10_000, message: 'the stall is seen within 10 s' },
        );
        // ...then the stall names the transaction.
        assert.equal(status?.stall?.cause, 'open-transaction');
        const backend = status?.stall?.backend;
        assert.equal(typeof backend?.pid, 'number');
        assert.ok((backend?.ageSeconds ?? -1) >= 0, 'the transaction age is given');
        assert.match(backend?.query ?? '', /\S/, 'the last statement is given');
        const stalled = lines.find((l) => l.level === 'warn' && /projection stalled/.test(l.message));
        assert.equal(stalled?.details.cause, 'open-transaction');
        assert.equal(stalled?.details.projection, 'tail');
        // Another process reads the same from the database.
        const elsewhere = new ProjectionDaemon({
          events: store.events,
          readStore: store.readStore(),
          projections: [tail],
        });
        await eventually(async () => {
          const [persisted] = await elsewhere.persistedStatus();
          assert.equal(persisted?.stall?.cause, 'open-transaction');
          assert.equal(persisted?.stall?.backend?.pid, backend?.pid);
          return true;
        });
        release();
        await held;
        assert.ok(await daemon.waitFor(['tail'], later.position, 10_000));
        await eventually(async () => {
          const [current] = await daemon.status();
          assert.equal(current?.state, 'running');
          assert.equal(current?.stall, undefined);
          return true;
        });
        await eventually(() =>
          lines.some(
            (l) =>
              l.level === 'info' &&
              /no longer stalled/.test(l.message) &&
              l.details.cause === 'open-transaction',
          ),
        );
      } finally {
        release();
        await held?.catch(() => undefined); // its outcome was asserted above, or the test failed already
        await daemon.stop();
        await store.close();
      }
    });

    it('names an unreachable store: the connection to the database is cut', async () => {
      if (url === undefined) return;
      const name = schema('down');
      const direct = await openPostgresStore({ connectionString: url, schema: name, pollIntervalMs: 20 });
      const server = new URL(url);
      const proxy = await tcpProxy(server.hostname, Number(server.port || 5432));
      const proxied = new URL(url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(proxy.port);
      const store = await openPostgresStore({
        connectionString: proxied.toString(),
        schema: name,
        pollIntervalMs: 20,
        connectTimeoutMs: 500,
      });
      const { lines, logger } = capturingLogger();
      const daemon = new ProjectionDaemon({
        events: store.events,
        readStore: store.readStore(),
        projections: [tail],
        stallAfterMs: 500,
        statusIntervalMs: 50,
        logger,
      });
      await daemon.start();
      try {
        assert.ok(await daemon.waitFor(['tail'], (await write(direct, 'before')).position, 5_000));
        // Given the database cut off from this process while others still write...
        await proxy.cut();
        await write(direct, 'after');
        // ...the projection is stalled, and the cause names the store.
        const [status] = await eventually(
          () => {
            const local = daemon.localStatus();
            assert.equal(local[0]?.state, 'stalled');
            return local;
          },
          { timeoutMs: 10_000, message: 'the stall is seen within 10 s' },
        );
        assert.equal(status?.stall?.cause, 'store-unreachable');
        await assert.rejects(daemon.status(), 'status that needs the store says it cannot read it');
        const stalled = lines.find((l) => l.level === 'warn' && /projection stalled/.test(l.message));
        assert.equal(stalled?.details.cause, 'store-unreachable');
      } finally {
        await daemon.stop();
        await store.close().catch(() => undefined); // its connections went through the cut proxy
        await direct.close();
      }
    });
  },
);
